"""finfo, iinfo, promote_types, result_type and can_cast against torch 2.13."""
import pytest

import xptorch

torch = pytest.importorskip("torch")

FLOATS = ["float16", "float32", "float64"]
INTEGERS = ["uint8", "int8", "int16", "int32", "int64"]
ALL = FLOATS + INTEGERS + ["bool"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    t, x = torch.finfo(getattr(torch, name)), xptorch.finfo(getattr(xptorch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(x, attr) == getattr(t, attr) and type(getattr(x, attr)) is type(getattr(t, attr)), attr
    assert repr(x) == repr(t)
    assert x == xptorch.finfo(getattr(xptorch, name))


def test_finfo_default_and_python_float():
    assert repr(xptorch.finfo()) == repr(torch.finfo())
    assert repr(xptorch.finfo(float)) == repr(torch.finfo(float))


@pytest.mark.parametrize("name", INTEGERS)
def test_iinfo_matches_torch(name):
    t, x = torch.iinfo(getattr(torch, name)), xptorch.iinfo(getattr(xptorch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(x, attr) == getattr(t, attr) and type(getattr(x, attr)) is type(getattr(t, attr)), attr
    assert repr(x) == repr(t)
    assert repr(xptorch.iinfo(int)) == repr(torch.iinfo(int))


@pytest.mark.parametrize("call", [
    lambda lib: lib.finfo(lib.int32), lambda lib: lib.finfo(lib.bool), lambda lib: lib.finfo(1),
    lambda lib: lib.iinfo(lib.float32), lambda lib: lib.iinfo(lib.bool), lambda lib: lib.iinfo("int8"),
    lambda lib: lib.promote_types(lib.int64, 1), lambda lib: lib.can_cast(1, lib.int32),
])
def test_type_errors_match_torch(call):
    with pytest.raises(TypeError) as et:
        call(torch)
    with pytest.raises(TypeError) as ex:
        call(xptorch)
    assert str(ex.value) == str(et.value).replace("torch", "xptorch")


@pytest.mark.parametrize("a", ALL)
def test_promote_types_and_can_cast_match_torch(a):
    for b in ALL:
        t = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert xptorch.promote_types(getattr(xptorch, a), getattr(xptorch, b)) is getattr(xptorch, str(t)[6:]), (a, b)
        assert xptorch.can_cast(getattr(xptorch, a), getattr(xptorch, b)) == \
            torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


@pytest.mark.parametrize("a", ["float32", "int8", "uint8", "bool", "int64", "float16"])
def test_result_type_matches_torch(a):
    def operands(lib):
        out = [lib.ones(2, dtype=getattr(lib, a)), lib.ones((), dtype=getattr(lib, a)), True, 3, -2, 2.5]
        return out + [lib.ones((), dtype=getattr(lib, b)) for b in ALL] + [lib.ones(2, dtype=getattr(lib, b)) for b in ALL]

    for i, (p, q) in enumerate(zip(operands(torch), operands(xptorch))):
        for j, (r, s) in enumerate(zip(operands(torch), operands(xptorch))):
            if not any(isinstance(v, torch.Tensor) for v in (p, r)) and (i > 5 or j > 5):
                continue
            assert str(xptorch.result_type(q, s))[8:] == str(torch.result_type(p, r))[6:], (i, j)
    with pytest.raises(TypeError, match=r"^result_type\(\) received an invalid combination of arguments - got \(str, int\)"):
        xptorch.result_type("a", 1)
