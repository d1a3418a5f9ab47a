"""scaled_dot_product_attention, MultiheadAttention, TransformerEncoderLayer/Encoder against torch 2.13:
values, gradients of inputs and parameters, parameter names, reprs, warnings and errors."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, same_repr, to_numpy  # noqa: E402

TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _arr(*shape):
    return RNG.standard_normal(shape).astype("float32")


def compare_module(make, inputs, call, device="cpu", train=False):
    """Same parameters (torch's) in both; outputs and every gradient compared."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, x = make(torch), make(xptorch)
    x.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    x.to(device)
    t.train(train)
    x.train(train)
    grad = [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in inputs]
    ti = [torch.tensor(a, requires_grad=g) if isinstance(a, np.ndarray) else a for a, g in zip(inputs, grad)]
    xi = [xptorch.tensor(a, device=device, requires_grad=g) if isinstance(a, np.ndarray) else a
          for a, g in zip(inputs, grad)]
    to, xo = call(t, *ti), call(x, *xi)
    to = [o for o in (to if isinstance(to, tuple) else (to,))]
    xo = [o for o in (xo if isinstance(xo, tuple) else (xo,))]
    assert [o is None for o in to] == [o is None for o in xo]
    to, xo = [o for o in to if o is not None], [o for o in xo if o is not None]
    for a, b in zip(xo, to):
        assert tuple(a.shape) == tuple(b.shape) and a.device.type == device
        np.testing.assert_allclose(to_numpy(a), b.detach().cpu().numpy(), rtol=1e-5, atol=2e-6)
    gs = [RNG.standard_normal(tuple(o.shape)).astype("float32") for o in to]
    torch.autograd.backward(to, [torch.tensor(g) for g in gs])
    xptorch.autograd.backward(xo, [xptorch.tensor(g, device=device) for g in gs])
    for i, (a, b) in enumerate(zip(xi, ti)):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            if b.grad is None:
                assert a.grad is None, f"input {i}"
                continue
            np.testing.assert_allclose(to_numpy(a.grad), b.grad.cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=f"input {i}")
    for (n, p), (_, q) in zip(x.named_parameters(), t.named_parameters()):
        if q.grad is None:
            assert p.grad is None, n
        else:
            np.testing.assert_allclose(to_numpy(p.grad), q.grad.cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=n)


# ---- scaled_dot_product_attention -----------------------------------------------------------------
Q, K, V = (2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 7)


@pytest.mark.parametrize("kw", [{}, dict(scale=0.3), dict(is_causal=True)], ids=str)
def test_sdpa_matches_torch(kw):
    check_op([Q, K, V], lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **kw),
             lambda q, k, v: XF.scaled_dot_product_attention(q, k, v, **kw), check_grad_fn=False)
    check_op([(4, 6), (4, 6), (4, 3)], lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **kw),
             lambda q, k, v: XF.scaled_dot_product_attention(q, k, v, **kw), check_grad_fn=False)


def test_sdpa_masks_match_torch():
    keep = RNG.random((4, 5)) > 0.3
    keep[:, 0] = True
    check_op([Q, K, V, keep], lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
             lambda q, k, v, m: XF.scaled_dot_product_attention(q, k, v, attn_mask=m), check_grad_fn=False)
    check_op([Q, K, V, (3, 4, 5)], lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
             lambda q, k, v, m: XF.scaled_dot_product_attention(q, k, v, attn_mask=m), check_grad_fn=False)


def test_sdpa_on_device_and_dropout(device):
    q = xptorch.tensor(_arr(*Q), device=device, requires_grad=True)
    k, v = xptorch.tensor(_arr(*K), device=device), xptorch.tensor(_arr(*V), device=device)
    out = XF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert out.shape == (2, 3, 4, 7) and out.device.type == device
    out.sum().backward()
    assert q.grad.shape == q.shape
    ref = XF.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(to_numpy(out), to_numpy(ref))


@pytest.mark.parametrize("call", [
    lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=lib.ones(4, 5,
                                                                         dtype=lib.bool), is_causal=True),
    lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=lib.ones(4, 5,
                                                                         dtype=lib.int64)),
    lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]),
])
def test_sdpa_errors(call):
    check_error(lambda: call(torch, torch.ones(Q), torch.ones(K), torch.ones(V)),
                lambda: call(xptorch, xptorch.ones(Q), xptorch.ones(K), xptorch.ones(V)))


# ---- MultiheadAttention ---------------------------------------------------------------------------
X, KV = _arr(4, 2, 8), _arr(5, 2, 8)
PAD = np.zeros((2, 5), bool)
PAD[0, 3:] = True

MHA_CASES = [
    (lambda lib: lib.nn.MultiheadAttention(8, 2), [X, KV, KV], lambda m, q, k, v: m(q, k, v)),
    (lambda lib: lib.nn.MultiheadAttention(8, 2), [X, X, X], lambda m, q, k, v: m(q, k, v, average_attn_weights=False)),
    (lambda lib: lib.nn.MultiheadAttention(8, 4), [X, KV, KV, PAD],
     lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p)),
    (lambda lib: lib.nn.MultiheadAttention(8, 4), [X, KV, KV, _arr(4, 5)],
     lambda m, q, k, v, a: m(q, k, v, attn_mask=a, need_weights=False)),
    (lambda lib: lib.nn.MultiheadAttention(8, 2), [X, KV, KV, RNG.random((4, 5)) > 0.7],
     lambda m, q, k, v, a: m(q, k, v, attn_mask=a)),
    (lambda lib: lib.nn.MultiheadAttention(8, 4, bias=False, add_bias_kv=True, add_zero_attn=True), [X, KV, KV],
     lambda m, q, k, v: m(q, k, v)),
    (lambda lib: lib.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, batch_first=True),
     [X.transpose(1, 0, 2).copy(), _arr(2, 5, 3), _arr(2, 5, 5)], lambda m, q, k, v: m(q, k, v)),
    (lambda lib: lib.nn.MultiheadAttention(8, 2), [X[:, 0].copy(), KV[:, 0].copy(), KV[:, 0].copy()],
     lambda m, q, k, v: m(q, k, v)),
]


@pytest.mark.parametrize("make, inputs, call", MHA_CASES)
def test_multihead_attention_matches_torch(make, inputs, call):
    compare_module(make, inputs, call)


def test_multihead_attention_on_device(device):
    compare_module(*MHA_CASES[2], device=device)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.MultiheadAttention(8, 2),
    lambda lib: lib.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False, batch_first=True),
    lambda lib: lib.nn.MultiheadAttention(7, 2),
    lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16),
    lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, activation="tanh"),
])
def test_repr_and_parameter_names(make):
    m = same_repr(make)
    if isinstance(m, Exception):
        return
    t = make(torch)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [(n, tuple(p.shape))
                                                                      for n, p in t.named_parameters()]
    assert list(m.state_dict()) == list(t.state_dict())


def test_multihead_attention_init():
    xptorch.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    bound = np.sqrt(6 / (8 + 24))
    w = to_numpy(m.in_proj_weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not to_numpy(m.in_proj_bias).any() and not to_numpy(m.out_proj.bias).any()
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(m.out_proj, nn.Linear)


@pytest.mark.parametrize("call", [
    lambda lib, m, x: m(x, x, x, key_padding_mask=lib.zeros(3, 4, dtype=lib.bool)),
    lambda lib, m, x: m(x, x, x, attn_mask=lib.zeros(3, 4, dtype=lib.bool)),
    lambda lib, m, x: m(x[:, :, :7], x, x),
    lambda lib, m, x: m(x[0], x, x),
    lambda lib, m, x: m(x, x, x, is_causal=True),
])
def test_multihead_attention_errors(call):
    a = _arr(4, 2, 8)
    check_error(lambda: call(torch, torch.nn.MultiheadAttention(8, 2), torch.tensor(a)),
                lambda: call(xptorch, nn.MultiheadAttention(8, 2), xptorch.tensor(a)))


# ---- Transformer encoder --------------------------------------------------------------------------
CAUSAL = np.triu(np.full((4, 4), -np.inf, dtype="float32"), 1)


@pytest.mark.parametrize("make, inputs, call", [
    (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16), [X], lambda m, x: m(x)),
    (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
     [X], lambda m, x: m(x)),
    (lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 3, norm=lib.nn.LayerNorm(8)),
     [X], lambda m, x: m(x)),
    (lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 2), [X, CAUSAL < 0, PAD[:, :4]],
     lambda m, x, c, p: m(x, mask=c, src_key_padding_mask=p)),
])
def test_transformer_encoder_matches_torch(make, inputs, call):
    compare_module(make, inputs, call)


def test_transformer_encoder_on_device(device):
    compare_module(lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 2), [X],
                   lambda m, x: m(x), device=device)


def test_transformer_encoder_repr_and_nested_tensor_warnings():
    layers = [
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16),
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
        lambda lib: lib.nn.TransformerEncoderLayer(9, 3, 15, batch_first=True),
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 15, batch_first=True, norm_first=True),
        lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 15, batch_first=True, activation=lib.tanh),
    ]
    for make in layers:
        got = {}
        for lib in (torch, xptorch):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                m = lib.nn.TransformerEncoder(make(lib), 2, norm=lib.nn.LayerNorm(8))
            got[lib] = ([(x.category, str(x.message)) for x in w], repr(m).replace("torch", "xptorch"))
        assert got[xptorch] == got[torch]


def test_training_mode_applies_dropout():
    m = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = xptorch.tensor(X)
    m.eval()
    np.testing.assert_array_equal(to_numpy(m(x)), to_numpy(m(x)))
    m.train()
    assert not np.allclose(to_numpy(m(x)), to_numpy(m(x)))


# ---- decoder and the full Transformer ---------------------------------------------------------------
TGT, MEM = _arr(3, 2, 8), _arr(4, 2, 8)
CAUSAL3 = np.triu(np.full((3, 3), -np.inf, dtype="float32"), 1)


@pytest.mark.parametrize("make, inputs, call", [
    (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16), [TGT, MEM], lambda m, t, mem: m(t, mem)),
    (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
     [TGT.transpose(1, 0, 2).copy(), MEM.transpose(1, 0, 2).copy()], lambda m, t, mem: m(t, mem)),
    (lambda lib: lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16), 2, norm=lib.nn.LayerNorm(8)),
     [TGT, MEM, CAUSAL3 < 0, PAD[:, :4]],
     lambda m, t, mem, c, p: m(t, mem, tgt_mask=c, memory_key_padding_mask=p, tgt_is_causal=True)),
    (lambda lib: lib.nn.Transformer(8, 2, 2, 1, 16), [MEM, TGT, CAUSAL3],
     lambda m, s, t, c: m(s, t, tgt_mask=c.detach())),
    (lambda lib: lib.nn.Transformer(8, 2, 1, 2, 16, batch_first=True, norm_first=True),
     [MEM.transpose(1, 0, 2).copy(), TGT.transpose(1, 0, 2).copy()], lambda m, s, t: m(s, t)),
])
def test_transformer_decoder_matches_torch(make, inputs, call):
    compare_module(make, inputs, call)


def test_transformer_on_device(device):
    compare_module(lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16), [MEM, TGT], lambda m, s, t: m(s, t),
                   device=device)


def test_transformer_repr_init_mask_and_errors():
    for make in (lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16),
                 lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16, bias=False)):
        got = {}
        for lib in (torch, xptorch):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                m = make(lib)
            got[lib] = ([(x.category, str(x.message)) for x in w], repr(m).replace("torch", "xptorch"),
                        [(n, tuple(p.shape)) for n, p in m.named_parameters()])
        assert got[xptorch] == got[torch]
    same_repr(lambda lib: lib.nn.Transformer.generate_square_subsequent_mask(4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, x = torch.nn.Transformer(8, 2, 1, 1, 16), nn.Transformer(8, 2, 1, 1, 16)
    check_error(lambda: t(torch.ones(4, 2, 8), torch.ones(3, 3, 8)), lambda: x(xptorch.ones(4, 2, 8), xptorch.ones(3, 3, 8)))
    check_error(lambda: t(torch.ones(4, 2, 8), torch.ones(3, 2, 7)), lambda: x(xptorch.ones(4, 2, 8), xptorch.ones(3, 2, 7)))
    # Every matrix is re-drawn by xavier_uniform_; vectors keep their layers' init.
    w = to_numpy(x.decoder.layers[0].linear1.weight)
    bound = np.sqrt(6 / (8 + 16))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
