"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict against torch 2.13."""
import collections

import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import same_repr, xp_message  # noqa: E402


same = same_repr


def run_code(code):
    """Run code with `lib`, `nn`, `OD` bound; it leaves its answer in `r`."""
    def run(lib):
        env = {"lib": lib, "nn": lib.nn, "OD": collections.OrderedDict}
        exec(code, env)
        return env.get("r")

    return run


# ---- Sequential ---------------------------------------------------------------------------------------

SEQ = "s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid()); "
NAMED = "s = nn.Sequential(OD([('fc', nn.Linear(1, 2)), ('act', nn.ReLU()), ('out', nn.Linear(2, 1))])); "

SEQUENTIAL_CASES = [
    NAMED + "r = (s, list(s._modules), s.fc, s[0] is s.fc, s[-1] is s.out)",
    NAMED + "t = s[1:]; r = (t, type(t).__name__, t[0] is s[1], list(t._modules))",
    NAMED + "r = s[::-1]",
    SEQ + "r = s[3]",
    SEQ + "r = s[-4]",
    SEQ + "r = s['0']",
    SEQ + "r = s[1.0]",
    SEQ + "r = (len(s), [type(m).__name__ for m in s], s[-1], s[0:0])",
    "s = nn.Sequential(nn.ReLU()); r = (s.append(nn.Tanh()) is s, s)",
    "s = nn.Sequential(nn.ReLU()); s.append(3)",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); r = (s.insert(1, nn.Sigmoid()) is s, s, list(s._modules))",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.insert(-1, nn.Sigmoid()); r = s",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.insert(2, nn.Sigmoid()); r = s",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.insert(5, nn.Sigmoid())",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.insert(-3, nn.Sigmoid())",
    "s = nn.Sequential(nn.ReLU(), nn.Tanh()); s.insert(0, 3)",
    "s = nn.Sequential(nn.ReLU()); r = (s.extend(nn.Sequential(nn.Sigmoid())) is s, s)",
    "s = nn.Sequential(nn.ReLU()); s.extend([nn.Sigmoid(), nn.ReLU()]); r = s",
    SEQ + "r = (s.pop(1), s)",
    SEQ + "r = (s.pop(-1), s)",
    SEQ + "r = (s.pop(slice(0, 2)), s)",
    SEQ + "del s[0]; r = (s, list(s._modules))",
    NAMED + "del s[1]; r = (s, list(s._modules))",
    SEQ + "del s[::2]; r = s",
    SEQ + "del s[5]",
    SEQ + "s[0] = nn.Linear(1, 1); s[-1] = nn.Identity(); r = s",
    SEQ + "s[3] = nn.ReLU()",
    SEQ + "s[0] = 3",
    "s = nn.Sequential(); s.add_module('block 0', nn.ReLU()); s.add_module('x', nn.Tanh()); r = (s, s[0], s[1], s[-1])",
    "a = nn.Sequential(nn.ReLU()); b = nn.Sequential(OD(z=nn.Tanh())); c = a + b; r = (c, c is a, len(a), c[1] is b[0])",
    "a = nn.Sequential(nn.ReLU()); r = a + nn.ModuleList([nn.Tanh()])",
    "a = nn.Sequential(nn.ReLU()); b = a; a += nn.Sequential(nn.Tanh()); r = (a, a is b)",
    "a = nn.Sequential(nn.ReLU()); a += [nn.Tanh()]",
    "a = nn.Sequential(nn.ReLU(), nn.Tanh()); r = (a * 2, 2 * a, len(a), (a * 2)[2] is a[0])",
    "a = nn.Sequential(nn.ReLU(), nn.Tanh()); b = a; a *= 3; r = (a, a is b)",
    "a = nn.Sequential(nn.ReLU(), nn.Tanh()); r = a * 0",
    "a = nn.Sequential(nn.ReLU(), nn.Tanh()); r = a * 1.5",
    "a = nn.Sequential(nn.ReLU(), nn.Tanh()); a *= -1",
    SEQ + "r = sorted(k for k in dir(s) if k[0].isdigit())",
    "s = nn.Sequential(3)",
    "s = nn.Sequential(nn.ReLU(), None); r = (s, len(s))",
    "s = nn.Sequential(nn.ReLU(), None); s(lib.ones(1))",
    "r = nn.Sequential()(lib.ones(2))",
    "r = nn.Sequential(OD())",
]


@pytest.mark.parametrize("code", SEQUENTIAL_CASES)
def test_sequential(code):
    same(run_code(code))


def test_sequential_index_error_text():
    err = same(run_code(SEQ + "s[3]"))
    assert str(err) == "index 3 is out of range"


def test_sequential_forward_runs_modules_in_order():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2), lib.nn.Tanh())
        with lib.no_grad():
            for i, p in enumerate(net.parameters()):
                p.copy_(lib.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1))
        y = net(lib.tensor([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]]))
        y.sum().backward()
        return y.detach().round(decimals=4), net[0].weight.grad.round(decimals=4), y.grad_fn.name()

    same(run)


# ---- ModuleList ---------------------------------------------------------------------------------------

ML = "m = nn.ModuleList([nn.ReLU(), nn.Linear(1, 1), nn.Tanh()]); "

MODULELIST_CASES = [
    "r = nn.ModuleList()",
    "r = str(nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(1, 2), nn.Linear(1, 2), nn.ReLU()]))",
    "r = nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.ReLU()) for _ in range(2)])",
    "r = nn.ModuleList([nn.ReLU(), nn.Linear(1, 1), nn.ReLU()])",
    ML + "r = (m[-1], m[1:], type(m[1:]).__name__, len(m), [type(x).__name__ for x in m])",
    "m = nn.ModuleList([nn.ReLU()]); m[3]",
    "m = nn.ModuleList([nn.ReLU()]); m[-2]",
    "m = nn.ModuleList([nn.ReLU()]); m['a']",
    ML + "del m[0]; r = (m, list(m._modules))",
    ML + "del m[0:2]; r = m",
    ML + "m.insert(1, nn.Sigmoid()); r = m",
    ML + "r = (m.insert(0, nn.Sigmoid()), m)",
    ML + "m.insert(3, nn.Sigmoid()); r = m",
    ML + "r = (m.pop(1), m)",
    "m = nn.ModuleList([nn.ReLU()]); m += [nn.Tanh()]; r = (m + nn.ModuleList([nn.Sigmoid()]), m)",
    "m = nn.ModuleList([nn.ReLU()]); m.extend(3)",
    "m = nn.ModuleList([nn.ReLU()]); m.append(3)",
    "m = nn.ModuleList([nn.ReLU()]); m[0] = nn.Tanh(); r = m",
    "m = nn.ModuleList([nn.ReLU()]); m[1] = nn.Tanh()",
    "m = nn.ModuleList(3)",
    "m = nn.ModuleList([nn.ReLU()]); r = (m.append(nn.Tanh()) is m, m.extend([nn.ReLU()]) is m, m)",
    "l = nn.Linear(1, 1); m = nn.ModuleList([l, l]); r = ([n for n, _ in m.named_parameters()], list(m.state_dict()), m)",
]


@pytest.mark.parametrize("code", MODULELIST_CASES)
def test_module_list(code):
    same(run_code(code))


def test_module_list_repeated_children_are_folded():
    r = repr(nn.ModuleList([nn.Linear(4, 4) for _ in range(3)]))
    assert r == "ModuleList(\n  (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)\n)"


# ---- ModuleDict ---------------------------------------------------------------------------------------

MD = "m = nn.ModuleDict({'b': nn.ReLU(), 'a': nn.Linear(1, 1)}); "

MODULEDICT_CASES = [
    MD + "r = m",
    "r = nn.ModuleDict([('b', nn.Linear(1, 1)), ('a', nn.ReLU())])",
    "r = nn.ModuleDict()",
    MD + "r = (list(m), list(m.keys()), [type(v).__name__ for v in m.values()], [k for k, v in m.items()], 'a' in m, len(m))",
    MD + "r = (m.pop('b'), m)",
    MD + "m.clear(); r = m",
    MD + "del m['a']; r = (m, [n for n, _ in m.named_parameters()])",
    MD + "m['c'] = nn.Tanh(); m['b'] = nn.Sigmoid(); r = m",
    MD + "m['b'] = 3",
    MD + "m['a.b'] = nn.ReLU()",
    MD + "m[1] = nn.ReLU()",
    MD + "r = m['zz']",
    MD + "m.update(nn.ModuleDict({'z': nn.ReLU()})); m.update(OD(y=nn.Tanh())); r = m",
    "d = nn.ModuleDict(); d.update(3)",
    "d = nn.ModuleDict(); d.update([('a', nn.ReLU(), 3)])",
    "d = nn.ModuleDict(); d.update([3])",
]


@pytest.mark.parametrize("code", MODULEDICT_CASES)
def test_module_dict(code):
    same(run_code(code))


# ---- ParameterList ------------------------------------------------------------------------------------

PARAMLIST_CASES = [
    "r = nn.ParameterList([nn.Parameter(lib.ones(2, 3))])",
    "r = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.ones(2, dtype=lib.float64), 3, 'x'])",
    "r = nn.ParameterList()",
    "p = nn.ParameterList([lib.ones(2, 3), 3]); r = ([n for n, _ in p.named_parameters()], p[1], type(p[0]).__name__, len(p))",
    "p = nn.ParameterList([lib.ones(1), lib.zeros(1), lib.ones(2)]); s = p[1:]; r = (type(s).__name__, len(s), s[0] is p[1], p[-1].shape, s)",
    "p = nn.ParameterList([lib.ones(1)]); p[5]",
    "p = nn.ParameterList([lib.ones(1)]); p[0] = lib.ones(3); r = p[0]",
    "p = nn.ParameterList([lib.ones(1)]); p[0] = 3",
    "p = nn.ParameterList([lib.ones(1)]); p += [lib.ones(2)]; r = (len(p), [n for n, _ in p.named_parameters()])",
    "p = nn.ParameterList([lib.ones(1)]); r = (p.append(lib.zeros(2)) is p, p.extend([lib.ones(3)]) is p, p)",
    "p = nn.ParameterList([lib.ones(1)]); p.extend(lib.ones(2))",
    "p = nn.ParameterList([lib.ones(1)]); p.extend(3)",
    "p = nn.ParameterList([lib.ones(1)]); p(1)",
    "p = nn.ParameterList([lib.ones(1)]); r = sorted(k for k in dir(p) if k[0].isdigit())",
    "q = nn.Parameter(lib.ones(1)); p = nn.ParameterList([q, q]); r = (p[0] is q, [n for n, _ in p.named_parameters()], list(p.state_dict()))",
]


@pytest.mark.parametrize("code", PARAMLIST_CASES)
def test_parameter_list(code):
    same(run_code(code))


# ---- ParameterDict ------------------------------------------------------------------------------------

PD = "d = nn.ParameterDict({'a': lib.ones(1), 'b': lib.zeros(1)}); "

PARAMDICT_CASES = [
    "r = nn.ParameterDict({'b': nn.Parameter(lib.ones(2, 3)), 'a': lib.ones(1, dtype=lib.float64), 'c': 3})",
    "r = nn.ParameterDict({'a': lib.ones(1)})",
    "r = nn.ParameterDict()",
    "r = list(nn.ParameterDict({'b': lib.ones(1), 'a': lib.ones(1)}).keys())",
    "r = list(nn.ParameterDict(OD(b=lib.ones(1), a=lib.ones(1))).keys())",
    "r = list(nn.ParameterDict([('b', lib.ones(1)), ('a', lib.ones(1))]).keys())",
    PD + "d[1] = lib.ones(1)",
    PD + "d.update(3)",
    PD + "d.update([(1, 2, 3)])",
    PD + "d.update([3])",
    PD + "r = (d.get('a'), d.get('z', 5), d.setdefault('c', lib.ones(2)), d.pop('a'), list(d), d.popitem(), list(d), 'c' in d, list(reversed(d)))",
    PD + "e = d.copy(); r = (e['a'] is d['a'], type(e).__name__, list((d | nn.ParameterDict({'z': lib.ones(1)})).keys()))",
    PD + "d |= nn.ParameterDict({'z': lib.ones(1)}); r = list(d)",
    PD + "d.clear(); r = (len(d), list(d.named_parameters()), d)",
    PD + "r = list(d.fromkeys(['x', 'y'], lib.ones(1)).keys())",
    PD + "d(1)",
    PD + "del d['a']; r = (len(d), [n for n, _ in d.named_parameters()])",
    PD + "r = d['zz']",
    PD + "r = ([k for k in d], [k for k, v in d.items()], [type(v).__name__ for v in d.values()], len(d), d['b'])",
    PD + "d['a'] = 7",
]


@pytest.mark.parametrize("code", PARAMDICT_CASES)
def test_parameter_dict(code):
    same(run_code(code))


def test_parameter_containers_on_device(device):
    p = nn.Parameter(xptorch.ones(2, 3, device=device))
    lst, dct = nn.ParameterList([p]), nn.ParameterDict({"w": p})
    if device == "cuda":
        assert repr(lst) == "ParameterList(  (0): Parameter containing: [xptorch.float32 of size 2x3 (cuda:0)])"
        assert repr(dct) == "ParameterDict(  (w): Parameter containing: [xptorch.cuda.FloatTensor of size 2x3 (cuda:0)])"
    else:
        assert repr(lst) == xp_message(repr(torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3))])))
