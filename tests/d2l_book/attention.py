# Cells after Dive into Deep Learning (d2l.ai), chapter "Attention Mechanisms and Transformers" (11.1 queries,
# keys and values, 11.2 attention pooling, 11.3 scoring functions, 11.4 Bahdanau attention, 11.5 multi-head
# attention, 11.6 self-attention and positional encoding, 11.7 the Transformer, 11.8 vision Transformers):
# the same calls on values of our own; weights set deterministically where values are printed.
# %% queries-keys-values
torch.eye(10).reshape((1, 1, 10, 10)).shape
# %% attention-pooling
def f(x):
    return 2 * torch.sin(x) + x

kernels = (lambda x: torch.exp(-x ** 2 / 2), lambda x: torch.abs(x) < 1.0, lambda x: 1.0 + 0 * x,
           lambda x: torch.max(1 - torch.abs(x), torch.zeros_like(x)))
x_train = torch.linspace(0, 5, 40)
y_train = f(x_train)
x_val = torch.arange(0, 5, 0.1)

def nadaraya_watson(x_train, y_train, x_val, kernel):
    k = kernel(x_train.reshape((-1, 1)) - x_val.reshape((1, -1))).type(torch.float32)
    attention_w = k / k.sum(0)
    return y_train @ attention_w, attention_w

[nadaraya_watson(x_train, y_train, x_val, k)[0][::10] for k in kernels]
# %% random attention-scoring-functions
d2l.masked_softmax(torch.rand(2, 2, 4), torch.tensor([2, 3]))
# %%
X = torch.arange(16, dtype=torch.float32).reshape(2, 2, 4) / 10
d2l.masked_softmax(X, torch.tensor([2, 3])), d2l.masked_softmax(X, torch.tensor([[1, 3], [2, 4]]))
# %%
queries = torch.arange(4, dtype=torch.float32).reshape(2, 1, 2) / 4
keys = torch.arange(40, dtype=torch.float32).reshape(2, 10, 2) / 40
values = torch.arange(80, dtype=torch.float32).reshape(2, 10, 4) / 80
valid_lens = torch.tensor([2, 6])
attention = d2l.DotProductAttention(dropout=0.5)
attention.eval()
d2l.check_shape(attention(queries, keys, values, valid_lens), (2, 1, 4))
additive = d2l.AdditiveAttention(num_hiddens=8, dropout=0.1)
additive.eval()
additive(queries, keys, values, valid_lens)
det_init(additive)
attention(queries, keys, values, valid_lens), additive(queries, keys, values, valid_lens), additive.attention_weights
# %% bahdanau-attention
class Seq2SeqAttentionDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.attention = d2l.AdditiveAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.LazyLinear(vocab_size)

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_lens = state
        outputs = []
        for x in self.embedding(X).permute(1, 0, 2):
            query = torch.unsqueeze(hidden_state[-1], dim=1)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
        return self.dense(torch.cat(outputs, dim=0)).permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]

encoder = d2l.GRU(8, 16, 2)
embed = nn.Embedding(10, 8)
decoder = Seq2SeqAttentionDecoder(10, 8, 16, 2)
X = torch.tensor([[1, 2, 3, 0], [4, 5, 6, 7]])
enc_outputs, hidden = encoder(embed(X.t()))
state = (enc_outputs.permute(1, 0, 2), hidden, torch.tensor([3, 4]))
decoder(X, state)
for m in (encoder, embed, decoder):
    det_init(m)
enc_outputs, hidden = encoder(embed(X.t()))
output, state = decoder(X, (enc_outputs.permute(1, 0, 2), hidden, torch.tensor([3, 4])))
output.sum().backward()
output.shape, output[0, :2], state[1].shape, embed.weight.grad[1, :4]
# %% multihead-attention
attention = d2l.MultiHeadAttention(20, 5, 0.5)
X = torch.ones((2, 4, 20))
Y = torch.ones((2, 6, 20))
d2l.check_shape(attention(X, Y, Y, torch.tensor([3, 2])), (2, 4, 20))
attention.eval()
det_init(attention)
attention(X[:, :2] / 7, Y[:, :3] / 5, Y[:, :3] / 3, torch.tensor([3, 2]))[:, :, :4]
# %% self-attention-and-positional-encoding
pos_encoding = d2l.PositionalEncoding(32, 0)
X = pos_encoding(torch.zeros((1, 60, 32)))
P = pos_encoding.P[:, :X.shape[1], :]
for i in range(4):
    print(f'{i} in binary is {i:>03b}')
X.shape, P[0, ::20, ::8], P[0, :, 6:10].T.shape
# %% transformer
ffn = d2l.PositionWiseFFN(4, 8)
ffn.eval()
ln = nn.LayerNorm(2)
bn = nn.LazyBatchNorm1d()
X = torch.tensor([[1, 2], [2, 3]], dtype=torch.float32)
print('layer norm:', ln(X), '\nbatch norm:', bn(X))
ffn(torch.ones((2, 3, 4)))[0].shape
# %%
add_norm = d2l.AddNorm(4, 0.5)
d2l.check_shape(add_norm(torch.ones((2, 3, 4)), torch.ones((2, 3, 4))), (2, 3, 4))
X = torch.arange(2 * 10 * 8, dtype=torch.float32).reshape(2, 10, 8) / 160
valid_lens = torch.tensor([3, 2])
blk = d2l.TransformerEncoderBlock(8, 16, 2, 0.5)
blk.eval()
d2l.check_shape(blk(X, valid_lens), X.shape)
det_init(blk)
out = blk(X, valid_lens)
out[0, :2], out.shape
# %%
blk.train()
dec_valid_lens = torch.arange(1, 10 + 1).repeat(2, 1)
with torch.no_grad():
    for m in blk.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
Z = blk(X, dec_valid_lens)
Z.sum().backward()
Z[1, -1], blk.ffn.dense1.weight.grad[:2, :4], dec_valid_lens[:, :4]
# %% vision-transformer
class PatchEmbedding(nn.Module):
    def __init__(self, img_size=32, patch_size=8, num_hiddens=16):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
        self.conv = nn.LazyConv2d(num_hiddens, kernel_size=patch_size, stride=patch_size)

    def forward(self, X):
        return self.conv(X).flatten(2).transpose(1, 2)

patch_emb = PatchEmbedding()
X = torch.zeros(4, 3, 32, 32)
d2l.check_shape(patch_emb(X), (4, 16, 16))
vit_mlp = nn.Sequential(nn.LazyLinear(32), nn.GELU(), nn.Dropout(0.5), nn.LazyLinear(16), nn.Dropout(0.5))
cls_token = nn.Parameter(torch.zeros(1, 1, 16))
X = patch_emb(torch.ones(2, 3, 32, 32))
X = torch.cat((cls_token.expand(X.shape[0], -1, -1), X), 1)
vit_mlp(X).shape, X.shape, vit_mlp
