"""state_dict / load_state_dict against torch 2.13: keys, aliasing, messages, casting, assign, hooks,
and the all-or-nothing guarantee (a failing load changes nothing)."""
import collections
import warnings

import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import assert_same_error, on_cpu_terms, xp_message  # noqa: E402

OD = collections.OrderedDict


def same(fn):
    """fn(lib) on both libraries: equal reprs (after renaming), or the same error."""
    try:
        t = fn(torch)
    except Exception as e:
        return assert_same_error(e, lambda: fn(xptorch))
    x = fn(xptorch)
    assert on_cpu_terms(repr(x)) == xp_message(repr(t))
    return x


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2), lib.nn.Linear(2, 1))


def snapshot(module):
    """Every parameter and buffer: (bytes, dtype, version), to prove a failed load touched nothing."""
    out = {}
    for prefix, m in module.named_modules(remove_duplicate=False):
        for name, t in list(m._parameters.items()) + list(m._buffers.items()):
            if t is not None:
                out[prefix + "." + name] = (id(t), t.detach().cpu().numpy().tobytes(), str(t.dtype), t._version)
    return out


# ---- state_dict ----------------------------------------------------------------------------------------

def test_keys_order_and_types():
    def run(lib):
        m = lib.nn.Module()
        m.c = lib.nn.Linear(1, 1)
        m.p = lib.nn.Parameter(lib.ones(1))
        m.register_buffer("b", lib.ones(1))
        m.register_buffer("hidden", lib.ones(1), persistent=False)
        m.register_buffer("unset", None)
        m.t = lib.ones(3)
        sd = m.state_dict()
        return type(sd).__name__, list(sd), [v.requires_grad for v in sd.values()], \
            [type(v).__name__ for v in sd.values()], list(sd._metadata.items())

    same(run)
    same(lambda lib: list(mlp(lib).state_dict()._metadata.items()))


def test_values_are_detached_aliases():
    net = nn.Sequential(nn.Linear(2, 2))
    sd = net.state_dict()
    w = sd["0.weight"]
    assert not w.requires_grad and w.grad_fn is None and type(w) is xptorch.Tensor
    assert w.data_ptr() == net[0].weight.data_ptr()
    with xptorch.no_grad():
        net[0].weight.fill_(7)
    assert w.tolist() == [[7.0, 7.0], [7.0, 7.0]]


def test_keep_vars_prefix_and_destination():
    def run(lib):
        net = mlp(lib)
        kv = net.state_dict(keep_vars=True)
        d = {}
        out = net.state_dict(destination=d, prefix="model.")
        return [type(v).__name__ for v in kv.values()], kv["0.weight"] is net[0].weight, out is d, list(d), \
            hasattr(d, "_metadata")

    same(run)


def test_positional_arguments_warn_like_torch():
    for lib in (torch, xptorch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            keys = list(mlp(lib).state_dict(None, "p."))
        assert keys[0] == "p.0.weight"
        assert [x.category for x in w] == [FutureWarning]
        assert str(w[0].message).startswith("Positional args are being deprecated, use kwargs instead.")


def test_tied_tensor_appears_under_every_name():
    def run(lib):
        lin = lib.nn.Linear(1, 1)
        a, b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
        b.weight = a.weight
        sd = lib.nn.Sequential(lin, lin, a, b).state_dict()
        return list(sd), sd["0.weight"].data_ptr() == sd["1.weight"].data_ptr(), \
            sd["2.weight"].data_ptr() == sd["3.weight"].data_ptr()

    same(run)


def test_state_dict_hooks():
    def run(lib):
        m = lib.nn.Linear(1, 1)
        seen = []
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: seen.append(("pre", prefix, keep_vars)))
        h = m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(("post", prefix, list(sd))))
        lib.nn.Sequential(m).state_dict()
        h.remove()
        m.state_dict()
        return seen

    same(run)

    def bad(lib):
        m = lib.nn.Linear(1, 1)
        m.register_state_dict_post_hook(lambda *a: {})
        m.state_dict()

    same(bad)


def test_extra_state_round_trip():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = 0

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    a, b = nn.Sequential(Counter()), nn.Sequential(Counter())
    a[0].count = 5
    sd = a.state_dict()
    assert list(sd) == ["0._extra_state"]
    assert repr(b.load_state_dict(sd)) == "<All keys matched successfully>"
    assert b[0].count == 5
    err = pytest.raises(RuntimeError, b.load_state_dict, {}).value
    assert 'Missing key(s) in state_dict: "0._extra_state"' in str(err)
    keys = nn.Sequential(nn.ReLU()).load_state_dict({"0._extra_state": 1}, strict=False)
    assert keys.unexpected_keys == ["0._extra_state"]


# ---- load_state_dict: results and messages --------------------------------------------------------------

def test_all_keys_matched():
    def run(lib):
        net = mlp(lib)
        res = net.load_state_dict(net.state_dict())
        return res, str(res), tuple(res), type(res).__name__, res.missing_keys, res.unexpected_keys

    same(run)


def test_strict_false_returns_the_namedtuple():
    def run(lib):
        net = mlp(lib)
        sd = net.state_dict()
        del sd["0.bias"], sd["1.running_var"]
        sd["extra"] = lib.ones(1)
        sd["2.zz"] = lib.ones(1)
        res = net.load_state_dict(sd, strict=False)
        return res, str(res), res == (["0.bias", "1.running_var"], ["extra", "2.zz"])

    res = same(run)[0]
    assert repr(res) == ("_IncompatibleKeys(missing_keys=['0.bias', '1.running_var'], "
                         "unexpected_keys=['extra', '2.zz'])")


def _edit(sd, lib, edits):
    for op in edits:
        kind, key = op[0], op[1]
        if kind == "del":
            del sd[key]
        elif kind == "set":
            sd[key] = op[2](lib)
    return sd


T = lambda *shape: (lambda lib: lib.ones(*shape))  # noqa: E731

LOAD_CASES = {
    "missing": [("del", "0.bias")],
    "unexpected": [("set", "extra", T(1))],
    "missing_and_unexpected": [("del", "0.bias"), ("set", "extra", T(1)), ("set", "zz", T(1))],
    "size_mismatch": [("set", "2.weight", T(2, 3))],
    "two_size_mismatches": [("set", "2.weight", T(2, 3)), ("set", "0.bias", T(7))],
    "everything": [("del", "0.bias"), ("set", "extra", T(1)), ("set", "2.weight", T(2, 3)), ("del", "1.running_mean")],
    "nested_unexpected_order": [("set", "0.zzz", T(1)), ("set", "extra", T(1)), ("set", "1.a.b", T(1)),
                                ("set", "5.w", T(1)), ("set", "2.weight.x", T(1))],
    "buffer_mismatch": [("set", "1.running_mean", T(3))],
    "list_value": [("set", "0.weight", lambda lib: [[1.0] * 3] * 2)],
    "int_value": [("set", "0.weight", lambda lib: 3)],
    "scalar_for_vector": [("set", "0.bias", lambda lib: lib.tensor(1.0))],
    "flat_for_matrix": [("set", "0.weight", T(6))],
}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("case", sorted(LOAD_CASES))
def test_load_errors_and_results(case, strict):
    def run(lib):
        net = mlp(lib)
        return net.load_state_dict(_edit(net.state_dict(), lib, LOAD_CASES[case]), strict=strict)

    same(run)


def test_exact_message_format():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    sd = net.state_dict()
    del sd["0.bias"]
    sd["extra"] = xptorch.ones(1)
    sd["1.weight"] = xptorch.ones(2, 3)
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    assert str(e.value) == (
        'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.bias". \n\t'
        'Unexpected key(s) in state_dict: "extra". \n\tsize mismatch for 1.weight: copying a param with shape '
        "xptorch.Size([2, 3]) from checkpoint, the shape in current model is xptorch.Size([1, 2]).")


@pytest.mark.parametrize("bad", [[1], None, 3, "abc", (("a", 1),)])
def test_not_a_mapping(bad):
    err = same(lambda lib: mlp(lib).load_state_dict(bad))
    assert str(err).startswith("Expected state_dict to be dict-like, got <class ")


def test_mapping_types_accepted():
    class Plain(collections.abc.Mapping):
        def __init__(self, d):
            self.d = d

        def __getitem__(self, k):
            return self.d[k]

        def __iter__(self):
            return iter(self.d)

        def __len__(self):
            return len(self.d)

    def run(lib):
        net = mlp(lib)
        sd = net.state_dict()
        return net.load_state_dict(OD(sd)), net.load_state_dict(dict(sd)), net.load_state_dict(Plain(dict(sd)))

    same(run)


def test_none_slots_shared_modules_and_non_persistent_buffers():
    def run(lib):
        lin = lib.nn.Linear(1, 1)
        net = lib.nn.Sequential(lin, lin, lib.nn.Linear(1, 1, bias=False))
        net.add_module("gone", None)
        net[2].register_buffer("hidden", lib.ones(1), persistent=False)
        sd = {"0.weight": lib.ones(1, 1), "0.bias": lib.ones(1), "1.weight": lib.zeros(1, 1) + 2,
              "2.weight": lib.ones(1, 1), "2.bias": lib.ones(1), "2.hidden": lib.ones(1), "gone.w": lib.ones(1)}
        res = net.load_state_dict(sd, strict=False)
        return res, lin.weight.detach(), lin.bias.detach()

    same(run)


# ---- load_state_dict: what gets copied ------------------------------------------------------------------

def test_copy_is_in_place_and_keeps_identity():
    def run(lib):
        net = lib.nn.Linear(2, 2)
        w = net.weight
        v = w._version
        sd = {"weight": lib.tensor([[1.0, 2.0], [3.0, 4.0]]), "bias": lib.zeros(2)}
        net.load_state_dict(sd)
        return net.weight is w, w.requires_grad, w.data_ptr() == sd["weight"].data_ptr(), w._version > v, w

    same(run)


@pytest.mark.parametrize("src", ["float64", "int64", "float16"])
def test_dtype_of_the_checkpoint_is_cast(src):
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        dt = getattr(lib, src)
        sd = {k: (lib.arange(v.numel()).reshape(v.shape) * 0.3 + 0.1).to(dt) for k, v in net.state_dict().items()}
        res = net.load_state_dict(sd)
        return res, [(k, v.dtype, v) for k, v in net.state_dict().items()]

    same(run)


def test_zero_dim_buffer_accepts_a_one_element_vector():
    def run(lib):
        bn = lib.nn.BatchNorm1d(2)
        sd = bn.state_dict()
        sd["num_batches_tracked"] = lib.tensor([7])
        return bn.load_state_dict(sd), bn.num_batches_tracked

    same(run)


def test_non_contiguous_and_grad_carrying_sources():
    def run(lib):
        net = lib.nn.Linear(2, 2)
        src = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 2
        net.load_state_dict({"weight": src.t(), "bias": lib.ones(2)[:1].expand(2)})
        return net.weight, net.bias, net.weight.grad_fn

    same(run)


def test_assign_true():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        w, rm = net[0].weight, net[1].running_mean
        net[0].bias.requires_grad_(False)
        sd = {k: v.clone().to(lib.float64) + 1 for k, v in net.state_dict().items()}
        given = lib.nn.Parameter(lib.zeros(2, 2), requires_grad=False)
        sd["0.weight"] = given
        net.load_state_dict(sd, assign=True)
        return (net[0].weight is given, given.requires_grad, net[0].weight is w, type(net[0].bias).__name__,
                net[0].bias.requires_grad, net[0].bias.dtype, net[1].running_mean is rm,
                net[1].running_mean.data_ptr() == sd["1.running_mean"].data_ptr(), net[1].running_mean.dtype)

    same(run)


def test_assign_true_integer_into_a_parameter():
    def run(lib):
        net = lib.nn.Linear(1, 1)
        net.load_state_dict({"weight": lib.ones(1, 1, dtype=lib.int64), "bias": lib.ones(1)}, assign=True)

    same(run)


# ---- a failing load changes nothing -------------------------------------------------------------------

FAILING = {
    "late_size_mismatch": lambda sd: sd.__setitem__("2.bias", xptorch.ones(5)),
    "missing_last": lambda sd: sd.pop("2.bias"),
    "unexpected_only": lambda sd: sd.__setitem__("zzz", xptorch.ones(1)),
    "late_non_tensor": lambda sd: sd.__setitem__("2.weight", "oops"),
    "late_buffer_mismatch": lambda sd: sd.__setitem__("1.running_var", xptorch.ones(9)),
}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("case", sorted(FAILING))
def test_failing_load_is_atomic(case, strict):
    xptorch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), nn.Linear(2, 1))
    # A good first key (new values for 0.weight) and a bad later one.
    sd = OD((k, v.clone() + 1) for k, v in net.state_dict().items())
    FAILING[case](sd)
    before = snapshot(net)
    if not strict and case in ("missing_last", "unexpected_only"):
        net.load_state_dict(sd, strict=False)
        assert snapshot(net) != before
        return
    with pytest.raises(RuntimeError):
        net.load_state_dict(sd, strict=strict)
    assert snapshot(net) == before


def test_failing_assign_load_is_atomic():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    ids = [id(p) for p in net.parameters()]
    sd = {k: v.clone() + 1 for k, v in net.state_dict().items()}
    sd["1.weight"] = xptorch.ones(3, 3)
    before = snapshot(net)
    with pytest.raises(RuntimeError, match="size mismatch for 1.weight"):
        net.load_state_dict(sd, assign=True)
    assert snapshot(net) == before and [id(p) for p in net.parameters()] == ids


# ---- the wrapper-prefix hint (beyond PyTorch) -------------------------------------------------------------

def test_hint_names_an_extra_checkpoint_prefix():
    net = nn.Sequential(nn.Linear(2, 2))
    sd = {"module." + k: v for k, v in net.state_dict().items()}
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    t = torch.nn.Sequential(torch.nn.Linear(2, 2))
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict({"module." + k: v for k, v in t.state_dict().items()})
    hint = ("\n\tHint: the checkpoint's keys carry an extra 'module.' prefix (e.g. \"module.0.weight\" vs "
            "\"0.weight\"); strip it before loading.")
    assert msg == xp_message(str(te.value)) + hint


def test_hint_names_a_model_prefix():
    net = nn.Sequential(OD(body=nn.Sequential(nn.Linear(2, 2))))
    sd = nn.Sequential(nn.Linear(2, 2)).state_dict()
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    assert str(e.value).endswith("\n\tHint: the model's keys carry a 'body.' prefix that the checkpoint lacks "
                                 "(e.g. \"body.0.weight\" vs \"0.weight\").")


@pytest.mark.parametrize("keys", [
    ["fc.weight", "fc.bias", "other.weight"],  # two candidate prefixes: stripping one explains nothing whole
    ["module.weight_", "module.bias_"],  # a shared prefix, but stripping it matches no missing key
    ["extra"],  # no prefix at all
])
def test_no_hint_when_a_prefix_does_not_explain_the_mismatch(keys):
    def run(lib):
        net = lib.nn.Linear(2, 2)
        net.load_state_dict({k: lib.ones(1) for k in keys})

    err = same(run)  # identical to torch: nothing appended
    assert "Hint" not in str(err)


def test_no_hint_for_a_partial_checkpoint():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
        sd = net.state_dict()
        del sd["1.bias"]
        net.load_state_dict(sd)

    same(run)


# ---- hooks ---------------------------------------------------------------------------------------------

def test_load_pre_hook_can_rename_keys_and_post_hook_sees_results():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(1, 1))
        seen = []

        def rename(mod, sd, prefix, meta, strict, missing, unexpected, errors):
            seen.append((type(mod).__name__, prefix, strict, sorted(meta)))
            for k in list(sd):
                if k.startswith(prefix + "old_"):
                    sd[prefix + k[len(prefix) + 4:]] = sd.pop(k)

        net[0].register_load_state_dict_pre_hook(rename)
        net[0].register_load_state_dict_post_hook(lambda mod, keys: seen.append(("post", keys)))
        res = net.load_state_dict({"0.old_weight": lib.full((1, 1), 3.0), "0.old_bias": lib.zeros(1)})
        return res, seen, net[0].weight.detach()

    same(run)


def test_post_hook_may_clear_keys_for_a_strict_load():
    def run(lib):
        net = lib.nn.Linear(1, 1)

        def forgive(mod, keys):
            keys.missing_keys.clear()

        net.register_load_state_dict_post_hook(forgive)
        res = net.load_state_dict({"weight": lib.full((1, 1), 2.0)})
        return res, net.weight.detach()

    same(run)
    same(lambda lib: lib.nn.Linear(1, 1).register_load_state_dict_post_hook(lambda m, k: 1) and
         lib.nn.Linear(1, 1).load_state_dict(lib.nn.Linear(1, 1).state_dict()))


def test_torch_checkpoint_values_load_exactly():
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 1))
    tnet(torch.randn(5, 4))  # move the running statistics
    xnet = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
    assert repr(xnet.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in tnet.state_dict().items()})) == \
        "<All keys matched successfully>"
    for (k, a), (_, b) in zip(xnet.state_dict().items(), tnet.state_dict().items()):
        assert a.cpu().numpy().tobytes() == b.cpu().numpy().tobytes() and str(a.dtype) == xp_message(str(b.dtype)), k
