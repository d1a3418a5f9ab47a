"""nn.utils.rnn packing (pack_padded_sequence, pad_packed_sequence, pack_sequence, unpack_sequence) and
RNN/GRU/LSTM on PackedSequence inputs against torch 2.13: packed data, batch sizes, index permutations,
outputs and final states, every gradient (padded input, initial states, parameters), reprs and errors,
on cpu and cuda."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn.utils import rnn as XR

torch = pytest.importorskip("torch")
from torch.nn.utils import rnn as TR  # noqa: E402

from oracle import check_error, on_cpu_terms, to_numpy, xp_message  # noqa: E402

LENGTHS = {
    "sorted": [5, 3, 3, 1],
    "unsorted": [2, 5, 1, 3],
    "ties": [3, 1, 3, 3],
    "equal": [4, 4, 4],
    "single": [3],
}


def _same(x, t, tol=None, what=""):
    assert tuple(x.shape) == tuple(t.shape), what
    assert str(x.dtype).replace("xptorch", "") == str(t.dtype).replace("torch", ""), what
    np.testing.assert_allclose(to_numpy(x), t.detach().cpu().numpy(), err_msg=what, **(tol or {}))


def _same_packed(x, t, tol=None):
    assert isinstance(x, XR.PackedSequence)
    _same(x.data, t.data, tol, "data")
    _same(x.batch_sizes, t.batch_sizes, what="batch_sizes")
    assert x.batch_sizes.device.type == "cpu"
    for a, b in ((x.sorted_indices, t.sorted_indices), (x.unsorted_indices, t.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            _same(a, b)


@pytest.mark.parametrize("name", sorted(LENGTHS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip_and_gradients(device, name, batch_first):
    lengths = LENGTHS[name]
    enforce = list(lengths) == sorted(lengths, reverse=True)
    rng = np.random.default_rng(0)
    T, B = max(lengths) + 1, len(lengths)
    a = rng.standard_normal((B, T, 2) if batch_first else (T, B, 2)).astype(np.float32)
    ti, xi = torch.tensor(a, requires_grad=True), xptorch.tensor(a, device=device, requires_grad=True)
    tp = TR.pack_padded_sequence(ti, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
    xp_ = XR.pack_padded_sequence(xi, xptorch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
    _same_packed(xp_, tp)
    assert xp_.data.device.type == device and xp_.is_cuda == (device == "cuda")
    tpad, tlen = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=-1.5, total_length=T + 1)
    xpad, xlen = XR.pad_packed_sequence(xp_, batch_first=batch_first, padding_value=-1.5, total_length=T + 1)
    _same(xpad, tpad, what="padded")
    _same(xlen, tlen, what="lengths")
    assert xlen.device.type == "cpu"
    g = rng.standard_normal(tuple(tpad.shape)).astype(np.float32)
    (tpad * torch.tensor(g)).sum().backward()
    (xpad * xptorch.tensor(g, device=device)).sum().backward()
    _same(xi.grad, ti.grad, what="grad")
    for x_, t_ in zip(XR.unpack_sequence(xp_), TR.unpack_sequence(tp)):
        _same(x_, t_)


def test_pack_sequence_and_repr():
    seqs = [np.arange(6.0, dtype=np.float32).reshape(3, 2), np.ones((1, 2), np.float32), np.zeros((2, 2), np.float32)]
    for enforce in (False,):
        t = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=enforce)
        x = XR.pack_sequence([xptorch.tensor(s) for s in seqs], enforce_sorted=enforce)
        _same_packed(x, t)
        assert on_cpu_terms(repr(x)) == xp_message(repr(t))
    t = TR.pack_sequence([torch.tensor(s) for s in (seqs[0], seqs[2], seqs[1])])
    x = XR.pack_sequence([xptorch.tensor(s) for s in (seqs[0], seqs[2], seqs[1])])
    assert on_cpu_terms(repr(x)) == xp_message(repr(t))
    assert x._fields == t._fields and isinstance(x, tuple)
    assert x.double().data.dtype == xptorch.float64 and x.to(xptorch.float32) is x
    _same(XR.invert_permutation(xptorch.tensor([2, 0, 1])), TR.invert_permutation(torch.tensor([2, 0, 1])))
    assert XR.invert_permutation(None) is None


def test_lengths_as_list_and_float():
    a = np.random.default_rng(1).standard_normal((4, 3, 2)).astype(np.float32)
    for lengths in ([3, 2, 1], [3.0, 2.0, 1.0], (4, 4, 2)):
        _same_packed(XR.pack_padded_sequence(xptorch.tensor(a), lengths),
                     TR.pack_padded_sequence(torch.tensor(a), lengths))


ERRORS = [
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), [2, 3, 1]),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 0]),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2]),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(4, 3, 2), lib.tensor([[3, 2, 1]])),
    lambda lib, R: R.pack_padded_sequence(lib.zeros(0, 3, 2), [3, 2, 1]),
    lambda lib, R: R.pad_packed_sequence(R.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 1]), total_length=2),
    lambda lib, R: R.pack_sequence([lib.ones(2), lib.ones(3)]),
    lambda lib, R: R.pack_sequence([]),
    lambda lib, R: R.pad_sequence(3),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors(make):
    check_error(lambda: make(torch, TR), lambda: make(xptorch, XR))


# ---- RNN modules on packed input ----------------------------------------------------------------

MODULES = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity="relu", bidirectional=True)),
    ("GRU", dict(num_layers=2)),
    ("GRU", dict(bidirectional=True, batch_first=True)),
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, bidirectional=True)),
]


def _run_packed(kind, kw, lengths, device, with_hx, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    t = getattr(torch.nn, kind)(3, 4, **kw)
    x = getattr(nn, kind)(3, 4, **kw)
    if dtype == "float64":
        t, x = t.double(), x.double()
    x.load_state_dict({k: xptorch.tensor(v.numpy()) for k, v in t.state_dict().items()})
    x.to(device)
    B, T = len(lengths), max(lengths)
    bf = kw.get("batch_first", False)
    a = rng.standard_normal((B, T, 3) if bf else (T, B, 3)).astype(dtype)
    ti, xi = torch.tensor(a, requires_grad=True), xptorch.tensor(a, device=device, requires_grad=True)
    enforce = list(lengths) == sorted(lengths, reverse=True)
    tp = TR.pack_padded_sequence(ti, lengths, batch_first=bf, enforce_sorted=enforce)
    xpk = XR.pack_padded_sequence(xi, lengths, batch_first=bf, enforce_sorted=enforce)
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    hout = kw.get("proj_size", 0) or 4
    th, xh = [], []
    if with_hx:
        shapes = [(d, B, hout)] + ([(d, B, 4)] if kind == "LSTM" else [])
        hv = [rng.standard_normal(s).astype(dtype) for s in shapes]
        th = [torch.tensor(h, requires_grad=True) for h in hv]
        xh = [xptorch.tensor(h, device=device, requires_grad=True) for h in hv]
    targs, xargs = (tp,), (xpk,)
    if with_hx:
        targs += (tuple(th) if kind == "LSTM" else th[0],)
        xargs += (tuple(xh) if kind == "LSTM" else xh[0],)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LSTM with projections")
        tout, thid = t(*targs)
    xout, xhid = x(*xargs)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    _same_packed(xout, tout, tol)
    thid = list(thid) if kind == "LSTM" else [thid]
    xhid = list(xhid) if kind == "LSTM" else [xhid]
    for i, (a_, b_) in enumerate(zip(xhid, thid)):
        assert a_.device.type == device
        _same(a_, b_, tol, f"hidden {i}")
    # every gradient, through pad_packed_sequence as a model would use the output
    tpad, _ = TR.pad_packed_sequence(tout, batch_first=bf)
    xpad, _ = XR.pad_packed_sequence(xout, batch_first=bf)
    outs_t, outs_x = [tpad] + thid, [xpad] + xhid
    gs = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in outs_t]
    torch.autograd.backward(outs_t, [torch.tensor(g) for g in gs])
    xptorch.autograd.backward(outs_x, [xptorch.tensor(g, device=device) for g in gs])
    gtol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else tol
    _same(xi.grad, ti.grad, gtol, "grad input")
    for i, (p, q) in enumerate(zip(xh, th)):
        _same(p.grad, q.grad, gtol, f"grad hx{i}")
    for (n, p), (m, q) in zip(x.named_parameters(), t.named_parameters()):
        assert n == m
        _same(p.grad, q.grad, gtol, n)


@pytest.mark.parametrize("kind,kw", MODULES, ids=[f"{k}-{'-'.join(map(str, kw.values())) or 'plain'}" for k, kw in MODULES])
@pytest.mark.parametrize("name", ["sorted", "unsorted", "ties"])
def test_rnn_on_packed_matches_torch(device, kind, kw, name):
    _run_packed(kind, kw, LENGTHS[name], device, with_hx=name != "ties")


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_rnn_on_packed_float64_single_and_equal_lengths(kind):
    _run_packed(kind, dict(bidirectional=True), [4, 2, 1], "cpu", True, dtype="float64")
    _run_packed(kind, {}, [3], "cpu", True)
    _run_packed(kind, dict(num_layers=2), [2, 2, 2], "cpu", False)


def test_packed_equals_per_sequence_runs():
    """Each sequence of a packed batch gets what it gets on its own (the definition, checked without torch)."""
    xptorch.manual_seed(0)
    m = nn.LSTM(3, 4, bidirectional=True)
    seqs = [xptorch.randn(n, 3) for n in (2, 5, 3)]
    out, (h, c) = m(XR.pack_sequence(seqs, enforce_sorted=False))
    padded, lengths = XR.pad_packed_sequence(out)
    for b, s in enumerate(seqs):
        o1, (h1, c1) = m(s.unsqueeze(1))
        np.testing.assert_allclose(padded[:len(s), b].detach().numpy(), o1[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h[:, b].detach().numpy(), h1[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c[:, b].detach().numpy(), c1[:, 0].detach().numpy(), rtol=1e-5, atol=1e-6)


PACKED_ERRORS = [
    lambda lib, R: lib.nn.RNN(3, 3)(R.pack_sequence([lib.ones(2, 2)])),
    lambda lib, R: lib.nn.GRU(2, 3)(R.pack_sequence([lib.ones(2, 2)]), lib.zeros(1, 2, 3)),
    lambda lib, R: lib.nn.GRU(2, 3)(R.pack_sequence([lib.ones(2, 2)]), lib.zeros(1, 1, 4)),
    lambda lib, R: lib.nn.GRU(2, 3)(R.pack_sequence([lib.ones(2, 2), lib.ones(1, 2)]), lib.zeros(1, 3, 3)),
    lambda lib, R: lib.nn.GRU(2, 3)(R.PackedSequence(lib.ones(3), lib.tensor([2, 1]))),
    lambda lib, R: R.PackedSequence(lib.ones(3), [2, 1]),
    lambda lib, R: lib.nn.RNN(2, 3)(R.pack_sequence([lib.ones(2, 2, dtype=lib.float64)])),
]


@pytest.mark.parametrize("make", PACKED_ERRORS)
def test_packed_errors(make):
    check_error(lambda: make(torch, TR), lambda: make(xptorch, XR))
