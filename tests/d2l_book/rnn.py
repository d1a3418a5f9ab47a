# Cells after Dive into Deep Learning (d2l.ai), chapters "Recurrent Neural Networks" (9.1 sequences, 9.5 RNN
# from scratch, 9.6 concise) and "Modern Recurrent Neural Networks" (10.1 LSTM, 10.2 GRU, 10.3 deep RNNs,
# 10.4 bidirectional, 10.7 seq2seq): the same calls on values of our own; weights set deterministically
# where the book prints values that depend on them.
# %% sequence
T = 100
time_ = torch.arange(1, T + 1, dtype=torch.float32)
x = torch.sin(0.01 * time_) + torch.cos(0.3 * time_) * 0.2
tau = 4
features = torch.stack([x[i: T - tau + i] for i in range(tau)], 1)
labels = x[tau:].reshape((-1, 1))
preds = torch.zeros(T)
preds[:] = x
lin = nn.Linear(tau, 1)
det_init(lin)
for i in range(60, T):
    preds[i] = lin(preds[i - tau:i].reshape((1, -1)))
features.shape, labels.shape, preds[58:64]
# %% rnn-scratch
text = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us"
vocab = d2l.Vocab(list(text))
rnn = d2l.RNNScratch(len(vocab), 16)
X = torch.ones((10, 2, len(vocab)))
outputs, state = rnn(X)
d2l.check_len(outputs, 10)
d2l.check_shape(state, (2, 16))
len(vocab), vocab[list('time')], F.one_hot(torch.tensor([0, 2]), 5)
# %%
model = d2l.RNNLMScratch(d2l.RNNScratch(len(vocab), 16), len(vocab))
det_init(model)
Xs = torch.tensor([vocab[list(text[i:i + 10])] for i in range(0, 40, 10)])
Ys = torch.tensor([vocab[list(text[i + 1:i + 11])] for i in range(0, 40, 10)])
l = model.loss(model(Xs), Ys)
l.backward()
params = [p for p in model.parameters() if p.requires_grad]
norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
if norm > 1:
    for p in params:
        p.grad[:] *= 1 / norm
model(Xs).shape, l, norm, model.predict('it has', 12, vocab)
# %% rnn-concise
class RNNLM(d2l.RNNLMScratch):
    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)

model = RNNLM(d2l.RNN(len(vocab), 16), vocab_size=len(vocab), lr=1)
model(Xs)
det_init(model)
model.predict('it has', 12, vocab), model.rnn.rnn
# %% lstm
class LSTMScratch(d2l.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        init_weight = lambda *shape: nn.Parameter(torch.randn(*shape) * sigma)
        triple = lambda: (init_weight(num_inputs, num_hiddens), init_weight(num_hiddens, num_hiddens),
                          nn.Parameter(torch.zeros(num_hiddens)))
        self.W_xi, self.W_hi, self.b_i = triple()
        self.W_xf, self.W_hf, self.b_f = triple()
        self.W_xo, self.W_ho, self.b_o = triple()
        self.W_xc, self.W_hc, self.b_c = triple()

    def forward(self, inputs, H_C=None):
        if H_C is None:
            H = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
            C = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
        else:
            H, C = H_C
        outputs = []
        for X in inputs:
            I = torch.sigmoid(X @ self.W_xi + H @ self.W_hi + self.b_i)
            Fg = torch.sigmoid(X @ self.W_xf + H @ self.W_hf + self.b_f)
            O = torch.sigmoid(X @ self.W_xo + H @ self.W_ho + self.b_o)
            C_tilde = torch.tanh(X @ self.W_xc + H @ self.W_hc + self.b_c)
            C = Fg * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
        return outputs, (H, C)

lstm = LSTMScratch(len(vocab), 8)
det_init(lstm)
outs, (H, C) = lstm(torch.ones(3, 2, len(vocab)))
len(outs), H, C.shape
# %% gru
lstm = nn.LSTM(len(vocab), 8)
gru = d2l.GRU(len(vocab), 8, num_layers=2)
det_init(lstm)
det_init(gru)
X = torch.arange(3 * 2 * len(vocab), dtype=torch.float32).reshape(3, 2, len(vocab)) / 100
out, (H, C) = lstm(X)
out2, H2 = gru(X)
out[-1], H.shape, out2[-1], H2.shape, gru.rnn
# %% bi-rnn
birnn = nn.GRU(len(vocab), 8, bidirectional=True)
det_init(birnn)
out, H = birnn(X)
f_outputs, _ = d2l.RNNScratch(len(vocab), 4)(X)
b_outputs, _ = d2l.RNNScratch(len(vocab), 4)(reversed(X))
out.shape, H.shape, out[0, 0, :4], len([torch.cat((f, b), -1) for f, b in zip(f_outputs, reversed(b_outputs))])
# %% seq2seq
class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = d2l.GRU(embed_size, num_hiddens, num_layers, dropout)
        self.apply(d2l.init_seq2seq)

    def forward(self, X, *args):
        return self.rnn(self.embedding(X.t().type(torch.int64)))

class Seq2SeqDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = d2l.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(d2l.init_seq2seq)

    def forward(self, X, state):
        embs = self.embedding(X.t().type(torch.int32))
        enc_output, hidden_state = state
        context = enc_output[-1].repeat(embs.shape[0], 1, 1)
        outputs, hidden_state = self.rnn(torch.cat((embs, context), -1), hidden_state)
        return self.dense(outputs).swapaxes(0, 1), [enc_output, hidden_state]

encoder = Seq2SeqEncoder(10, 8, 16, 2)
decoder = Seq2SeqDecoder(10, 8, 16, 2)
X = torch.zeros((4, 9))
enc_outputs, enc_state = encoder(X)
dec_outputs, state = decoder(X, (enc_outputs, enc_state))
d2l.check_shape(enc_outputs, (9, 4, 16))
d2l.check_shape(enc_state, (2, 4, 16))
d2l.check_shape(dec_outputs, (4, 9, 10))
det_init(encoder)
det_init(decoder)
src = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
tgt = torch.tensor([[6, 7, 8, 0], [9, 1, 0, 0]])
Y_hat, _ = decoder(tgt, encoder(src))
l = F.cross_entropy(Y_hat.reshape(-1, 10), tgt.reshape(-1), reduction='none')
mask = (tgt.reshape(-1) != 0).type(torch.float32)
l = (l * mask).sum() / mask.sum()
l.backward()
Y_hat[0, :2], l, encoder.rnn.rnn.weight_hh_l0.grad[:2, :4]
