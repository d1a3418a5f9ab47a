"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) against torch 2.13:
values, every gradient, state_dict keys and values, reprs, errors, caching, removal, save/load, .to, deepcopy."""
import copy
import pickle

import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import check_error, on_cpu_terms, to_numpy, xp_message  # noqa: E402

P = nn.utils.parametrize


def close(x, t, rtol=1e-5, atol=1e-6, what=""):
    np.testing.assert_allclose(to_numpy(x), to_numpy(t), rtol=rtol, atol=atol, err_msg=what)


def twin(t_module, x_module, device):
    """x_module on device with t_module's values (parameters and buffers, by state_dict name)."""
    sd = {k: xptorch.tensor(v.detach().numpy().copy()) for k, v in t_module.state_dict().items()}
    x_module.load_state_dict(sd)
    return x_module.to(device)


def same_state(x_module, t_module):
    xs, ts = x_module.state_dict(), t_module.state_dict()
    assert list(xs) == list(ts)
    for k in ts:
        close(xs[k], ts[k], what=k)


def same_grads(x_module, t_module):
    xn = dict(x_module.named_parameters())
    tn = dict(t_module.named_parameters())
    assert list(xn) == list(tn)
    for k, tp in tn.items():
        assert (xn[k].grad is None) == (tp.grad is None), k
        if tp.grad is not None:
            close(xn[k].grad, tp.grad, what=f"grad of {k}")


def same_repr(x, t):
    assert on_cpu_terms(repr(x)) == xp_message(repr(t))


class Symmetric:
    """X -> triu(X) + triu(X, 1)^T, right inverse triu(X) (the torch tutorial's example)."""

    @staticmethod
    def make(lib):
        class Symmetric(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()

        return Symmetric()


def scale(lib, c=2.0):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * c

        def right_inverse(self, A):
            return A / c

    return Scale()


def rank_one(lib):
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0] * 1.0, Z[0, :] * 1.0

    return RankOne()


def no_inverse(lib):
    class Skew(lib.nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)

    return Skew()


def run_both(build, device, x_shape=(2, 3), steps=1):
    """build(lib) -> module; torch on the CPU, xptorch on device with the same values; forward/backward."""
    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    xin = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    for _ in range(steps):
        t_out = t_m(torch.tensor(xin))
        x_out = x_m(xptorch.tensor(xin, device=device))
        close(x_out, t_out, what="output")
        t_out.square().sum().backward()
        x_out.square().sum().backward()
    same_grads(x_m, t_m)
    same_state(x_m, t_m)
    return t_m, x_m


# ---- register_parametrization -------------------------------------------------------------------
def test_symmetric_values_grads_keys_repr(device):
    def build(lib):
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric.make(lib))
        return m

    t_m, x_m = run_both(build, device, (2, 3), steps=2)
    assert type(x_m).__name__ == "ParametrizedLinear"
    assert P.type_before_parametrizations(x_m) is nn.Linear
    assert isinstance(x_m, nn.Linear)
    same_repr(x_m, t_m)
    close(x_m.weight, t_m.weight)
    assert x_m.weight.grad_fn is not None
    assert [n for n, _ in x_m.named_parameters()] == ["bias", "parametrizations.weight.original"]


def test_right_inverse_runs_at_registration_and_assignment(device):
    def run(lib, dev):
        m = lib.nn.Linear(3, 3)
        with lib.no_grad():
            m.weight.copy_(lib.arange(9.0).reshape(3, 3))
        m = m.to(dev)
        w = m.weight
        lib.nn.utils.parametrize.register_parametrization(m, "weight", scale(lib, 4.0))
        orig = m.parametrizations.weight.original
        assert orig is w  # the Parameter object is kept: optimisers keep tracking it
        out = [to_numpy(orig).copy(), to_numpy(m.weight).copy()]
        m.weight = lib.ones(3, 3, device=dev) * 8
        assert m.parametrizations.weight.original is w
        out += [to_numpy(orig).copy(), to_numpy(m.weight).copy()]
        return out

    for a, b in zip(run(xptorch, device), run(torch, "cpu")):
        np.testing.assert_allclose(a, b)


def test_stacked_parametrizations(device):
    def build(lib):
        m = lib.nn.Linear(3, 3)
        P_ = lib.nn.utils.parametrize
        P_.register_parametrization(m, "weight", Symmetric.make(lib))
        P_.register_parametrization(m, "weight", scale(lib, 3.0))
        P_.register_parametrization(m, "bias", scale(lib, 0.5))
        return m

    t_m, x_m = run_both(build, device)
    same_repr(x_m, t_m)
    assert list(x_m.state_dict()) == ["parametrizations.weight.original", "parametrizations.bias.original"]
    assert len(x_m.parametrizations.weight) == 2


def test_several_originals(device):
    def build(lib):
        m = lib.nn.Linear(4, 4)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", rank_one(lib))
        return m

    t_m, x_m = run_both(build, device, (2, 4))
    assert list(x_m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                      "parametrizations.weight.original1"]
    assert isinstance(x_m.parametrizations.weight.original0, nn.Parameter)
    assert not hasattr(x_m.parametrizations.weight, "original")
    # assignment runs right_inverse into both originals
    t_m.weight = torch.ones(4, 4) * 2
    x_m.weight = xptorch.ones(4, 4, device=device) * 2
    same_state(x_m, t_m)


def test_parametrized_buffer(device):
    def build(lib):
        m = lib.nn.BatchNorm1d(3)
        lib.nn.utils.parametrize.register_parametrization(m, "running_var", scale(lib, 2.0))
        return m

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    assert list(x_m.state_dict()) == list(t_m.state_dict())
    assert "running_var" not in dict(x_m.named_parameters())
    close(x_m.running_var, t_m.running_var)


def test_no_right_inverse_is_identity_and_blocks_assignment():
    def run(lib):
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", no_inverse(lib))
        m.weight = lib.zeros(3, 3)

    check_error(lambda: run(torch), lambda: run(xptorch))


def test_errors_leave_module_unchanged():
    def bad_shape(lib):
        class Bad(lib.nn.Module):
            def forward(self, X):
                return X[0]

            def right_inverse(self, X):
                return X * 2  # changes the original before the check fails

        return Bad()

    def bad_dtype(lib):
        class Bad(lib.nn.Module):
            def forward(self, X):
                return X.double()

        return Bad()

    cases = [
        lambda lib, m: lib.nn.utils.parametrize.register_parametrization(m, "nope", scale(lib)),
        lambda lib, m: lib.nn.utils.parametrize.register_parametrization(m, "weight", bad_shape(lib)),
        lambda lib, m: lib.nn.utils.parametrize.register_parametrization(m, "weight", bad_dtype(lib)),
        lambda lib, m: lib.nn.utils.parametrize.remove_parametrizations(m, "weight"),
    ]
    for case in cases:
        t_m = torch.nn.Linear(2, 3)
        x_m = nn.Linear(2, 3)
        before = {k: to_numpy(v).copy() for k, v in x_m.state_dict().items()}
        check_error(lambda: case(torch, t_m), lambda: case(xptorch, x_m))
        assert type(x_m) is nn.Linear and not P.is_parametrized(x_m)
        after = x_m.state_dict()
        assert list(after) == list(before)
        for k in before:
            np.testing.assert_array_equal(to_numpy(after[k]), before[k])


def test_stacked_checks():
    def run(lib, param, unsafe=False):
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", scale(lib))
        lib.nn.utils.parametrize.register_parametrization(m, "weight", param, unsafe=unsafe)
        return m

    class Shape:
        def __init__(self, lib):
            class S(lib.nn.Module):
                def forward(self, X):
                    return X[:2]
            self.m = S()

    check_error(lambda: run(torch, Shape(torch).m), lambda: run(xptorch, Shape(xptorch).m))
    x_m = run(xptorch, Shape(xptorch).m, unsafe=True)
    t_m = run(torch, Shape(torch).m, unsafe=True)
    assert tuple(x_m.weight.shape) == tuple(t_m.weight.shape) == (2, 3)
    assert x_m.parametrizations.weight.unsafe is True


def test_multi_tensor_errors():
    def not_tensors(lib):
        class M(lib.nn.Module):
            def forward(self, X):
                return X

            def right_inverse(self, X):
                return 3

        return M()

    def run(lib):
        lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", not_tensors(lib))

    check_error(lambda: run(torch), lambda: run(xptorch))

    def remove_unparametrized(lib):
        m = lib.nn.Linear(4, 4)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", rank_one(lib))
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)

    check_error(lambda: remove_unparametrized(torch), lambda: remove_unparametrized(xptorch))


# ---- removal, queries, caching --------------------------------------------------------------------
@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(device, leave):
    def build(lib):
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric.make(lib))
        lib.nn.utils.parametrize.register_parametrization(m, "bias", scale(lib))
        return m

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    orig = x_m.parametrizations.weight.original
    for m, lib in ((t_m, torch), (x_m, xptorch)):
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert x_m.weight is orig and isinstance(x_m.weight, nn.Parameter)
    assert P.is_parametrized(x_m) and not P.is_parametrized(x_m, "weight") and P.is_parametrized(x_m, "bias")
    assert type(x_m).__name__ == "ParametrizedLinear"
    same_state(x_m, t_m)
    same_repr(x_m, t_m)
    for m, lib in ((t_m, torch), (x_m, xptorch)):
        lib.nn.utils.parametrize.remove_parametrizations(m, "bias", leave_parametrized=leave)
    assert type(x_m) is nn.Linear and not hasattr(x_m, "parametrizations")
    assert not P.is_parametrized(x_m)
    same_state(x_m, t_m)
    same_repr(x_m, t_m)
    assert [n for n, _ in x_m.named_parameters()] == ["weight", "bias"]


def test_remove_several_originals_leaves_a_new_parameter(device):
    def build(lib):
        m = lib.nn.Linear(4, 4)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", rank_one(lib))
        return m

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    P.remove_parametrizations(x_m, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(t_m, "weight")
    assert isinstance(x_m.weight, nn.Parameter) and x_m.weight.grad_fn is None
    assert list(x_m.state_dict()) == ["bias", "weight"] == list(t_m.state_dict())
    same_state(x_m, t_m)


def test_cached_computes_once():
    calls = []

    class Count(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", Count())
    calls.clear()
    with P.cached():
        a = m.weight
        with P.cached():
            b = m.weight
        c = m.weight
    assert a is b is c and len(calls) == 1
    d = m.weight
    assert d is not a and len(calls) == 2
    (a.sum() + d.sum()).backward()
    np.testing.assert_allclose(to_numpy(m.parametrizations.weight.original.grad), np.full((3, 3), 4.0))


def test_is_parametrized_and_type_before():
    for lib in (torch, xptorch):
        m = lib.nn.Linear(2, 2)
        P_ = lib.nn.utils.parametrize
        assert not P_.is_parametrized(m) and not P_.is_parametrized(m, "weight")
        assert P_.type_before_parametrizations(m) is lib.nn.Linear
        P_.register_parametrization(m, "weight", scale(lib))
        assert P_.is_parametrized(m) and P_.is_parametrized(m, "weight") and not P_.is_parametrized(m, "bias")
        assert P_.type_before_parametrizations(m) is lib.nn.Linear
        assert type(m).__bases__ == (lib.nn.Linear,)


def test_training_mode_follows_module():
    m = nn.Linear(2, 2).eval()
    p = scale(xptorch)
    P.register_parametrization(m, "weight", p)
    assert p.training is False
    m.train()
    assert p.training is True


def test_transfer_parametrizations_and_params():
    src = nn.Linear(3, 3)
    P.register_parametrization(src, "weight", Symmetric.make(xptorch))
    dst = nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(src, dst)
    assert P.is_parametrized(dst, "weight")
    np.testing.assert_allclose(to_numpy(dst.weight), to_numpy(src.weight))


# ---- moves, copies, save/load -----------------------------------------------------------------------
def test_to_device_keeps_identities(device):
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", scale(xptorch))
    nn.utils.parametrizations.spectral_norm(m, "weight")
    orig, bias = m.parametrizations.weight.original, m.bias
    m.to(device).double()
    assert m.parametrizations.weight.original is orig and m.bias is bias
    assert m.weight.device.type == xptorch.device(device).type and m.weight.dtype == xptorch.float64
    assert m.parametrizations.weight[1]._u.device.type == xptorch.device(device).type


def test_deepcopy(device):
    m = nn.Linear(3, 3).to(device)
    nn.utils.parametrizations.weight_norm(m)
    c = copy.deepcopy(m)
    assert type(c) is type(m) and type(c).__name__ == "ParametrizedLinear"
    np.testing.assert_allclose(to_numpy(c.weight), to_numpy(m.weight))
    with xptorch.no_grad():
        c.parametrizations.weight.original0.mul_(2)
    np.testing.assert_allclose(to_numpy(c.weight), 2 * to_numpy(m.weight), rtol=1e-6)
    assert c.parametrizations.weight.original0 is not m.parametrizations.weight.original0


def test_pickle_refuses_as_torch():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", scale(lib))
        pickle.dumps(m)

    with pytest.raises(RuntimeError) as t_exc:
        run(torch)
    with pytest.raises(RuntimeError) as x_exc:
        run(xptorch)
    assert str(x_exc.value) == str(t_exc.value)


def test_save_load_round_trip(device, tmp_path):
    def build(lib):
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Conv1d(2, 3, 2))
        lib.nn.utils.parametrizations.weight_norm(m[0])
        lib.nn.utils.parametrizations.spectral_norm(m[1])
        return m

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    path = tmp_path / "m.pt"
    xptorch.save(x_m.state_dict(), path)
    fresh = build(xptorch).to(device)
    keys = fresh.load_state_dict(xptorch.load(path))
    assert repr(keys) == "<All keys matched successfully>"
    same_state(fresh, t_m)
    close(fresh[0].weight, t_m[0].weight)
    # torch reads our file's keys as its own
    assert list(fresh.state_dict()) == list(t_m.state_dict())


# ---- parametrizations.weight_norm ---------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_weight_norm_conv(device, dim):
    def build(lib):
        return lib.nn.utils.parametrizations.weight_norm(lib.nn.Conv1d(2, 3, 2), dim=dim)

    t_m, x_m = run_both(build, device, (2, 2, 5), steps=2)
    same_repr(x_m, t_m)
    t_g = t_m.parametrizations.weight.original0
    assert tuple(x_m.parametrizations.weight.original0.shape) == tuple(t_g.shape)


def test_weight_norm_loads_old_keys(device):
    torch.manual_seed(0)
    with pytest.warns(FutureWarning):
        old = torch.nn.utils.weight_norm(torch.nn.Linear(3, 4))
    sd = {k: xptorch.tensor(v.detach().numpy().copy()) for k, v in old.state_dict().items()}
    assert sorted(sd) == ["bias", "weight_g", "weight_v"]
    m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4)).to(device)
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    close(m.weight, old.weight)


# ---- parametrizations.spectral_norm -------------------------------------------------------------------
@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_linear_training_and_eval(device, n_iter):
    def build(lib):
        return lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(4, 5), n_power_iterations=n_iter)

    t_m, x_m = run_both(build, device, (2, 4), steps=3)
    same_repr(x_m, t_m)
    t_m.eval()
    x_m.eval()
    u = to_numpy(x_m.parametrizations.weight[0]._u).copy()
    for _ in range(2):
        close(x_m.weight, t_m.weight)
    np.testing.assert_array_equal(to_numpy(x_m.parametrizations.weight[0]._u), u)
    same_state(x_m, t_m)


@pytest.mark.parametrize("kind", ["conv2d", "convT", "dim1"])
def test_spectral_norm_conv(device, kind):
    def build(lib):
        if kind == "conv2d":
            return lib.nn.utils.parametrizations.spectral_norm(lib.nn.Conv2d(2, 3, 2), eps=1e-6)
        if kind == "convT":
            return lib.nn.utils.parametrizations.spectral_norm(lib.nn.ConvTranspose2d(2, 3, 2))
        return lib.nn.utils.parametrizations.spectral_norm(lib.nn.Conv2d(2, 3, 2), dim=1)

    run_both(build, device, (1, 2, 4, 4), steps=2)


def test_spectral_norm_unit_largest_singular_value():
    m = nn.utils.parametrizations.spectral_norm(nn.Linear(6, 5))
    for _ in range(30):
        m.weight
    s = np.linalg.svd(to_numpy(m.weight), compute_uv=False)
    np.testing.assert_allclose(s[0], 1.0, rtol=1e-4)


def test_spectral_norm_errors():
    cases = [
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=2),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), "nope"),
        lambda lib: lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2), "nope"),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))


def test_spectral_norm_vector_is_normalised(device):
    def build(lib):
        m = lib.nn.Linear(3, 4)
        return lib.nn.utils.parametrizations.spectral_norm(m, "bias")

    run_both(build, device, (2, 3))


@pytest.mark.parametrize("kind", ["LSTM", "GRUCell"])
def test_parametrized_rnn_weights(device, kind):
    def build(lib):
        if kind == "LSTM":
            m = lib.nn.LSTM(3, 3, batch_first=True)
            lib.nn.utils.parametrizations.weight_norm(m, "weight_hh_l0")
            lib.nn.utils.parametrize.register_parametrization(m, "bias_ih_l0", scale(lib))
            return m
        m = lib.nn.GRUCell(3, 3)
        lib.nn.utils.parametrizations.spectral_norm(m, "weight_hh")
        return m

    def first(out):
        return out[0] if isinstance(out, tuple) else out

    torch.manual_seed(0)
    t_m = build(torch)
    x_m = twin(t_m, build(xptorch), device)
    xin = np.random.default_rng(0).standard_normal((2, 4, 3) if kind == "LSTM" else (2, 3)).astype(np.float32)
    t_out = first(t_m(torch.tensor(xin)))
    x_out = first(x_m(xptorch.tensor(xin, device=device)))
    close(x_out, t_out)
    t_out.square().sum().backward()
    x_out.square().sum().backward()
    same_grads(x_m, t_m)
    same_state(x_m, t_m)


# ---- parametrizations.orthogonal -----------------------------------------------------------------------
ORTH_CASES = [((4, 4), None, True), ((4, 4), "cayley", True), ((4, 4), "householder", True),
              ((5, 3), None, True), ((3, 5), "matrix_exp", True), ((3, 5), "cayley", True),
              ((4, 4), "householder", False), ((5, 3), "householder", False), ((3, 5), None, False),
              ((4, 4), "matrix_exp", False)]


def orth_pair(shape, orthogonal_map, triv, device, dtype="float32"):
    """Registered on equal weights; the non-square trivialisations draw a random base, copied from torch."""
    torch.manual_seed(0)
    t_lin = torch.nn.Linear(shape[1], shape[0]).to(getattr(torch, dtype))
    x_lin = twin(t_lin, nn.Linear(shape[1], shape[0]).to(getattr(xptorch, dtype)), device)
    t_m = torch.nn.utils.parametrizations.orthogonal(t_lin, orthogonal_map=orthogonal_map, use_trivialization=triv)
    x_m = nn.utils.parametrizations.orthogonal(x_lin, orthogonal_map=orthogonal_map, use_trivialization=triv)
    if shape[0] == shape[1] or not triv:
        same_state(x_m, t_m)  # the registration itself (QR / geqrf of the weight) matches torch
    else:
        twin(t_m, x_m, device)
    return t_m, x_m


@pytest.mark.parametrize("shape,orthogonal_map,triv", ORTH_CASES)
def test_orthogonal_values_and_grads(device, shape, orthogonal_map, triv):
    t_m, x_m = orth_pair(shape, orthogonal_map, triv, device)
    assert list(x_m.state_dict()) == list(t_m.state_dict())
    same_repr(x_m, t_m)
    close(x_m.weight, t_m.weight)
    # move away from the starting point, then compare values and gradients
    delta = np.random.default_rng(3).standard_normal(shape).astype(np.float32) * 0.3
    with torch.no_grad():
        t_m.parametrizations.weight.original.add_(torch.tensor(delta))
    with xptorch.no_grad():
        x_m.parametrizations.weight.original.add_(xptorch.tensor(delta, device=device))
    w = to_numpy(x_m.weight)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    if x_m.parametrizations.weight[0].orthogonal_map.name != "householder":  # its signs come from int(diag)
        np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)
    xin = np.random.default_rng(4).standard_normal((2, shape[1])).astype(np.float32)
    t_out = t_m(torch.tensor(xin))
    x_out = x_m(xptorch.tensor(xin, device=device))
    close(x_out, t_out, rtol=1e-5, atol=1e-5)
    (t_out ** 3).sum().backward()
    (x_out ** 3).sum().backward()
    for k, tp in t_m.named_parameters():
        close(dict(x_m.named_parameters())[k].grad, tp.grad, rtol=1e-4, atol=1e-5, what=k)


@pytest.mark.parametrize("shape,orthogonal_map", [((4, 4), None), ((4, 4), "cayley"), ((4, 4), "householder")])
def test_orthogonal_assignment(device, shape, orthogonal_map):
    t_m, x_m = orth_pair(shape, orthogonal_map, True, device)
    q = np.linalg.qr(np.random.default_rng(5).standard_normal(shape))[0].astype(np.float32)
    t_m.weight = torch.tensor(q)
    x_m.weight = xptorch.tensor(q, device=device)
    same_state(x_m, t_m)
    close(x_m.weight, t_m.weight)
    np.testing.assert_allclose(to_numpy(x_m.weight), q, atol=1e-5)


def test_orthogonal_float64_matrix_exp_gradcheck():
    """The Taylor matrix exponential's values and gradients against torch's in float64."""
    t_m, x_m = orth_pair((5, 5), "matrix_exp", True, "cpu", dtype="float64")
    delta = np.random.default_rng(6).standard_normal((5, 5)) * 2.0  # norm > 1: scaling and squaring used
    with torch.no_grad():
        t_m.parametrizations.weight.original.add_(torch.tensor(delta))
    with xptorch.no_grad():
        x_m.parametrizations.weight.original.add_(xptorch.tensor(delta))
    close(x_m.weight, t_m.weight, rtol=1e-12, atol=1e-12)
    (t_m.weight ** 3).sum().backward()
    (x_m.weight ** 3).sum().backward()
    close(x_m.parametrizations.weight.original.grad, t_m.parametrizations.weight.original.grad,
          rtol=1e-10, atol=1e-10)


def test_orthogonal_errors():
    cases = [
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "bias"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "nope"),
        lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="svd"),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))

    def assign(lib, shape, orthogonal_map=None, triv=True):
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map=orthogonal_map,
                                                     use_trivialization=triv)
        m.weight = lib.zeros(*shape)

    check_error(lambda: assign(torch, (3, 2)), lambda: assign(xptorch, (3, 2)))
    check_error(lambda: assign(torch, (3, 3), "cayley", False), lambda: assign(xptorch, (3, 3), "cayley", False))


def test_sequential_reads_weights_moved_out_of_parameters(device):
    """Functional code that replaces a Linear's parameter by a plain attribute still runs in a Sequential."""
    torch.manual_seed(0)
    t_seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    x_seq = twin(t_seq, nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), device)
    for seq, lib, dev in ((t_seq, torch, "cpu"), (x_seq, xptorch, device)):
        w = seq[0].weight.detach() * 2
        del seq[0].weight
        seq[0].weight = w.to(dev)
        b = seq[2].bias.detach() + 1
        del seq[2].bias
        seq[2].bias = b.to(dev)
    xin = np.ones((2, 3), np.float32)
    close(x_seq(xptorch.tensor(xin, device=device)), t_seq(torch.tensor(xin)))


def test_failed_assignment_changes_no_original():
    def flaky(lib):
        class Flaky(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.calls = 0

            def forward(self, x, y):
                return x.unsqueeze(-1) @ y.unsqueeze(-2)

            def right_inverse(self, Z):
                self.calls += 1
                y = Z[0, :] * 1.0
                return Z[:, 0] * 1.0, (y if self.calls == 1 else y.double())  # wrong dtype the second time

        return Flaky()

    def run(lib):
        m = lib.nn.Linear(3, 3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", flaky(lib))
        before = [to_numpy(m.parametrizations.weight.original0).copy(),
                  to_numpy(m.parametrizations.weight.original1).copy()]
        with pytest.raises(ValueError) as exc:
            m.weight = lib.ones(3, 3) * 5
        return m, before, str(exc.value)

    _, _, t_msg = run(torch)
    x_m, before, x_msg = run(xptorch)
    assert x_msg == xp_message(t_msg)
    np.testing.assert_array_equal(to_numpy(x_m.parametrizations.weight.original0), before[0])
    np.testing.assert_array_equal(to_numpy(x_m.parametrizations.weight.original1), before[1])


def test_training_steps_match_torch(device):
    """A few Adam steps on a network with orthogonal, weight-norm and spectral-norm layers: the optimiser holds
    the originals, and every step's parameters match torch's."""
    def build(lib):
        net = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.Tanh(), lib.nn.Linear(4, 3), lib.nn.Tanh(),
                                lib.nn.Linear(3, 2))
        lib.nn.utils.parametrizations.orthogonal(net[0])
        lib.nn.utils.parametrizations.weight_norm(net[2])
        lib.nn.utils.parametrizations.spectral_norm(net[4])
        return net

    torch.manual_seed(0)
    t_net = build(torch)
    x_net = twin(t_net, build(xptorch), device)
    t_opt = torch.optim.Adam(t_net.parameters(), lr=0.05)
    x_opt = xptorch.optim.Adam(x_net.parameters(), lr=0.05)
    rng = np.random.default_rng(0)
    for _ in range(4):
        xin = rng.standard_normal((5, 4)).astype(np.float32)
        for net, opt, lib, dev in ((t_net, t_opt, torch, "cpu"), (x_net, x_opt, xptorch, device)):
            opt.zero_grad()
            net(lib.tensor(xin, device=dev)).square().mean().backward()
            opt.step()
        for k, v in t_net.state_dict().items():
            close(x_net.state_dict()[k], v, rtol=1e-4, atol=1e-5, what=k)
    w = to_numpy(x_net[0].weight)
    np.testing.assert_allclose(w @ w.T, np.eye(4), atol=1e-5)
