"""Weights-only loading of torch.save checkpoints that name user globals: refused with PyTorch's text
until allowlisted (add_safe_globals, safe_globals), then loaded as PyTorch loads them."""
import dataclasses
import enum
import io
import pickle

import numpy as np
import pytest

import xptorch
from xptorch import serialization as xs

torch = pytest.importorskip("torch")
ts = torch.serialization


@dataclasses.dataclass
class Config:
    lr: float
    weight: object = None
    kind: object = None


class Color(enum.Enum):
    RED = 1
    BLUE = 2


class Counted:
    made = 0

    def __new__(cls, *a):
        cls.made += 1
        return super().__new__(cls)


@pytest.fixture(autouse=True)
def clean_globals():
    ts.clear_safe_globals()
    xs.clear_safe_globals()
    yield
    ts.clear_safe_globals()
    xs.clear_safe_globals()


def saved(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def weights_error(exc):
    """The WeightsUnpickler part of a refusal, with torch's module names in xptorch's spelling."""
    text = str(exc).replace("torch.serialization.", "xptorch.serialization.").replace("xpxptorch", "xptorch")
    return text.split("WeightsUnpickler error: ")[1].split("\n\nCheck the documentation")[0].strip()


_NUMPY = [np._core.multiarray._reconstruct, np.ndarray, np.dtype, type(np.dtype(np.float64))]
CASES = {
    "dataclass": (lambda: Config(0.1, torch.ones(2)), [Config]),
    "enum": (lambda: {"c": Color.BLUE, "w": torch.arange(3)}, [Color]),
    "numpy": (lambda: {"a": np.arange(3.0)}, _NUMPY),
    "nested": (lambda: [Config(2.0, [torch.zeros(1)], torch.float64), (Color.RED,)], [Config, Color]),
}


def same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        np.testing.assert_array_equal(ours.numpy(force=True), theirs.numpy())
    elif isinstance(theirs, torch.dtype):
        assert ours is getattr(xptorch, str(theirs).split(".")[1])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for k in theirs:
            same(ours[k], theirs[k])
    elif isinstance(theirs, Config):
        assert type(ours) is Config and ours.lr == theirs.lr
        same(ours.weight, theirs.weight)
        same(ours.kind, theirs.kind)
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype
    else:
        assert ours is theirs


@pytest.mark.parametrize("case", list(CASES))
def test_refused_with_torchs_text_then_loaded_once_allowlisted(case, device):
    make, needed = CASES[case]
    data = saved(make())
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(data), weights_only=True)
    with pytest.raises(pickle.UnpicklingError) as ours:
        xptorch.load(io.BytesIO(data), weights_only=True)
    assert weights_error(ours.value) == weights_error(theirs.value)
    assert str(ours.value).startswith("Weights only load failed.")
    assert sorted(xs.get_unsafe_globals_in_checkpoint(io.BytesIO(data))) == sorted(
        ts.get_unsafe_globals_in_checkpoint(io.BytesIO(data)))
    with ts.safe_globals(needed), xs.safe_globals(needed):
        expected = torch.load(io.BytesIO(data), weights_only=True)
        got = xptorch.load(io.BytesIO(data), map_location=device)
        assert xs.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == []
    same(got, expected)
    assert xs.get_safe_globals() == ts.get_safe_globals() == []


def test_allowlisted_objects_keep_tensors_on_the_mapped_device(device):
    data = saved({"cfg": Config(0.5, torch.ones(3), torch.device("cpu"))})
    xs.add_safe_globals([Config])
    cfg = xptorch.load(io.BytesIO(data), map_location=device)["cfg"]
    assert cfg.weight.device.type == device and cfg.kind is xptorch.device("cpu")


def test_a_partial_allowlist_names_the_next_missing_global():
    data = saved({"a": np.arange(2.0)})
    for extra in ([], [np._core.multiarray._reconstruct, np.ndarray, np.dtype]):
        ts.add_safe_globals(extra)
        xs.add_safe_globals(extra)
        with pytest.raises(pickle.UnpicklingError) as theirs:
            torch.load(io.BytesIO(data))
        with pytest.raises(pickle.UnpicklingError) as ours:
            xptorch.load(io.BytesIO(data))
        assert weights_error(ours.value) == weights_error(theirs.value)


def test_registry_functions_and_context_manager_match_torch():
    for lib in (ts, xs):
        lib.add_safe_globals([Config, (Color, "mod.Color")])
        lib.add_safe_globals([Config])
    assert set(xs.get_safe_globals()) == set(ts.get_safe_globals()) == {Config, (Color, "mod.Color")}
    with ts.safe_globals([Counted]), xs.safe_globals([Counted]):
        assert set(xs.get_safe_globals()) == set(ts.get_safe_globals())
    assert Counted not in xs.get_safe_globals()
    xs.clear_safe_globals()
    assert xs.get_safe_globals() == []


def test_pair_form_is_looked_up_by_its_name_and_checked_like_torch():
    data = saved(Config(1.0))
    xs.add_safe_globals([(Config, f"{Config.__module__}.Config")])
    assert xptorch.load(io.BytesIO(data)).lr == 1.0
    for bad in [(Config,), (Config, 3)]:
        ts.clear_safe_globals()
        xs.clear_safe_globals()
        ts.add_safe_globals([bad])
        xs.add_safe_globals([bad])
        with pytest.raises((ValueError, TypeError)) as theirs:
            torch.load(io.BytesIO(data))
        with pytest.raises(type(theirs.value), match=f"^{__import__('re').escape(str(theirs.value))}$"):
            xptorch.load(io.BytesIO(data))


def test_refused_load_builds_nothing_and_changes_nothing():
    data = saved({"w": torch.ones(1), "x": Counted()})
    before = Counted.made
    xs.add_safe_globals([Config])
    with pytest.raises(pickle.UnpicklingError):
        xptorch.load(io.BytesIO(data))
    assert Counted.made == before and xs.get_safe_globals() == [Config]
    xs.add_safe_globals([Counted])
    assert isinstance(xptorch.load(io.BytesIO(data))["x"], Counted) and Counted.made == before + 1


def test_build_of_a_type_not_allowlisted_is_refused_like_torch():
    data = saved({"a": np.arange(2.0)})
    three = _NUMPY[:3]  # the float64 dtype's own class is missing: its BUILD is refused
    with ts.safe_globals(three), xs.safe_globals(three):
        with pytest.raises(pickle.UnpicklingError) as theirs:
            torch.load(io.BytesIO(data))
        with pytest.raises(pickle.UnpicklingError) as ours:
            xptorch.load(io.BytesIO(data))
    assert weights_error(ours.value) == weights_error(theirs.value)


def test_unsafe_globals_needs_a_checkpoint():
    with pytest.raises(ValueError, match="^Expected input to be a checkpoint returned by torch.save$"):
        ts.get_unsafe_globals_in_checkpoint(io.BytesIO(b"not a zip"))
    with pytest.raises(ValueError, match="^Expected input to be a checkpoint returned by torch.save$"):
        xs.get_unsafe_globals_in_checkpoint(io.BytesIO(b"not a zip"))
    assert xs.get_unsafe_globals_in_checkpoint(io.BytesIO(saved({"w": torch.ones(2)}))) == []


def test_globals_torch_allows_by_default_need_no_allowlist():
    obj = {"counts": __import__("collections").Counter("aab"), "raw": bytearray(b"ab"), "z": 1 + 2j, "s": {1, 2}}
    data = saved(obj)
    assert xs.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == ts.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    out, expected = xptorch.load(io.BytesIO(data)), torch.load(io.BytesIO(data))
    assert out == expected and [type(v) for v in out.values()] == [type(v) for v in expected.values()]
