"""RNN, GRU, LSTM and their cells against torch 2.13: values, every gradient (input, initial states,
each parameter), parameter names and shapes, state_dict exchange, init, reprs and errors."""
import warnings

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import check_error, gradcheck, same_repr, to_numpy  # noqa: E402


def _flat(o):
    out = []
    for e in (o if isinstance(o, tuple) else (o,)):
        out += _flat(e) if isinstance(e, tuple) else [e]
    return out


def _hidden_shapes(kind, kw, shape, cell, hidden=5):
    if cell:
        hs = [shape[:-1] + (hidden,)]
        return hs * 2 if kind == "LSTMCell" else hs
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    b = (shape[0] if kw.get("batch_first") else shape[1]) if len(shape) == 3 else None
    hout = kw.get("proj_size", 0) or hidden
    hs = [(d, b, hout) if b else (d, hout)]
    if kind == "LSTM":
        hs.append((d, b, hidden) if b else (d, hidden))
    return hs


def compare(kind, kw, shape, with_hx=True, device="cpu", dtype="float32", seed=0):
    cell = kind.endswith("Cell")
    rng = np.random.default_rng(seed)
    t = getattr(torch.nn, kind)(3, 5, **kw)
    x = getattr(nn, kind)(3, 5, **kw)
    if dtype == "float64":
        t, x = t.double(), x.double()
    x.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    x.to(device)
    a = rng.standard_normal(shape).astype(dtype)
    tin, xin = torch.tensor(a, requires_grad=True), xptorch.tensor(a, device=device, requires_grad=True)
    targs, xargs, ths, xhs = [tin], [xin], [], []
    if with_hx:
        hv = [rng.standard_normal(s).astype(dtype) for s in _hidden_shapes(kind, kw, shape, cell)]
        ths = [torch.tensor(h, requires_grad=True) for h in hv]
        xhs = [xptorch.tensor(h, device=device, requires_grad=True) for h in hv]
        targs.append(tuple(ths) if kind.startswith("LSTM") else ths[0])
        xargs.append(tuple(xhs) if kind.startswith("LSTM") else xhs[0])
    with warnings.catch_warnings():
        # torch notes that oneDNN lacks projections; that is torch's own implementation detail.
        warnings.filterwarnings("ignore", message="LSTM with projections")
        tf = _flat(t(*targs))
    xf = _flat(x(*xargs))
    assert len(tf) == len(xf)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for a_, b_ in zip(xf, tf):
        assert tuple(a_.shape) == tuple(b_.shape) and a_.device.type == device
        np.testing.assert_allclose(to_numpy(a_), b_.detach().cpu().numpy(), **tol)
    gs = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in tf]
    torch.autograd.backward(tf, [torch.tensor(g) for g in gs])
    xptorch.autograd.backward(xf, [xptorch.tensor(g, device=device) for g in gs])
    gtol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else tol
    for what, a_, b_ in [("input", xin, tin)] + [(f"hx{i}", p, q) for i, (p, q) in enumerate(zip(xhs, ths))]:
        np.testing.assert_allclose(to_numpy(a_.grad), b_.grad.cpu().numpy(), err_msg=what, **gtol)
    for (n, p), (m, q) in zip(x.named_parameters(), t.named_parameters()):
        assert n == m
        np.testing.assert_allclose(to_numpy(p.grad), q.grad.cpu().numpy(), err_msg=n, **gtol)


CASES = [
    ({}, (4, 2, 3)),
    (dict(num_layers=2, bidirectional=True), (4, 2, 3)),
    (dict(batch_first=True, bias=False), (2, 4, 3)),
    (dict(num_layers=3), (1, 3, 3)),
    ({}, (4, 3)),
    (dict(bidirectional=True, batch_first=True), (4, 3)),
]


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("kw, shape", CASES, ids=lambda v: str(v))
def test_layer_matches_torch(kind, kw, shape):
    compare(kind, kw, shape)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_without_initial_state_and_on_device(kind, device):
    compare(kind, dict(num_layers=2, bidirectional=True), (5, 2, 3), with_hx=False, device=device)
    compare(kind, {}, (5, 2, 3), device=device)


@pytest.mark.parametrize("kw, shape", [
    (dict(proj_size=2), (4, 2, 3)), (dict(proj_size=3, num_layers=2, bidirectional=True), (4, 2, 3)),
    (dict(proj_size=1, batch_first=True), (2, 3, 3)), (dict(proj_size=2), (4, 3)),
])
def test_lstm_projection_matches_torch(kw, shape):
    compare("LSTM", kw, shape)


def test_relu_rnn_matches_torch():
    compare("RNN", dict(nonlinearity="relu", num_layers=2, bidirectional=True), (4, 2, 3))


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("kw", [{}, dict(bias=False)])
def test_cells_match_torch(kind, kw, device):
    compare(kind, kw, (2, 3), device=device)
    compare(kind, kw, (3,))
    compare(kind, kw, (2, 3), with_hx=False)
    if kind == "RNNCell":
        compare(kind, dict(kw, nonlinearity="relu"), (4, 3))


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_float64_against_torch_and_finite_differences(kind):
    compare(kind, dict(num_layers=2, bidirectional=True), (3, 2, 3), dtype="float64")
    xptorch.manual_seed(0)
    m = getattr(nn, kind)(2, 3, bidirectional=True).double()
    h = np.random.default_rng(0).standard_normal((2, 2, 3))

    def f(x, h0):
        hx = (h0, h0 * 0.5) if kind == "LSTM" else h0
        out, _ = m(x, hx)
        return out

    gradcheck(f, [np.random.default_rng(1).standard_normal((3, 2, 2)), h])


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.RNN(3, 4), lambda lib: lib.nn.RNN(3, 4, nonlinearity="relu", num_layers=2, bias=False,
                                                         batch_first=True, dropout=0.1, bidirectional=True),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=2), lambda lib: lib.nn.GRU(3, 4, 2), lambda lib: lib.nn.LSTMCell(3, 4),
    lambda lib: lib.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), lambda lib: lib.nn.GRUCell(3, 4),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=2, bidirectional=True, num_layers=2),
])
def test_repr_names_shapes_and_state_dict_keys(make):
    m = same_repr(make)
    t = make(torch)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [(n, tuple(p.shape))
                                                                      for n, p in t.named_parameters()]
    assert list(m.state_dict()) == list(t.state_dict())
    if hasattr(t, "_flat_weights_names"):
        assert m._flat_weights_names == t._flat_weights_names
        assert [[tuple(w.shape) for w in ws] for ws in m.all_weights] == [[tuple(w.shape) for w in ws]
                                                                          for ws in t.all_weights]
    # Every parameter drawn from U(±1/sqrt(hidden_size)), as in torch.
    bound = 1 / np.sqrt(4)
    assert all(np.abs(to_numpy(p)).max() <= bound for p in m.parameters())
    assert max(np.abs(to_numpy(p)).max() for p in m.parameters()) > 0.9 * bound


def test_state_dict_moves_from_xptorch_to_torch():
    x = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    t = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    t.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in x.state_dict().items()})
    a = np.random.default_rng(0).standard_normal((4, 2, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(x(xptorch.tensor(a))[0]), t(torch.tensor(a))[0].detach().cpu().numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.RNN(3, 4, nonlinearity="x"), lambda lib: lib.nn.GRU(3, 4, proj_size=2),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=4), lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    lambda lib: lib.nn.LSTM(3, 0), lambda lib: lib.nn.LSTM(3, 4, num_layers=0), lambda lib: lib.nn.LSTM(3, 4, dropout=2),
])
def test_constructor_errors(make):
    check_error(lambda: make(torch), lambda: make(xptorch))


def test_dropout_with_one_layer_warns_like_torch():
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        torch.nn.GRU(3, 4, dropout=0.5)
    with warnings.catch_warnings(record=True) as xw:
        warnings.simplefilter("always")
        nn.GRU(3, 4, dropout=0.5)
    assert [(w.category, str(w.message)) for w in xw] == [(w.category, str(w.message)) for w in tw]


def test_dropout_between_layers_only_in_training():
    m = nn.LSTM(3, 5, num_layers=2, dropout=0.5)
    x = xptorch.rand(4, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    m.train()
    xptorch.manual_seed(1)
    c = m(x)[0]
    xptorch.manual_seed(2)
    d = m(x)[0]
    assert not np.allclose(to_numpy(c), to_numpy(d))


LSTM_ERRORS = [
    lambda lib, m: m(lib.ones(5, 2, 4)),
    lambda lib, m: m(lib.ones(5, 2, 3, 1)),
    lambda lib, m: m(lib.ones(5)),
    lambda lib, m: m(lib.ones(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(2, 2, 4))),
    lambda lib, m: m(lib.ones(5, 2, 3), (lib.zeros(2, 2, 4), lib.zeros(2, 3, 4))),
    lambda lib, m: m(lib.ones(5, 2, 3), (lib.zeros(2, 4), lib.zeros(2, 4))),
    lambda lib, m: m(lib.ones(5, 3), (lib.zeros(2, 2, 4), lib.zeros(2, 2, 4))),
    lambda lib, m: m(lib.ones(0, 2, 3)),
    lambda lib, m: m(lib.ones(5, 2, 3, dtype=lib.float64)),
]


@pytest.mark.parametrize("call", LSTM_ERRORS)
def test_lstm_forward_errors(call):
    check_error(lambda: call(torch, torch.nn.LSTM(3, 4, num_layers=2)),
                lambda: call(xptorch, nn.LSTM(3, 4, num_layers=2)))


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
@pytest.mark.parametrize("call", [
    lambda lib, m: m(lib.ones(5, 2, 3), lib.zeros(2, 2, 4)),
    lambda lib, m: m(lib.ones(5, 2, 3), lib.zeros(2, 4)),
    lambda lib, m: m(lib.ones(5, 3), lib.zeros(1, 2, 4)),
    lambda lib, m: m(lib.ones(5, 2, 3, 1)),
    lambda lib, m: m(lib.ones(5, 2, 2)),
])
def test_rnn_gru_forward_errors(kind, call):
    check_error(lambda: call(torch, getattr(torch.nn, kind)(3, 4)), lambda: call(xptorch, getattr(nn, kind)(3, 4)))


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("call", [
    lambda lib, m, lstm: m(lib.ones(2, 4)),
    lambda lib, m, lstm: m(lib.ones(2, 2, 3)),
    lambda lib, m, lstm: m(lib.ones(2, 3), (lib.ones(3, 4), lib.ones(3, 4)) if lstm else lib.ones(3, 4)),
    lambda lib, m, lstm: m(lib.ones(2, 3), (lib.ones(2, 5), lib.ones(2, 4)) if lstm else lib.ones(2, 5)),
    lambda lib, m, lstm: m(lib.ones(3), (lib.ones(2, 4), lib.ones(2, 4)) if lstm else lib.ones(2, 4)),
])
def test_cell_errors(kind, call):
    lstm = kind == "LSTMCell"
    check_error(lambda: call(torch, getattr(torch.nn, kind)(3, 4), lstm),
                lambda: call(xptorch, getattr(nn, kind)(3, 4), lstm))


def test_d2l_seq2seq_init_pattern():
    """The book re-initialises GRU weights through _flat_weights_names and _parameters."""
    m = nn.GRU(8, 16, 2, dropout=0.1)
    for name in m._flat_weights_names:
        if "weight" in name:
            nn.init.xavier_uniform_(m._parameters[name])
    bound = np.sqrt(6 / (8 + 48))
    assert np.abs(to_numpy(m.weight_ih_l0)).max() <= bound
    out, state = m(xptorch.rand(7, 4, 8))
    assert out.shape == (7, 4, 16) and state.shape == (2, 4, 16)


def test_no_graph_under_no_grad():
    m = nn.LSTM(3, 4)
    with xptorch.no_grad():
        out, (h, c) = m(xptorch.rand(2, 1, 3))
    assert out.grad_fn is None and not h.requires_grad and not c.requires_grad


def test_class_hierarchy_matches_torch():
    for name in ("RNN", "GRU", "LSTM"):
        for base in ("RNN", "RNNBase", "GRU", "LSTM"):
            assert isinstance(getattr(nn, name)(2, 3), getattr(nn, base)) == isinstance(
                getattr(torch.nn, name)(2, 3), getattr(torch.nn, base)), (name, base)


@pytest.mark.parametrize("kw", [{}, dict(batch_first=True), dict(batch_first=True, padding_value=-1.0,
                                                                  padding_side="left"), dict(padding_side="up")])
def test_pad_sequence_matches_torch(kw):
    shapes = [(3, 2), (1, 2), (4, 2)]
    arrs = [np.random.default_rng(i).standard_normal(s).astype("float32") for i, s in enumerate(shapes)]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    xs = [xptorch.tensor(a, requires_grad=True) for a in arrs]
    try:
        t = torch.nn.utils.rnn.pad_sequence(ts, **kw)
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e).replace(".", r"\.")):
            nn.utils.rnn.pad_sequence(xs, **kw)
        return
    x = nn.utils.rnn.pad_sequence(xs, **kw)
    np.testing.assert_array_equal(to_numpy(x), t.detach().cpu().numpy())
    g = np.random.default_rng(9).standard_normal(tuple(t.shape)).astype("float32")
    t.backward(torch.tensor(g))
    x.backward(xptorch.tensor(g))
    for a, b in zip(xs, ts):
        np.testing.assert_array_equal(to_numpy(a.grad), b.grad.cpu().numpy())
    back = nn.utils.rnn.unpad_sequence(x, xptorch.tensor([3, 1, 4]), batch_first=kw.get("batch_first", False))
    if kw.get("padding_side", "right") == "right":
        for a, b in zip(back, arrs):
            np.testing.assert_array_equal(to_numpy(a), b)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.rnn.pad_sequence([]),
    lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3, 2), lib.ones(2, 3)]),
])
def test_pad_sequence_errors(call):
    check_error(lambda: call(torch), lambda: call(xptorch))


def test_padded_batch_through_an_lstm():
    seqs = [xptorch.rand(n, 3) for n in (5, 2, 4)]
    out, (h, c) = nn.LSTM(3, 4, batch_first=True)(nn.utils.rnn.pad_sequence(seqs, batch_first=True))
    assert out.shape == (3, 5, 4) and h.shape == (1, 3, 4)
