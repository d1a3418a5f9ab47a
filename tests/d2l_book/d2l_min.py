"""A small stand-in for the helpers of the book's `d2l.torch` library that the fixture cells use,
written for these tests and built over whichever library is passed in (torch or xptorch).

Only what the cells touch is here: the hyperparameter saver, Module/Classifier, shape checks,
the CNN and seq2seq initialisers, the from-scratch RNN, the attention and transformer blocks.
"""
import inspect
import math
import types


def build(torch):
    nn, F = torch.nn, torch.nn.functional
    d2l = types.SimpleNamespace()

    def add_to_class(cls):
        def register(fn):
            setattr(cls, fn.__name__, fn)
        return register

    class HyperParameters:
        def save_hyperparameters(self, ignore=()):
            """Every argument of the caller's frame becomes an attribute (self and private names aside)."""
            args = inspect.getargvalues(inspect.currentframe().f_back).locals
            self.hparams = {k: v for k, v in args.items() if k != "self" and k not in ignore and not k.startswith("_")}
            for k, v in self.hparams.items():
                setattr(self, k, v)

    class Module(nn.Module, HyperParameters):
        def __init__(self):
            super().__init__()

        def loss(self, y_hat, y):
            raise NotImplementedError

        def forward(self, X):
            return self.net(X)

        def training_step(self, batch):
            return self.loss(self(*batch[:-1]), batch[-1])

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr)

        def apply_init(self, inputs, init=None):
            self.forward(*inputs)
            if init is not None:
                self.net.apply(init)

    class Classifier(Module):
        def loss(self, Y_hat, Y, averaged=True):
            Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
            return F.cross_entropy(Y_hat, Y.reshape((-1,)), reduction="mean" if averaged else "none")

        def accuracy(self, Y_hat, Y, averaged=True):
            preds = Y_hat.reshape((-1, Y_hat.shape[-1])).argmax(axis=1).type(Y.dtype)
            hit = (preds == Y.reshape(-1)).type(torch.float32)
            return hit.mean() if averaged else hit

        def layer_summary(self, X_shape):
            X = torch.randn(*X_shape)
            for layer in self.net:
                X = layer(X)
                print(layer.__class__.__name__, "output shape:\t", X.shape)

    def check_shape(a, shape):
        if a.shape != shape:
            raise AssertionError(f"tensor's shape {a.shape} != expected shape {shape}")

    def check_len(a, n):
        if len(a) != n:
            raise AssertionError(f"list's length {len(a)} != expected length {n}")

    def init_cnn(module):
        if type(module) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(module.weight)

    def init_seq2seq(module):
        if type(module) == nn.Linear:
            nn.init.xavier_uniform_(module.weight)
        if type(module) == nn.GRU:
            for name in module._flat_weights_names:
                if "weight" in name:
                    nn.init.xavier_uniform_(module._parameters[name])

    def corr2d(X, K):
        h, w = K.shape
        Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y

    class RNNScratch(Module):
        def __init__(self, num_inputs, num_hiddens, sigma=0.01):
            super().__init__()
            self.save_hyperparameters()
            self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
            self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
            self.b_h = nn.Parameter(torch.zeros(num_hiddens))

        def forward(self, inputs, state=None):
            state = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device) if state is None else state[0]
            outputs = []
            for X in inputs:
                state = torch.tanh(X @ self.W_xh + state @ self.W_hh + self.b_h)
                outputs.append(state)
            return outputs, state

    class RNNLMScratch(Classifier):
        def __init__(self, rnn, vocab_size, lr=0.01):
            super().__init__()
            self.save_hyperparameters()
            self.init_params()

        def init_params(self):
            self.W_hq = nn.Parameter(torch.randn(self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
            self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

        def one_hot(self, X):
            return F.one_hot(X.T, self.vocab_size).type(torch.float32)

        def output_layer(self, rnn_outputs):
            return torch.stack([H @ self.W_hq + self.b_q for H in rnn_outputs], 1)

        def forward(self, X, state=None):
            rnn_outputs, _ = self.rnn(self.one_hot(X), state)
            return self.output_layer(rnn_outputs)

        def predict(self, prefix, num_preds, vocab, device=None):
            state, outputs = None, [vocab[prefix[0]]]
            for i in range(len(prefix) + num_preds - 1):
                X = torch.tensor([[outputs[-1]]], device=device)
                rnn_outputs, state = self.rnn(self.one_hot(X), state)
                if i < len(prefix) - 1:
                    outputs.append(vocab[prefix[i + 1]])
                else:
                    outputs.append(int(self.output_layer(rnn_outputs).argmax(axis=2).reshape(1)))
            return "".join(vocab.idx_to_token[i] for i in outputs)

    class RNN(Module):
        def __init__(self, num_inputs, num_hiddens):
            super().__init__()
            self.save_hyperparameters()
            self.rnn = nn.RNN(num_inputs, num_hiddens)

        def forward(self, inputs, H=None):
            return self.rnn(inputs, H)

    class GRU(RNN):
        def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
            Module.__init__(self)
            self.save_hyperparameters()
            self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers, dropout=dropout)

    class Vocab:
        """Tokens sorted by frequency, then alphabetically; index 0 is '<unk>'."""

        def __init__(self, tokens):
            counts = {}
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
            order = sorted(counts, key=lambda t: (-counts[t], t))
            self.idx_to_token = ["<unk>"] + [t for t in order if t != "<unk>"]
            self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

        def __len__(self):
            return len(self.idx_to_token)

        def __getitem__(self, tokens):
            if isinstance(tokens, (list, tuple)):
                return [self[t] for t in tokens]
            return self.token_to_idx.get(tokens, 0)

    def masked_softmax(X, valid_lens):
        """Softmax over the last axis with the entries past each row's valid length masked out."""
        if valid_lens is None:
            return F.softmax(X, dim=-1)
        shape = X.shape
        lens = torch.repeat_interleave(valid_lens, shape[1]) if valid_lens.dim() == 1 else valid_lens.reshape(-1)
        X = X.reshape(-1, shape[-1])
        keep = torch.arange(shape[-1], dtype=torch.float32, device=X.device)[None, :] < lens[:, None]
        X[~keep] = -1e6
        return F.softmax(X.reshape(shape), dim=-1)

    class DotProductAttention(nn.Module):
        def __init__(self, dropout):
            super().__init__()
            self.dropout = nn.Dropout(dropout)

        def forward(self, queries, keys, values, valid_lens=None):
            scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1])
            self.attention_weights = masked_softmax(scores, valid_lens)
            return torch.bmm(self.dropout(self.attention_weights), values)

    class AdditiveAttention(nn.Module):
        def __init__(self, num_hiddens, dropout):
            super().__init__()
            self.W_k = nn.LazyLinear(num_hiddens, bias=False)
            self.W_q = nn.LazyLinear(num_hiddens, bias=False)
            self.w_v = nn.LazyLinear(1, bias=False)
            self.dropout = nn.Dropout(dropout)

        def forward(self, queries, keys, values, valid_lens):
            features = torch.tanh(self.W_q(queries).unsqueeze(2) + self.W_k(keys).unsqueeze(1))
            scores = self.w_v(features).squeeze(-1)
            self.attention_weights = masked_softmax(scores, valid_lens)
            return torch.bmm(self.dropout(self.attention_weights), values)

    class MultiHeadAttention(Module):
        def __init__(self, num_hiddens, num_heads, dropout, bias=False):
            super().__init__()
            self.num_heads = num_heads
            self.attention = DotProductAttention(dropout)
            self.W_q, self.W_k, self.W_v, self.W_o = (nn.LazyLinear(num_hiddens, bias=bias) for _ in range(4))

        def split_heads(self, X):
            X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1).permute(0, 2, 1, 3)
            return X.reshape(-1, X.shape[2], X.shape[3])

        def merge_heads(self, X):
            X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2]).permute(0, 2, 1, 3)
            return X.reshape(X.shape[0], X.shape[1], -1)

        def forward(self, queries, keys, values, valid_lens):
            q, k, v = self.split_heads(self.W_q(queries)), self.split_heads(self.W_k(keys)), self.split_heads(self.W_v(values))
            if valid_lens is not None:
                valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
            return self.W_o(self.merge_heads(self.attention(q, k, v, valid_lens)))

    class PositionalEncoding(nn.Module):
        def __init__(self, num_hiddens, dropout, max_len=1000):
            super().__init__()
            self.dropout = nn.Dropout(dropout)
            self.P = torch.zeros((1, max_len, num_hiddens))
            pos = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1)
            X = pos / torch.pow(10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
            self.P[:, :, 0::2] = torch.sin(X)
            self.P[:, :, 1::2] = torch.cos(X)

        def forward(self, X):
            return self.dropout(X + self.P[:, :X.shape[1], :].to(X.device))

    class PositionWiseFFN(nn.Module):
        def __init__(self, ffn_num_hiddens, ffn_num_outputs):
            super().__init__()
            self.dense1, self.relu, self.dense2 = nn.LazyLinear(ffn_num_hiddens), nn.ReLU(), nn.LazyLinear(ffn_num_outputs)

        def forward(self, X):
            return self.dense2(self.relu(self.dense1(X)))

    class AddNorm(nn.Module):
        def __init__(self, norm_shape, dropout):
            super().__init__()
            self.dropout, self.ln = nn.Dropout(dropout), nn.LayerNorm(norm_shape)

        def forward(self, X, Y):
            return self.ln(self.dropout(Y) + X)

    class TransformerEncoderBlock(nn.Module):
        def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
            super().__init__()
            self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
            self.addnorm1 = AddNorm(num_hiddens, dropout)
            self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
            self.addnorm2 = AddNorm(num_hiddens, dropout)

        def forward(self, X, valid_lens):
            Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
            return self.addnorm2(Y, self.ffn(Y))

    for name, value in list(locals().items()):
        if name not in ("torch", "nn", "F", "d2l", "name", "value"):
            setattr(d2l, name, value)
    return d2l
