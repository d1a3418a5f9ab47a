"""save/load: exact round trips, shared memory kept, devices, PyTorch exchange, strict validation."""
import collections
import io
import json
import math
import pathlib
import struct
import sys

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.serialization import load, save, save_safetensors

pytest.importorskip("safetensors")


# ---- helpers ---------------------------------------------------------------------------------------


def assert_same(a, b, path="obj"):
    """Deep equality that also demands the same types, dtypes, devices and requires_grad."""
    assert type(a) is type(b), f"{path}: {type(a)} vs {type(b)}"
    if isinstance(a, xptorch.Tensor):
        assert a.dtype is b.dtype, path
        assert a.shape == b.shape, path
        assert a.device == b.device, path
        assert a.requires_grad == b.requires_grad, path
        assert a.is_leaf and b.is_leaf or not a.is_leaf, path
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True), err_msg=path)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, path
        if isinstance(a, float):
            assert math.copysign(1, a) == math.copysign(1, b), path


def roundtrip(obj, **kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **kw)


def header(data):
    """(header dict, data section) of a safetensors file's bytes."""
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def saved_bytes(obj):
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def craft(entries, data, meta=None, pad=True):
    """A safetensors file from a header dict (and optional __metadata__) and raw data bytes."""
    h = dict(entries)
    if meta is not None:
        h["__metadata__"] = meta
    raw = json.dumps(h).encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def load_bytes(data, name="crafted.safetensors", tmp_path=None, **kw):
    if tmp_path is None:
        return load(io.BytesIO(data), **kw)
    p = tmp_path / name
    p.write_bytes(data)
    return load(p, **kw)


def shares(a, b):
    return np.shares_memory(a._data, b._data)


ALL_DTYPES = [
    xptorch.float16, xptorch.float32, xptorch.float64, xptorch.uint8, xptorch.int8,
    xptorch.int16, xptorch.int32, xptorch.int64, xptorch.bool,
]


# ---- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4)])
def test_tensor_roundtrip_every_dtype_and_shape(dt, shape):
    rng = np.random.default_rng(0)
    arr = np.asarray((rng.standard_normal(shape) * 50).astype(dt.np))
    t = xptorch.from_numpy(arr)
    out = roundtrip(t)
    assert_same(t, out)


def test_python_values_roundtrip_exactly():
    obj = {
        "none": None, "t": True, "f": False, "int": -7, "big": 2 ** 100, "float": 1.5, "whole": 3.0,
        "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "negzero": -0.0,
        "str": "héllo ✓ \u0000 \"quoted\"", "empty": "", "list": [1, [2, [3]]], "tuple": (1, (2.0, "x")),
        "empty_containers": ([], (), {}, collections.OrderedDict()),
        1: "int key", 2.5: "float key", (1, "a"): "tuple key", None: "None key", True: "bool key",
        "od": collections.OrderedDict([("z", 1), ("a", 2)]),
        "size": xptorch.Size([2, 3]), "dtype": xptorch.float64, "device": xptorch.device("cpu"),
    }
    out = roundtrip(obj)
    assert_same(obj, out)
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["z", "a"]
    assert type(out["size"]) is xptorch.Size
    assert out["dtype"] is xptorch.float64 and out["device"] is xptorch.device("cpu")


def test_tensors_nested_in_containers_keep_flags():
    w = nn.Parameter(xptorch.randn(3, 2))
    frozen = nn.Parameter(xptorch.randn(2), requires_grad=False)
    g = xptorch.randn(4, requires_grad=True)
    obj = {"params": [w, frozen], "pair": (g, xptorch.arange(5)), "inner": {"deep": [[xptorch.zeros(1)]]}}
    out = roundtrip(obj)
    assert_same(obj, out)
    assert type(out["params"][0]) is nn.Parameter and out["params"][0].requires_grad
    assert type(out["params"][1]) is nn.Parameter and not out["params"][1].requires_grad
    assert type(out["pair"][0]) is xptorch.Tensor and out["pair"][0].requires_grad and out["pair"][0].is_leaf


def test_non_leaf_tensor_loads_as_leaf_requiring_grad_like_torch(tmp_path):
    torch = pytest.importorskip("torch")
    a = torch.ones(2, requires_grad=True) * 2
    torch.save(a, tmp_path / "a.pt")
    ta = torch.load(tmp_path / "a.pt")
    x = xptorch.ones(2, requires_grad=True) * 2
    out = roundtrip(x)
    assert (out.requires_grad, out.is_leaf) == (ta.requires_grad, ta.is_leaf)
    assert out.grad_fn is None


def test_state_dict_is_ordered_dict_of_detached_tensors():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    sd = net.state_dict()
    out = roundtrip(sd)
    assert type(out) is collections.OrderedDict
    assert_same(sd, out)


def test_paths_file_objects_and_offsets(tmp_path):
    x = xptorch.randn(3, 4)
    save(x, str(tmp_path / "x-file"))
    assert_same(x, load(str(tmp_path / "x-file")))
    save(x, tmp_path / "p.st")
    assert_same(x, load(pathlib.Path(tmp_path / "p.st")))
    with open(tmp_path / "f.st", "wb") as fh:
        fh.write(b"prefix")
        save([x, 1], fh)
        fh.write(b"trailing junk")
    with open(tmp_path / "f.st", "rb") as fh:
        fh.read(6)
        fh2 = io.BytesIO(fh.read()[: -len(b"trailing junk")])
    assert_same([x, 1], load(fh2))


def test_unseekable_stream_is_read():
    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.src = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, b):
            return self.src.readinto(b)

    x = xptorch.randn(5)
    assert_same(x, load(Stream(saved_bytes(x))))


def test_mlp_params_file_loads_into_module(tmp_path):
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    save(net.state_dict(), tmp_path / "mlp.params")
    clone = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    X = xptorch.randn(5, 4)
    assert not np.allclose(clone(X).detach().cpu().numpy(), net(X).detach().cpu().numpy())
    clone.load_state_dict(load(tmp_path / "mlp.params"))
    np.testing.assert_array_equal(clone(X).detach().cpu().numpy(), net(X).detach().cpu().numpy())


def test_file_is_standard_safetensors_readable_by_the_library():
    import safetensors.numpy as stn

    x = xptorch.randn(3, 4)
    data = saved_bytes({"x": x, "t": x.t()})
    arrays = stn.load(data)
    assert list(arrays) == ["x"]
    np.testing.assert_array_equal(arrays["x"], x.cpu().numpy())


# ---- shared memory -----------------------------------------------------------------------------------


def test_transposed_tensor_roundtrip_values():
    # safetensors 0.8.0 writes raw memory of non-contiguous arrays: make sure values, not memory, are saved.
    import safetensors.numpy as stn

    x = xptorch.arange(12.0).reshape(3, 4)
    t = x.t()
    data = saved_bytes({"t": t})
    np.testing.assert_array_equal(stn.load(data)["t"], t.cpu().numpy())
    assert_same(t, roundtrip(t))
    strided = x[:, ::2]
    assert_same(strided, roundtrip(strided))


def test_views_of_one_base_are_stored_once_and_stay_views():
    x = xptorch.arange(12.0).reshape(3, 4)
    obj = {"x": x, "t": x.t(), "row": x[1], "cols": x[:, 1::2]}
    data = saved_bytes(obj)
    h, body = header(data)
    assert [k for k in h if k != "__metadata__"] == ["x"] and len(body) == 12 * 4
    out = roundtrip(obj)
    assert_same(obj, out)
    for k in ("t", "row", "cols"):
        assert shares(out["x"], out[k])
    out["x"][1, 1] = 100.0
    assert out["t"][1, 1].item() == 100.0 and out["row"][1].item() == 100.0 and out["cols"][1, 0].item() == 100.0


def test_views_without_their_base_share_after_load():
    x = xptorch.arange(12.0).reshape(3, 4)
    obj = [x.t(), x[1:]]
    h, body = header(saved_bytes(obj))
    assert len(body) == 12 * 4 and len([k for k in h if k != "__metadata__"]) == 1
    out = roundtrip(obj)
    assert_same(obj, out)
    assert shares(out[0], out[1])
    out[1][0, 0] = -1.0
    assert out[0][0, 1].item() == -1.0


def test_disjoint_slices_of_one_base_load_as_views_of_one_array():
    x = xptorch.arange(10.0)
    obj = [x[0:2], x[7:9]]
    out = roundtrip(obj)
    assert_same(obj, out)
    assert not shares(out[0], out[1])
    assert out[0]._data.base is out[1]._data.base
    assert out[1].data_ptr() - out[0].data_ptr() == 7 * 4


def test_lone_slice_of_a_big_tensor_stores_only_the_slice():
    big = xptorch.zeros(100_000)
    _, body = header(saved_bytes(big[10:13]))
    assert len(body) == 3 * 4


def test_negative_strides_zero_strides_and_fortran_order():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    a = xptorch.from_numpy(base)
    rev = xptorch.from_numpy(base[::-1, ::2])
    f = xptorch.from_numpy(np.asfortranarray(base))
    fview = xptorch.from_numpy(f.cpu().numpy()[1:, 2])
    row = xptorch.arange(4.0)
    wide = row.expand(3, 4)
    obj = [a, rev, f, fview, row, wide]
    out = roundtrip(obj)
    assert_same(obj, out)
    assert shares(out[0], out[1]) and shares(out[2], out[3]) and shares(out[4], out[5])
    assert out[5].stride() == (0, 1)
    out[0][3, 0] = -5.0
    assert out[1][0, 0].item() == -5.0
    out[4][2] = 42.0
    assert out[5][:, 2].tolist() == [42.0] * 3


def test_same_parameter_under_two_keys_is_one_object_after_load():
    p = nn.Parameter(xptorch.randn(3, 3))
    obj = collections.OrderedDict(a=p, b=p, c=[p])
    out = roundtrip(obj)
    assert out["a"] is out["b"] is out["c"][0]
    assert type(out["a"]) is nn.Parameter


def test_tied_weights_in_state_dict_stored_once_and_shared_after_load(tmp_path):
    def make():
        net = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3))
        net[2].weight = net[0].weight
        return net

    net = make()
    sd = net.state_dict()
    assert sd["0.weight"] is not sd["2.weight"]
    save(sd, tmp_path / "tied.params")
    h, body = header((tmp_path / "tied.params").read_bytes())
    assert sorted(k for k in h if k != "__metadata__") == ["0.bias", "0.weight", "2.bias"]
    assert len(body) == (9 + 3 + 3) * 4
    out = load(tmp_path / "tied.params")
    assert out["0.weight"] is not out["2.weight"] and shares(out["0.weight"], out["2.weight"])
    out["0.weight"][0, 0] = 7.0
    assert out["2.weight"][0, 0].item() == 7.0
    other = make()
    other.load_state_dict(load(tmp_path / "tied.params"))
    X = xptorch.randn(4, 3)
    np.testing.assert_array_equal(other(X).detach().cpu().numpy(), net(X).detach().cpu().numpy())
    assert other[0].weight is other[2].weight


def test_keep_vars_state_dict_with_ties_restores_identity():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    net[1].weight = net[0].weight
    sd = net.state_dict(keep_vars=True)
    out = roundtrip(sd)
    assert out["0.weight"] is out["1.weight"] and type(out["0.weight"]) is nn.Parameter


def test_loaded_storages_stay_separate_for_resaving():
    sd = nn.Linear(3, 2).state_dict()
    once = roundtrip(sd)
    assert not shares(once["weight"], once["bias"])
    h, _ = header(saved_bytes(once))
    assert sorted(k for k in h if k != "__metadata__") == ["bias", "weight"]


# ---- devices -----------------------------------------------------------------------------------------


def test_map_location_forms_on_cpu():
    x = xptorch.randn(2)
    for m in (None, "cpu", xptorch.device("cpu"), {"cpu": "cpu"}, {"cuda:0": "cpu"}):
        out = roundtrip(x, map_location=m)
        assert out.device is xptorch.device("cpu")
        assert_same(x, out)


def test_bad_map_location_type_raises_typeerror():
    with pytest.raises(TypeError, match="map_location"):
        roundtrip(xptorch.ones(1), map_location=3.5)
    with pytest.raises(TypeError, match="map_location"):
        roundtrip(xptorch.ones(1), map_location={"cpu": 1})


def _cuda_recorded_file():
    x = xptorch.arange(4.0)
    data = saved_bytes({"w": x, "v": x[1:]})
    h, body = header(data)
    meta = h.pop("__metadata__")
    doc = json.loads(meta["xptorch"])
    for s in doc["tensors"]:
        s["device"] = "cuda:0"
    meta["xptorch"] = json.dumps(doc)
    return craft(h, body, meta)


@pytest.mark.skipif(xptorch.cuda.is_available(), reason="checks the CPU-only message")
def test_cuda_file_on_cpu_machine_suggests_map_location(tmp_path):
    data = _cuda_recorded_file()
    with pytest.raises(RuntimeError, match=r"map_location='cpu'"):
        load_bytes(data)
    with pytest.raises(RuntimeError, match=r"xptorch.cuda.is_available\(\) is False"):
        load_bytes(data, map_location="cuda")
    with pytest.raises(RuntimeError, match=r"map_location='cpu'"):
        roundtrip(xptorch.ones(1), map_location="cuda:0")
    out = load_bytes(data, map_location="cpu")
    assert out["w"].device is xptorch.device("cpu") and shares(out["w"], out["v"])
    out = load_bytes(data, map_location={"cuda:0": "cpu"})
    assert out["v"].tolist() == [1.0, 2.0, 3.0]


def test_cuda_tensors_record_and_restore_their_device(simulated_cuda):
    x = xptorch.arange(6.0, device="cuda").reshape(2, 3)
    p = nn.Parameter(xptorch.randn(2, device="cuda"))
    obj = {"x": x, "t": x.t(), "p": p, "c": xptorch.ones(1)}
    data = saved_bytes(obj)
    doc = json.loads(header(data)[0]["__metadata__"]["xptorch"])
    assert sorted(s["device"] for s in doc["tensors"]) == ["cpu", "cuda:0", "cuda:0", "cuda:0"]
    out = load(io.BytesIO(data))
    assert_same(obj, out)
    assert out["x"].device == xptorch.device("cuda", 0) and out["c"].device is xptorch.device("cpu")
    assert shares(out["x"], out["t"])
    cpu = load(io.BytesIO(data), map_location="cpu")
    assert all(v.device is xptorch.device("cpu") for v in cpu.values())
    assert shares(cpu["x"], cpu["t"])
    moved = load(io.BytesIO(data), map_location={"cpu": "cuda:0"})
    assert all(v.device == xptorch.device("cuda", 0) for v in moved.values())


def test_missing_cuda_index_is_refused(simulated_cuda):
    h, body = header(saved_bytes(xptorch.ones(2)))
    meta = h.pop("__metadata__")
    doc = json.loads(meta["xptorch"])
    doc["tensors"][0]["device"] = "cuda:3"
    meta["xptorch"] = json.dumps(doc)
    with pytest.raises(RuntimeError, match="CUDA device 3 but xptorch.cuda.device_count\\(\\) is 1"):
        load_bytes(craft(h, body, meta))


# ---- PyTorch exchange --------------------------------------------------------------------------------


def _torch_and_ours():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    X = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    return torch, tnet, ours, X


def test_safetensors_torch_state_dict_loads_into_our_module(tmp_path):
    torch, tnet, ours, X = _torch_and_ours()
    from safetensors.torch import save_file

    save_file(tnet.state_dict(), tmp_path / "torch.safetensors")
    sd = load(tmp_path / "torch.safetensors")
    assert type(sd) is collections.OrderedDict
    assert sorted(sd) == sorted(tnet.state_dict())
    assert all(type(v) is xptorch.Tensor and not v.requires_grad for v in sd.values())
    ours.load_state_dict(sd)
    expected = tnet(torch.from_numpy(X)).detach().cpu().numpy()
    np.testing.assert_allclose(ours(xptorch.tensor(X)).detach().cpu().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_our_state_dict_loads_into_torch(tmp_path):
    torch, tnet, ours, X = _torch_and_ours()
    from safetensors.torch import load_file

    for writer, path in ((save, "ours.st"), (save_safetensors, "plain.st")):
        writer(ours.state_dict(), tmp_path / path)
        tnet.load_state_dict(load_file(tmp_path / path))
        expected = ours(xptorch.tensor(X)).detach().cpu().numpy()
        np.testing.assert_allclose(tnet(torch.from_numpy(X)).detach().cpu().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_save_safetensors_writes_tied_entries_as_copies_torch_can_load(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    net[1].weight = net[0].weight
    save_safetensors(net.state_dict(), tmp_path / "plain.st", metadata={"note": "tied"})
    tsd = load_file(tmp_path / "plain.st")
    assert sorted(tsd) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 3))
    tnet.load_state_dict(tsd)
    np.testing.assert_array_equal(tnet[1].weight.detach().cpu().numpy(), net[0].weight.detach().cpu().numpy())
    h, _ = header((tmp_path / "plain.st").read_bytes())
    assert h["__metadata__"] == {"format": "pt", "note": "tied"}
    # save() keeps the tie instead: PyTorch sees the storage once, under its first key.
    save(net.state_dict(), tmp_path / "tied.st")
    assert sorted(load_file(tmp_path / "tied.st")) == ["0.bias", "0.weight", "1.bias"]


def test_save_safetensors_rejects_non_flat_input():
    with pytest.raises(TypeError, match="mapping"):
        save_safetensors([xptorch.ones(1)], io.BytesIO())
    with pytest.raises(TypeError, match="keys must be str"):
        save_safetensors({1: xptorch.ones(1)}, io.BytesIO())
    with pytest.raises(TypeError, match="must be a Tensor"):
        save_safetensors({"a": [1]}, io.BytesIO())
    with pytest.raises(TypeError, match="metadata"):
        save_safetensors({"a": xptorch.ones(1)}, io.BytesIO(), metadata={"a": 1})


def test_plain_file_without_our_metadata_gives_plain_tensors():
    import safetensors.numpy as stn

    arrays = {"b": np.arange(3, dtype=np.int64), "a": np.ones((2, 2), np.float16)}
    out = load(io.BytesIO(stn.save(arrays)))
    assert type(out) is collections.OrderedDict and sorted(out) == ["a", "b"]
    for k, a in arrays.items():
        assert out[k].dtype.np == a.dtype
        np.testing.assert_array_equal(out[k].cpu().numpy(), a)


# ---- errors on save ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [object(), {1, 2}, np.ones(2), np.float32(1.0), b"bytes", 1 + 2j],
                         ids=["object", "set", "ndarray", "npscalar", "bytes", "complex"])
def test_unsupported_types_raise_typeerror_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__qualname__):
        save({"x": bad}, io.BytesIO())


def test_cycles_and_depth_are_refused():
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="cycle"):
        save(a, io.BytesIO())
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match="nested"):
        save(deep, io.BytesIO())


def test_save_and_load_reject_non_files():
    with pytest.raises(TypeError, match="path or a writable binary file"):
        save(xptorch.ones(1), 3)
    with pytest.raises(TypeError, match="path or a readable binary file"):
        load(3)


def test_missing_safetensors_names_the_extra(monkeypatch, tmp_path):
    x = xptorch.ones(2)
    save(x, tmp_path / "x.st")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"pip install 'xptorch\[io\]'"):
        save(x, io.BytesIO())
    with pytest.raises(ImportError, match=r"pip install 'xptorch\[io\]'"):
        save_safetensors({"x": x}, io.BytesIO())
    assert_same(x, load(tmp_path / "x.st"))  # reading needs no library


def test_weights_only_false_is_refused_true_is_accepted():
    data = saved_bytes(xptorch.ones(1))
    assert load(io.BytesIO(data), weights_only=True).tolist() == [1.0]
    with pytest.raises(ValueError, match="weights_only=False"):
        load(io.BytesIO(data), weights_only=False)


def test_bare_pickle_is_refused_without_running(tmp_path):
    import pickle

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))

    p = tmp_path / "evil.pkl"
    p.write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(ValueError, match="evil.pkl"):
        load(p)
    assert not marker.exists()


# ---- malformed files ---------------------------------------------------------------------------------

F32x2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize(
    "data, msg",
    [
        (b"", "shorter than the 8-byte"),
        (b"\x01\x00\x00", "shorter than the 8-byte"),
        (struct.pack("<Q", 100) + b"{}", "runs past the end"),
        (struct.pack("<Q", 2 ** 63) + b"{}", "exceeds the 100000000-byte limit"),
        (struct.pack("<Q", 100_000_001) + b"{}", "exceeds"),
        (struct.pack("<Q", 4) + b"\xff\xfe{}", "not UTF-8"),
        (struct.pack("<Q", 4) + b"{,}x", "not valid JSON"),
        (struct.pack("<Q", 2) + b"[]", "must be a JSON object"),
        (struct.pack("<Q", 16) + b'{"a":1, "a":2}  ', "duplicate key"),
        (struct.pack("<Q", 2000) + b"[" * 2000, "nested too deeply|not valid JSON"),
        (craft({"a": {"dtype": "F32", "shape": [2]}}, b""), "exactly dtype, shape and data_offsets"),
        (craft({"a": {**F32x2, "dtype": "BF16"}}, b"\0" * 8), "unsupported dtype 'BF16'"),
        (craft({"a": {**F32x2, "dtype": 7}}, b"\0" * 8), "unsupported dtype 7"),
        (craft({"a": {**F32x2, "shape": [-2]}}, b"\0" * 8), "negative dimension -2"),
        (craft({"a": {**F32x2, "shape": [2.0]}}, b"\0" * 8), "shape must be a list"),
        (craft({"a": {**F32x2, "shape": [True, 2]}}, b"\0" * 8), "shape must be a list"),
        (craft({"a": {**F32x2, "shape": [1] * 65}}, b"\0" * 8), "shape must be a list"),
        (craft({"a": {**F32x2, "shape": [2 ** 40, 2 ** 40]}}, b"\0" * 8), "too many elements"),
        (craft({"a": {**F32x2, "shape": [2 ** 62, 0]}}, b"\0" * 8), "too many elements"),
        (craft({"a": {**F32x2, "shape": [3]}}, b"\0" * 8), "needs 12 bytes, data_offsets give 8"),
        (craft({"a": {**F32x2, "data_offsets": [0, 16]}}, b"\0" * 8), "out of range"),
        (craft({"a": {**F32x2, "data_offsets": [4, 0]}}, b"\0" * 8), "out of range"),
        (craft({"a": {**F32x2, "data_offsets": [-8, 0]}}, b"\0" * 8), "out of range"),
        (craft({"a": {**F32x2, "data_offsets": [0]}}, b"\0" * 8), "two integers"),
        (craft({"a": F32x2, "b": F32x2}, b"\0" * 8), "overlaps"),
        (craft({"a": {**F32x2, "data_offsets": [8, 16]}}, b"\0" * 16), "leaves a gap"),
        (craft({"a": F32x2}, b"\0" * 12), "cover 8 bytes of a 12-byte"),
        (craft({"a": F32x2}, b"\0" * 8, meta={"x": 1}), "__metadata__ must map strings"),
        (craft({"a": F32x2}, b"\0" * 8, meta=["x"]), "__metadata__ must map strings"),
        (craft({"a": 5}, b""), "exactly dtype"),
    ],
)
def test_malformed_header_raises_valueerror_naming_file(tmp_path, data, msg):
    with pytest.raises(ValueError, match=msg) as info:
        load_bytes(data, tmp_path=tmp_path)
    assert "crafted.safetensors" in str(info.value)


def test_truncated_data_section(tmp_path):
    data = saved_bytes({"a": xptorch.randn(100)})
    with pytest.raises(ValueError, match="crafted.safetensors.*out of range for a 399-byte data section"):
        load_bytes(data[:-1], tmp_path=tmp_path)


def _with_doc(edit, obj=None):
    """A valid file whose xptorch structure JSON was changed by edit(doc)."""
    if obj is None:
        x = xptorch.arange(6.0).reshape(2, 3)
        obj = {"x": x, "t": x.t()}
    h, body = header(saved_bytes(obj))
    meta = h.pop("__metadata__")
    doc = json.loads(meta["xptorch"])
    edit(doc)
    meta["xptorch"] = json.dumps(doc) if not isinstance(doc, str) else doc
    return craft(h, body, meta)


def _set(path, value):
    def edit(doc):
        target = doc
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
    return edit


@pytest.mark.parametrize(
    "edit, msg",
    [
        (_set(["tensors", 1, "offset"], 4), "reaches outside its 24-byte storage"),
        (_set(["tensors", 1, "offset"], -4), "offset must be a non-negative integer"),
        (_set(["tensors", 1, "strides"], [4, 100]), "reaches outside"),
        (_set(["tensors", 1, "strides"], [-4, 12]), "reaches outside"),
        (_set(["tensors", 1, "strides"], [4]), "strides must be 2 integers"),
        (_set(["tensors", 1, "shape"], [3, 3]), "reaches outside"),
        (_set(["tensors", 1, "shape"], [2 ** 62, 2 ** 62]), "too many elements"),
        (_set(["tensors", 1, "shape"], [3, -1]), "negative dimension"),
        (_set(["tensors", 0, "dtype"], "float64"), "reaches outside"),
        (_set(["tensors", 0, "dtype"], "complex64"), "unknown dtype 'complex64'"),
        (_set(["tensors", 0, "storage"], "nope"), "missing storage 'nope'"),
        (_set(["tensors", 0, "device"], "tpu:0"), "unknown device 'tpu:0'"),
        (_set(["tensors", 0, "requires_grad"], 1), "booleans"),
        (_set(["tensors", 0, "extra"], 1), "exactly the keys"),
        (_set(["tensors"], {}), "tensors must be a list"),
        (_set(["version"], 2), "version 2 is not supported"),
        (_set(["object"], {"tensor": 5}), "refers to tensor 5, the file has 2"),
        (_set(["object"], {"tensor": True}), "refers to tensor True"),
        (_set(["object"], {"pickle": "os.system"}), "unrecognised structure node"),
        (_set(["object"], {"list": [], "tuple": []}), "unrecognised structure node"),
        (_set(["object"], {"dict": [[{"list": []}, 1]]}), "unhashable dict key of type list"),
        (_set(["object"], {"dict": [[1]]}), r"\[key, value\] pair"),
        (_set(["object"], {"size": [-1]}), "unrecognised structure node"),
        (_set(["object"], {"dtype": "complex128"}), "unrecognised structure node"),
        (_set(["object"], {"device": "tpu"}), "unrecognised structure node"),
        (_set(["object"], [1, 2]), "unrecognised structure node"),
        (_set(["object"], json.loads("[" * 300 + "]" * 300)), "unrecognised"),
        (_set(["object"], json.loads('{"list": [' * 300 + "]}" * 300)), "nested more than 256"),
    ],
)
def test_malformed_structure_raises_valueerror(edit, msg):
    with pytest.raises(ValueError, match=msg):
        load_bytes(_with_doc(edit))


def test_malformed_structure_json_and_int_tensor_requiring_grad():
    def not_json(doc):
        doc.clear()

    data = _with_doc(lambda d: None)
    h, body = header(data)
    h["__metadata__"]["xptorch"] = "{not json"
    with pytest.raises(ValueError, match="xptorch metadata is not valid JSON"):
        load_bytes(craft(h, body, h.pop("__metadata__")))
    with pytest.raises(ValueError, match="exactly version, tensors and object"):
        load_bytes(_with_doc(not_json))
    ints = _with_doc(_set(["tensors", 0, "requires_grad"], True), obj=[xptorch.arange(3)])
    with pytest.raises(ValueError, match="int64 tensor cannot require grad"):
        load_bytes(ints)


def test_invalid_structure_is_found_before_data_is_read():
    x = xptorch.zeros(1000)
    data = _with_doc(_set(["object"], {"tensor": 9}), obj=[x])

    class Counting(io.BytesIO):
        largest = 0

        def readinto(self, b):
            Counting.largest = max(Counting.largest, len(b))
            return super().readinto(b)

    with pytest.raises(ValueError, match="refers to tensor 9"):
        load(Counting(data))
    assert Counting.largest < 4000


def test_storage_names_follow_keys_and_never_collide():
    import safetensors.numpy as stn

    x = xptorch.arange(6.0).reshape(2, 3)
    y = xptorch.ones(2)
    obj = {0: y, "0": xptorch.zeros(3), "0.1": xptorch.full((1,), 5.0), "v": [x.t(), x[1]], xptorch.ones(1): 1}
    data = saved_bytes(obj)
    arrays = stn.load(data)
    assert sorted(arrays) == ["0", "0.1", "0.1.1", "tensor", "v.0.storage"]
    np.testing.assert_array_equal(arrays["v.0.storage"].view(np.float32), x.cpu().numpy().reshape(-1))
    out = load(io.BytesIO(data))
    assert out[0].tolist() == [1.0, 1.0] and out["0"].tolist() == [0.0] * 3 and out["0.1"].tolist() == [5.0]
    assert_same(obj["v"], out["v"])
    assert shares(out["v"][0], out["v"][1])


def test_tensors_on_foreign_memory_are_saved_by_value():
    torch = pytest.importorskip("torch")
    t = torch.arange(6.0).reshape(2, 3)
    a, b = xptorch.from_dlpack(t), xptorch.from_dlpack(t.t())
    out = roundtrip([a, b])
    assert_same([a, b], out)


@pytest.mark.cuda
def test_real_cuda_roundtrip_keeps_views_on_the_gpu():
    x = xptorch.arange(12.0, device="cuda").reshape(3, 4)
    obj = {"x": x, "t": x.t(), "row": x[1], "p": nn.Parameter(xptorch.randn(3, device="cuda"))}
    out = roundtrip(obj)
    assert_same(obj, out)
    assert type(out["x"]._data).__module__.startswith("cupy")
    out["x"][1, 0] = 5.0
    assert out["t"][0, 1].item() == 5.0 and out["row"][0].item() == 5.0
    cpu = roundtrip(obj, map_location="cpu")
    assert all(v.device is xptorch.device("cpu") for v in cpu.values())
    assert shares(cpu["x"], cpu["t"])


def test_loading_safetensors_never_touches_pickle(monkeypatch):
    import pickle

    data = saved_bytes({"x": xptorch.ones(2), "n": [1, (2, None)]})

    def boom(*a, **k):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    out = load(io.BytesIO(data))
    assert out["n"] == [1, (2, None)] and out["x"].tolist() == [1.0, 1.0]
