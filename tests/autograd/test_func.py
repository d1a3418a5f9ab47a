"""xptorch.func transforms (grad, grad_and_value, vjp, jacrev, hessian, vmap) against torch.func 2.13: values,
argnums and has_aux, nested inputs, composition (grad of grad, vmap of grad, per-sample gradients with
functional_call), closed-over parameters still differentiable, randomness modes, errors."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import check_error, to_numpy  # noqa: E402


def close(x, t, rtol=1e-5, atol=1e-6):
    if isinstance(t, (tuple, list)):
        assert isinstance(x, type(t)) and len(x) == len(t), (type(x), type(t))
        for a, b in zip(x, t):
            close(a, b, rtol, atol)
        return
    if isinstance(t, dict):
        assert isinstance(x, dict) and list(x) == list(t)
        for k in t:
            close(x[k], t[k], rtol, atol)
        return
    assert isinstance(x, xptorch.Tensor), type(x)
    assert tuple(x.shape) == tuple(t.shape), (tuple(x.shape), tuple(t.shape))
    np.testing.assert_allclose(to_numpy(x), to_numpy(t), rtol=rtol, atol=atol)


def arr(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, shape).astype(dtype)


def both(fn, *arrays, device="cpu"):
    """fn(lib, *tensors) on torch (CPU) and xptorch (device)."""
    t = fn(torch, *[torch.tensor(a) for a in arrays])
    x = fn(xptorch, *[xptorch.tensor(a, device=device) for a in arrays])
    close(x, t)
    return x, t


def f_scalar(lib, a, b):
    return (a.sin() * b).sum() + (a * a * b.exp()).mean()


# ---- grad / grad_and_value ---------------------------------------------------------------------------
@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1, 0)])
def test_grad_argnums(device, argnums):
    x, _ = both(lambda lib, a, b: lib.func.grad(lambda p, q: f_scalar(lib, p, q), argnums=argnums)(a, b),
                arr(3, 2), arr(3, 2, seed=1), device=device)
    for g in (x if isinstance(x, tuple) else (x,)):
        assert not g.requires_grad and g.grad_fn is None


def test_grad_and_value_has_aux_and_nested_inputs(device):
    def fn(lib, a, b):
        def f(params, scale):
            y = params["w"] * params["v"][0] + params["v"][1]
            return (y * scale).square().sum(), {"y": y, "n": scale * y.sum()}
        return lib.func.grad_and_value(f, has_aux=True)({"w": a, "v": (b, a * 2)}, 0.5)

    x, t = both(fn, arr(4), arr(4, seed=2), device=device)
    (g, (value, aux)) = x
    assert list(g) == ["w", "v"] and isinstance(g["v"], tuple)
    assert not aux["n"].requires_grad and not aux["y"].requires_grad and not value.requires_grad


def test_unused_and_constant_give_zeros(device):
    both(lambda lib, a, b: lib.func.grad(lambda p, q: (q * 2).sum(), argnums=(0, 1))(a, b), arr(3), arr(3),
         device=device)
    both(lambda lib, a: lib.func.grad(lambda p: lib.tensor(3.0, device=p.device))(a), arr(3), device=device)


def test_grad_of_grad_and_closure_parameters(device):
    both(lambda lib, a: lib.func.grad(lambda p: lib.func.grad(lambda q: (q ** 3).sin().sum())(p).sum())(a),
         arr(5), device=device)

    def closure(lib, a, w):
        p = lib.nn.Parameter(w)
        g = lib.func.grad(lambda x: ((x * p).sum()) ** 2)(a)
        assert g.requires_grad  # still a function of p
        g.square().sum().backward()
        return g.detach(), p.grad

    both(closure, arr(3), arr(3, seed=5), device=device)


def test_grad_of_input_that_requires_grad_stays_differentiable(device):
    def fn(lib, a):
        a = a.clone().requires_grad_()
        g = lib.func.grad(lambda x: (x ** 3).sum())(a)
        (h,) = lib.autograd.grad(g.sum(), a)
        return g.detach(), h

    both(fn, arr(4), device=device)


def test_grad_under_no_grad(device):
    def fn(lib, a):
        with lib.no_grad():
            g = lib.func.grad(lambda x: (x.exp() * x).sum())(a)
        return g

    both(fn, arr(3), device=device)


def test_grad_errors():
    cases = [
        lambda lib: lib.func.grad(lambda x: x)(lib.ones(2, 3)),
        lambda lib: lib.func.grad(lambda x: 3.0)(lib.ones(2)),
        lambda lib: lib.func.grad(lambda x: x.sum(), argnums=2)(lib.ones(2)),
        lambda lib: lib.func.grad(lambda x: x.sum(), argnums=[0])(lib.ones(2)),
        lambda lib: lib.func.grad(lambda x: x.sum(), argnums=())(lib.ones(2)),
        lambda lib: lib.func.grad(lambda x, y: x.sum(), argnums=(0, 0))(lib.ones(2), lib.ones(2)),
        lambda lib: lib.func.grad(lambda x: x.sum(), argnums=0.0)(lib.ones(2)),
        lambda lib: lib.func.grad(lambda x: x.sum())(3.0),
        lambda lib: lib.func.grad(lambda x: x.sum(), has_aux=True)(lib.ones(2)),
        lambda lib: lib.func.grad(lambda x: (x.sum(), {"n": 3}), has_aux=True)(lib.ones(2)),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))


# ---- vjp -------------------------------------------------------------------------------------------
def test_vjp(device):
    def fn(lib, a, b, c1, c2):
        out, vjp_fn = lib.func.vjp(lambda p, q: (p * q.sin(), (p @ q.T).tanh()), a, b)
        assert not out[0].requires_grad
        first = vjp_fn((c1, c2))
        again = vjp_fn((c1 * 2, c2 * 2))  # the graph is kept for more calls
        return out, first, again

    both(fn, arr(2, 3), arr(2, 3, seed=1), arr(2, 3, seed=2), arr(2, 2, seed=3), device=device)


def test_vjp_has_aux_and_errors(device):
    both(lambda lib, a: lib.func.vjp(lambda p: (p.exp(), p.sum()), a, has_aux=True)[2], arr(3), device=device)
    cases = [
        lambda lib: lib.func.vjp(lambda p: p.exp(), lib.ones(2), has_aux=True),
        lambda lib: lib.func.vjp(lambda p: (p > 0), lib.ones(2)),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))
    _, fn = xptorch.func.vjp(lambda p: (p, p), xptorch.ones(2))
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        fn(xptorch.ones(2))


# ---- jacrev, hessian ------------------------------------------------------------------------------------
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jacrev(device, argnums):
    def fn(lib, a, b):
        return lib.func.jacrev(lambda p, q: {"u": (p @ q).sin(), "v": p.sum() * q}, argnums=argnums)(a, b)

    both(fn, arr(2, 3), arr(3, 4, seed=1), device=device)


JIT_WARNING = "ignore:`torch.jit.script` is deprecated:DeprecationWarning"  # torch.func.hessian's jacfwd


@pytest.mark.filterwarnings(JIT_WARNING)
def test_jacrev_has_aux_and_hessian(device):
    both(lambda lib, a: lib.func.jacrev(lambda p: (p.exp(), p.mean()), has_aux=True)(a), arr(3), device=device)
    both(lambda lib, a, b: lib.func.hessian(lambda p, q: (p.sin() * q).sum() * p.square().sum(), argnums=(0, 1))(a, b),
         arr(3), arr(3, seed=1), device=device)
    with pytest.raises(ValueError, match="chunk_size"):
        xptorch.func.jacrev(lambda p: p, chunk_size=0)


@pytest.mark.filterwarnings(JIT_WARNING)
def test_hessian_float64_matches_torch():
    a = arr(4, dtype=np.float64)
    t = torch.func.hessian(lambda p: (p.exp() * p.sin()).sum() / (1 + p.square().sum()))(torch.tensor(a))
    x = xptorch.func.hessian(lambda p: (p.exp() * p.sin()).sum() / (1 + p.square().sum()))(xptorch.tensor(a))
    close(x, t, rtol=1e-12, atol=1e-12)


# ---- vmap ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_dims,out_dims", [(0, 0), (1, 0), ((0, None), 1), ((-1, 0), -1), ((1, 1), (1, 0))])
def test_vmap_dims(device, in_dims, out_dims):
    def fn(lib, a, b):
        def f(p, q):
            y = p * q.sum() + p.exp()
            return (y, y.sum()) if isinstance(out_dims, tuple) else y

        return lib.func.vmap(f, in_dims=in_dims, out_dims=out_dims)(a, b)

    b = arr(3, 4, seed=1) if in_dims != (-1, 0) else arr(4, 3, seed=1)
    both(fn, arr(3, 4), b, device=device)


def test_vmap_nested_structures_kwargs_and_unmapped_outputs(device):
    def fn(lib, a, b):
        def f(d, scale=1.0):
            return {"s": d["x"] * d["y"][0] * scale, "k": d["y"][1]}

        return lib.func.vmap(f, in_dims=({"x": 0, "y": (1, None)},), out_dims={"s": 0, "k": None})(
            {"x": a, "y": (b, b.sum())}, scale=2.0)

    both(fn, arr(3, 2), arr(2, 3, seed=1), device=device)


def test_vmap_compositions(device):
    both(lambda lib, a: lib.func.vmap(lib.func.vmap(lambda v: v.sin() * v.sum()))(a), arr(2, 3, 4), device=device)
    both(lambda lib, a: lib.func.vmap(lib.func.grad(lambda v: (v ** 3).sum()))(a), arr(4, 3), device=device)
    both(lambda lib, a: lib.func.grad(lambda m: lib.func.vmap(lambda r: r.sin().sum())(m).sum())(a), arr(4, 3),
         device=device)
    both(lambda lib, a: lib.func.vmap(lib.func.jacrev(lambda v: v.exp() * v.sum()))(a), arr(2, 3), device=device)


def test_per_sample_gradients(device):
    """The torch.func recipe: vmap(grad(loss over functional_call)) over a batch."""
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    x_model = xptorch.nn.Sequential(xptorch.nn.Linear(4, 5), xptorch.nn.Tanh(), xptorch.nn.Linear(5, 2))
    x_model.load_state_dict({k: xptorch.tensor(v.numpy().copy()) for k, v in t_model.state_dict().items()})
    x_model.to(device)
    data, target = arr(6, 4), arr(6, 2, seed=1)

    def run(lib, model, dev):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, y):
            out = lib.func.functional_call(model, p, (x.unsqueeze(0),))
            return ((out - y.unsqueeze(0)) ** 2).mean()

        return lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(
            params, lib.tensor(data, device=dev), lib.tensor(target, device=dev))

    t = run(torch, t_model, "cpu")
    x = run(xptorch, x_model, device)
    close(x, t)
    assert tuple(x["0.weight"].shape) == (6, 5, 4)


def test_vmap_randomness(device):
    def draw(lib, mode):
        return lib.func.vmap(lambda v: v + lib.rand(3, device=v.device), randomness=mode)(lib.zeros(4, 3,
                                                                                             device=device))

    check_error(lambda: torch.func.vmap(lambda v: v + torch.rand(3))(torch.zeros(4, 3)),
                lambda: draw(xptorch, "error"))
    same = to_numpy(draw(xptorch, "same"))
    assert (same == same[0]).all()
    different = to_numpy(draw(xptorch, "different"))
    assert len({tuple(r) for r in different}) == 4
    xptorch.manual_seed(0)
    a = to_numpy(draw(xptorch, "same"))
    xptorch.manual_seed(0)
    b = to_numpy(xptorch.rand(3, device=device))
    np.testing.assert_array_equal(a[0], b)  # 'same' draws once from where the stream stood
    # random ops outside the mapped function are untouched
    xptorch.func.vmap(lambda v: v * 2)(xptorch.rand(2, 3, device=device))


def test_vmap_errors():
    cases = [
        lambda lib: lib.func.vmap(lambda v: v, randomness="bad")(lib.ones(2)),
        lambda lib: lib.func.vmap(lambda v: v, in_dims=[0])(lib.ones(2)),
        lambda lib: lib.func.vmap(lambda: 1)(),
        lambda lib: lib.func.vmap(lambda v, s: v * s, in_dims=(0, 0))(lib.ones(2), 3.0),
        lambda lib: lib.func.vmap(lambda v: v, in_dims=2)(lib.ones(2, 3)),
        lambda lib: lib.func.vmap(lambda v: v, in_dims=(None,))(lib.ones(2, 3)),
        lambda lib: lib.func.vmap(lambda v, w: v + w)(lib.ones(2), lib.ones(3)),
        lambda lib: lib.func.vmap(lambda v: (v, 3))(lib.ones(2)),
        lambda lib: lib.func.vmap(lambda v: v, out_dims="a")(lib.ones(2)),
        lambda lib: lib.func.vmap(lambda v: v, in_dims=(0.5,))(lib.ones(2)),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))
    for case in (lambda lib: lib.func.vmap(lambda v: v, in_dims=(0, 1))(lib.ones(2, 3)),
                 lambda lib: lib.func.vmap(lambda v: (v, v), out_dims=(0, 0, 0))(lib.ones(2))):
        with pytest.raises(ValueError) as t_exc:
            case(torch)
        with pytest.raises(ValueError) as x_exc:
            case(xptorch)
        head = str(t_exc.value).split(" has structure")[0]  # then torch's TreeSpec repr
        assert str(x_exc.value).startswith(head)


# ---- jvp, jacfwd (two reverse passes), stack_module_state -------------------------------------------------
@pytest.mark.filterwarnings(JIT_WARNING)
def test_jvp(device):
    def fn(lib, a, b, ta, tb):
        return lib.func.jvp(lambda p, q: ((p @ q).tanh(), (p.sin() * 2).sum()), (a, b), (ta, tb))

    out = both(fn, arr(2, 3), arr(3, 4, seed=1), arr(2, 3, seed=2), arr(3, 4, seed=3), device=device)[0]
    assert not out[1][0].requires_grad
    both(lambda lib, a, t: lib.func.jvp(lambda p: (p.exp(), p.sum()), (a,), (t,), has_aux=True)[2], arr(3),
         arr(3, seed=1), device=device)
    for case in (lambda lib: lib.func.jvp(lambda p: p, lib.ones(2), (lib.ones(2),)),
                 lambda lib: lib.func.jvp(lambda p: p.exp(), (lib.ones(2),), (lib.ones(2), lib.ones(2)))):
        with pytest.raises(RuntimeError) as t_exc:
            case(torch)
        with pytest.raises(RuntimeError) as x_exc:
            case(xptorch)
        assert str(x_exc.value).split(" Got primals with")[0] == str(t_exc.value).split(" Got primals with")[0]


@pytest.mark.filterwarnings(JIT_WARNING)
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacfwd(device, argnums):
    def fn(lib, a, b):
        return lib.func.jacfwd(lambda p, q: {"u": (p @ q).sin(), "v": p.sum() * q}, argnums=argnums)(a, b)

    both(fn, arr(2, 3), arr(3, 4, seed=1), device=device)
    both(lambda lib, a: lib.func.jacfwd(lambda p: (p.exp(), p.mean()), has_aux=True)(a), arr(3), device=device)


def test_model_ensembling(device):
    """stack_module_state + vmap over functional_call, the torch.func ensembling recipe."""
    torch.manual_seed(0)
    t_models = [torch.nn.Linear(3, 2) for _ in range(4)]
    x_models = []
    for tm in t_models:
        xm = xptorch.nn.Linear(3, 2)
        xm.load_state_dict({k: xptorch.tensor(v.numpy().copy()) for k, v in tm.state_dict().items()})
        x_models.append(xm.to(device))
    data = arr(5, 3)

    def run(lib, models, dev):
        params, buffers = lib.func.stack_module_state(models)
        assert all(v.is_leaf and v.requires_grad for v in params.values())
        base = models[0]

        def call(p, b, x):
            return lib.func.functional_call(base, (p, b), (x,))

        out = lib.func.vmap(call, in_dims=(0, 0, None))(params, buffers, lib.tensor(data, device=dev))
        out.square().sum().backward()
        return out, params["weight"].grad

    close(run(xptorch, x_models, device), run(torch, t_models, "cpu"))
    cases = [
        lambda lib: lib.func.stack_module_state([]),
        lambda lib: lib.func.stack_module_state([lib.nn.Linear(1, 1), lib.nn.Linear(1, 1).eval()]),
        lambda lib: lib.func.stack_module_state([lib.nn.Linear(1, 1), lib.nn.Conv1d(1, 1, 1)]),
        lambda lib: lib.func.stack_module_state([lib.nn.Linear(1, 1), lib.nn.Linear(1, 1).requires_grad_(False)]),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))


# torch.func.linearize traces with torch.fx, which warns
@pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node:UserWarning")
def test_linearize(device):
    def fn(lib, a, t1, t2):
        out, jvp_fn = lib.func.linearize(lambda p: (p.sin() * p.sum(), p.exp()), a)
        return out, jvp_fn(t1), jvp_fn(t2)

    both(fn, arr(3), arr(3, seed=1), arr(3, seed=2), device=device)


def test_replace_all_batch_norm_modules(device):
    def run(lib, dev):
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Sequential(lib.nn.BatchNorm1d(4)))
        lib.func.replace_all_batch_norm_modules_(m)
        m.eval()
        return m

    torch.manual_seed(0)
    t_m = run(torch, "cpu")
    x_m = run(xptorch, device)
    assert list(x_m.state_dict()) == list(t_m.state_dict())
    assert repr(x_m) == repr(t_m)
    x_m.load_state_dict({k: xptorch.tensor(v.numpy().copy()) for k, v in t_m.state_dict().items()})
    x_m.to(device)
    data = arr(5, 3)
    close(x_m(xptorch.tensor(data, device=device)), t_m(torch.tensor(data)), rtol=1e-4, atol=1e-5)


def test_functionalize_and_debug_unwrap(device):
    both(lambda lib, a: lib.func.functionalize(lambda p: p.add_(1) * 2)(a.clone()), arr(3), device=device)
    check_error(lambda: torch.func.functionalize(lambda p: p, remove="bad"),
                lambda: xptorch.func.functionalize(lambda p: p, remove="bad"))
    t = xptorch.ones(2, device=device)
    assert xptorch.func.debug_unwrap(t) is t


def test_top_level_vmap_and_checks_at_call_time(device):
    both(lambda lib, a: lib.vmap(lambda v: v.square().sum(), in_dims=1)(a), arr(3, 4), device=device)
    f = xptorch.vmap(lambda v: v, out_dims="a")  # as torch: out_dims is checked when called
    check_error(lambda: torch.vmap(lambda v: v, out_dims="a")(torch.ones(2)), lambda: f(xptorch.ones(2)))
    check_error(lambda: torch.vmap(lambda v: v, chunk_size=0), lambda: xptorch.vmap(lambda v: v, chunk_size=0))
