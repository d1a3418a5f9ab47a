"""Reading torch.save's zip checkpoints without torch's unpickler: values, sharing, refusals."""
import collections
import io
import os
import pickle
import re
import zipfile

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.serialization import load

torch = pytest.importorskip("torch")

from xptorch._pt_reader import UnsafeGlobalError  # noqa: E402


def tsave(obj, tmp_path, name="ckpt.pt"):
    p = tmp_path / name
    torch.save(obj, p)
    return p


def same_values(ours, theirs):
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.numpy(force=True), theirs.detach().numpy())


def rewrite(path, out, pkl=None, drop=(), extra=None, compress=None):
    """Copy a checkpoint, replacing data.pkl, dropping records, adding records, or compressing."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if any(info.filename.endswith(d) for d in drop):
                continue
            data = src.read(info)
            if pkl is not None and info.filename.endswith("/data.pkl"):
                data = pkl(data) if callable(pkl) else pkl
            dst.writestr(info.filename, data, compress_type=compress or zipfile.ZIP_STORED)
        for k, v in (extra or {}).items():
            dst.writestr(k, v)
    return out


def make_ckpt(tmp_path, pkl, storages=None, name="made.pt"):
    """A checkpoint zip from hand-written pickle bytes and raw storage records."""
    p = tmp_path / name
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as z:
        z.writestr("made/data.pkl", pkl)
        z.writestr("made/byteorder", "little")
        for k, v in (storages or {}).items():
            z.writestr(f"made/data/{k}", v)
    return p


def U(s):
    b = s.encode()
    return b"X" + len(b).to_bytes(4, "little") + b


def I(x):
    """An int opcode: BININT for 32-bit values, LONG1 beyond."""
    if -2 ** 31 <= x < 2 ** 31:
        return b"J" + x.to_bytes(4, "little", signed=True)
    b = x.to_bytes((x.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(b)]) + b


def float_tensor_pickle(key="0", size=(2,), stride=(1,), offset=0, numel=2, rg=False, location="cpu"):
    """Protocol-2 opcodes for _rebuild_tensor_v2 over FloatStorage `key`, as torch writes them."""
    tup = lambda xs: b"(" + b"".join(I(x) for x in xs) + b"t"  # noqa: E731
    return (
        b"ctorch._utils\n_rebuild_tensor_v2\n("
        + b"(" + U("storage") + b"ctorch\nFloatStorage\n" + U(key) + U(location) + I(numel) + b"tQ"
        + I(offset) + tup(size) + tup(stride)
        + (b"\x88" if rg else b"\x89") + b"ccollections\nOrderedDict\n)Rtr"
        + (0).to_bytes(4, "little")
        + b"R"
    )


# ---- values --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype", [torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
              torch.int64, torch.uint8, torch.bool],
    ids=str,
)
def test_every_dtype(tmp_path, dtype):
    g = torch.Generator().manual_seed(0)
    t = (torch.randn(3, 4, generator=g) * 50).to(dtype)
    same_values(load(tsave(t, tmp_path)), t)


def test_shapes_and_flags(tmp_path):
    obj = {
        "scalar": torch.tensor(3.5), "empty": torch.empty(0, 3), "rg": torch.ones(2, requires_grad=True),
        "param": torch.nn.Parameter(torch.randn(2, 2)),
        "frozen": torch.nn.Parameter(torch.randn(2), requires_grad=False),
    }
    out = load(tsave(obj, tmp_path))
    for k, v in obj.items():
        same_values(out[k], v)
    assert type(out["param"]) is nn.Parameter and out["param"].requires_grad
    assert type(out["frozen"]) is nn.Parameter and not out["frozen"].requires_grad
    assert type(out["rg"]) is xptorch.Tensor


def test_python_containers_and_torch_values(tmp_path):
    obj = {
        "list": [1, 2.5, None, True, "s"], "tuple": (1, (2,)), "set": {1, 2}, "frozen": frozenset({3}),
        "od": collections.OrderedDict(b=1, a=2), "bytes": b"\x00\xffab", 7: "int key", (1, 2): "tuple key",
        "size": torch.Size([2, 3]), "dtype": torch.float16, "dtypes": [torch.int64, torch.bool],
        "device": torch.device("cpu"), "cuda": torch.device("cuda", 1),
    }
    out = load(tsave(obj, tmp_path))
    assert out["list"] == obj["list"] and out["tuple"] == obj["tuple"] and type(out["tuple"]) is tuple
    assert out["set"] == {1, 2} and type(out["frozen"]) is frozenset
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["b", "a"]
    assert out["bytes"] == obj["bytes"] and out[7] == "int key" and out[(1, 2)] == "tuple key"
    assert type(out["size"]) is xptorch.Size and out["size"] == (2, 3)
    assert out["dtype"] is xptorch.float16 and out["dtypes"] == [xptorch.int64, xptorch.bool]
    assert out["device"] is xptorch.device("cpu") and out["cuda"] is xptorch.device("cuda", 1)


def test_state_dict_of_small_net_loads_into_our_module(tmp_path):
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    sd = load(tsave(tnet.state_dict(), tmp_path, "mlp.pth"))
    assert type(sd) is collections.OrderedDict and list(sd) == list(tnet.state_dict())
    for k, v in tnet.state_dict().items():
        same_values(sd[k], v)
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    ours.load_state_dict(sd)
    X = torch.randn(5, 4)
    np.testing.assert_allclose(
        ours(xptorch.from_numpy(X.numpy())).detach().numpy(), tnet(X).detach().numpy(), rtol=1e-6, atol=1e-6
    )


def test_tied_weights_share_memory(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 3))
    tnet[1].weight = tnet[0].weight
    sd = load(tsave(tnet.state_dict(), tmp_path))
    assert np.shares_memory(sd["0.weight"]._data, sd["1.weight"]._data)
    sd["0.weight"][0, 0] = 123.0
    assert sd["1.weight"][0, 0].item() == 123.0
    tied = load(tsave({"a": tnet[0].weight, "b": tnet[1].weight}, tmp_path, "params.pt"))
    assert tied["a"] is tied["b"] and type(tied["a"]) is nn.Parameter


def test_views_share_memory_and_keep_strides(tmp_path):
    x = torch.arange(24.0).reshape(4, 6)
    obj = {"x": x, "t": x.t(), "row": x[2], "cols": x[:, 1::2], "tail": x[1:]}
    out = load(tsave(obj, tmp_path))
    for k, v in obj.items():
        same_values(out[k], v)
        assert out[k].stride() == v.stride()
        assert np.shares_memory(out[k]._data, out["x"]._data)
    out["x"][2, 1] = -1.0
    assert out["t"][1, 2].item() == -1.0 and out["row"][1].item() == -1.0 and out["cols"][2, 0].item() == -1.0


def test_file_objects_and_map_location(tmp_path):
    p = tsave({"w": torch.ones(2)}, tmp_path)
    with open(p, "rb") as fh:
        assert load(fh, map_location="cpu")["w"].tolist() == [1.0, 1.0]
    buf = io.BytesIO()
    torch.save([torch.zeros(1)], buf)
    buf.seek(0)
    assert load(buf, map_location=xptorch.device("cpu"))[0].tolist() == [0.0]


def _cuda_ckpt(tmp_path):
    w = torch.arange(4.0)
    p = tsave({"w": w, "v": w[1:]}, tmp_path, "src.pt")
    # Storage locations are BINUNICODE strings: retarget them as if saved on a GPU.
    return rewrite(p, tmp_path / "cuda.pt", pkl=lambda d: d.replace(U("cpu"), U("cuda:0")))


@pytest.mark.skipif(xptorch.cuda.is_available(), reason="checks the CPU-only message")
def test_cuda_checkpoint_on_cpu_machine(tmp_path):
    p = _cuda_ckpt(tmp_path)
    with pytest.raises(RuntimeError, match=r"use xptorch.load with map_location='cpu'"):
        load(p)
    out = load(p, map_location="cpu")
    assert out["v"].tolist() == [1.0, 2.0, 3.0] and out["v"].device is xptorch.device("cpu")
    assert np.shares_memory(out["w"]._data, out["v"]._data)
    assert load(p, map_location={"cuda:0": "cpu"})["w"].device is xptorch.device("cpu")


def test_cuda_checkpoint_on_cuda(tmp_path, simulated_cuda):
    out = load(_cuda_ckpt(tmp_path))
    assert out["w"].device == xptorch.device("cuda", 0)
    assert out["v"].tolist() == [1.0, 2.0, 3.0]


def test_unknown_location_needs_map_location(tmp_path):
    p = tsave({"w": torch.ones(1)}, tmp_path)
    q = rewrite(p, tmp_path / "mps.pt", pkl=lambda d: d.replace(U("cpu"), U("mps")))
    with pytest.raises(ValueError, match="unsupported device 'mps'"):
        load(q)
    assert load(q, map_location="cpu")["w"].tolist() == [1.0]


def test_big_endian_checkpoint(tmp_path):
    t = torch.tensor([1.5, -2.0, 3.25], dtype=torch.float64)
    p = tsave(t, tmp_path)
    with zipfile.ZipFile(p) as z:
        key = next(n for n in z.namelist() if "/data/" in n)
        swapped = np.frombuffer(z.read(key), "<f8").astype(">f8").tobytes()
    q = rewrite(p, tmp_path / "be.pt", drop=("/byteorder", key), extra={key: swapped, "ckpt/byteorder": "big"})
    assert load(q).tolist() == [1.5, -2.0, 3.25]


# ---- refusals ------------------------------------------------------------------------------------------


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    p = tsave({"w": torch.ones(2)}, tmp_path)
    evil = pickle.dumps({"w": _Evil(marker)}, protocol=2)
    q = rewrite(p, tmp_path / "evil.pt", pkl=evil)
    with pytest.raises(UnsafeGlobalError, match=rf"GLOBAL {os.system.__module__}.system was not an allowed global"):
        load(q)
    with pytest.raises(ValueError):
        load(q)
    with pytest.raises(pickle.UnpicklingError):
        load(q)
    assert not marker.exists()


@pytest.mark.parametrize(
    "module, name",
    [("builtins", "eval"), ("builtins", "getattr"), ("__builtin__", "exec"), ("torch", "load"),
     ("torch._utils", "_rebuild_qtensor"), ("numpy.core.multiarray", "_reconstruct"),
     ("collections", "OrderedDict.fromkeys"), ("torch.serialization", "_get_layout")],
)
def test_other_globals_are_refused_by_name(tmp_path, module, name):
    pkl = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")R."
    shown = name if module == "builtins" else f"{module}.{name}"  # PyTorch's text drops "builtins."
    with pytest.raises(UnsafeGlobalError, match=rf"GLOBAL {re.escape(shown)} was not"):
        load(make_ckpt(tmp_path, pkl))


@pytest.mark.parametrize("dtype, name", [(torch.bfloat16, "bfloat16"), (torch.complex64, "complex64")])
def test_unsupported_dtype_checkpoint_says_so(tmp_path, dtype, name):
    p = tsave({"w": torch.ones(2, dtype=dtype)}, tmp_path)
    with pytest.raises(ValueError, match=rf"ckpt.pt: the checkpoint holds {name} tensors, a dtype xptorch does not support") as e:
        load(p)
    assert "global" not in str(e.value)


def _claim_size(path, record, size):
    """Rewrite the sizes that the zip's central directory gives for one record."""
    data = bytearray(path.read_bytes())
    name = record.encode()
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = int.from_bytes(data[i + 28:i + 30], "little")
        if bytes(data[i + 46:i + 46 + n]).endswith(name):
            data[i + 20:i + 24] = size.to_bytes(4, "little")
            data[i + 24:i + 28] = size.to_bytes(4, "little")
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("record", ["/data.pkl", "/data/0"])
def test_record_claiming_more_than_the_file_is_refused_before_allocating(tmp_path, record):
    import tracemalloc

    p = tsave({"w": torch.ones(1000)}, tmp_path)
    claim = 4 * 10**9 // 4 * 4 if record == "/data/0" else 3 * 10**9
    if record == "/data/0":  # the pickle must agree with the record, as a crafted file would make it
        pkl = zipfile.ZipFile(p).read("ckpt/data.pkl").replace(b"M\xe8\x03", b"J" + (claim // 4).to_bytes(4, "little"))
        rewrite(p, tmp_path / "r.pt", pkl=pkl)
        p = tmp_path / "r.pt"
    _claim_size(p, record, claim)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"record '.*{record}' claims {claim} bytes, more than the \d+-byte file holds"):
            load(p)
        assert tracemalloc.get_traced_memory()[1] < 10**7
    finally:
        tracemalloc.stop()


def test_build_cannot_modify_dtypes_devices_or_tensors(tmp_path):
    state = b"N}" + U("name") + U("evil") + b"s\x86b"
    with pytest.raises(ValueError, match="BUILD on a Const is not allowed"):
        load(make_ckpt(tmp_path, b"\x80\x02ctorch\nfloat32\n" + state + b"."))
    assert xptorch.float32.name == "float32"
    with pytest.raises(ValueError, match="BUILD on a Const"):
        load(make_ckpt(tmp_path, b"\x80\x02ctorch\ndevice\n" + U("cpu") + b"\x85R" + state + b"."))
    assert str(xptorch.device("cpu")) == "cpu"
    tampered = float_tensor_pickle() + b"}" + U("_grad") + b"K\x01sb."
    with pytest.raises(ValueError, match="altered after it was built"):
        load(make_ckpt(tmp_path, b"\x80\x02" + tampered, {"0": b"\0" * 8}))
    slots = float_tensor_pickle() + b"N}" + U("_data") + U("x") + b"s\x86b."
    with pytest.raises(ValueError, match="altered after it was built"):
        load(make_ckpt(tmp_path, b"\x80\x02" + slots, {"0": b"\0" * 8}))
    ok = load(make_ckpt(tmp_path, b"\x80\x02" + float_tensor_pickle() + b".", {"0": b"\0" * 8}))
    assert ok.tolist() == [0.0, 0.0]


def test_handwritten_tensor_checks(tmp_path):
    def ckpt(data=b"\0" * 8, **kw):
        return make_ckpt(tmp_path, b"\x80\x02" + float_tensor_pickle(**kw) + b".", {"0": data})

    with pytest.raises(ValueError, match="reaches outside its storage of 2 elements"):
        load(ckpt(size=(3,)))
    with pytest.raises(ValueError, match="reaches outside"):
        load(ckpt(offset=1, size=(2,)))
    with pytest.raises(ValueError, match="reaches outside"):
        load(ckpt(size=(2, 2), stride=(1, 1)))
    with pytest.raises(ValueError, match="malformed tensor"):
        load(ckpt(stride=(-1,)))
    with pytest.raises(ValueError, match="malformed tensor"):
        load(ckpt(size=(2, 1), stride=(1,)))
    with pytest.raises(ValueError, match="holds 4 bytes, its 2 elements of float32 need 8"):
        load(ckpt(data=b"\0" * 4))
    with pytest.raises(ValueError, match="holds 8 bytes, its 1000000000000 elements of float32 need 4000000000000"):
        load(ckpt(numel=10 ** 12))
    with pytest.raises(ValueError, match="malformed storage size -1"):
        load(ckpt(numel=-1))
    with pytest.raises(ValueError, match="lacks the storage record 'made/data/9'"):
        load(ckpt(key="9"))
    assert load(ckpt(size=(0,), offset=2)).shape == (0,)
    assert load(ckpt(size=(2, 3), stride=(1, 0))).stride() == (1, 0)


def test_structural_damage(tmp_path):
    p = tsave({"w": torch.ones(4)}, tmp_path)
    with pytest.raises(ValueError, match="compressed"):
        load(rewrite(p, tmp_path / "deflated.pt", compress=zipfile.ZIP_DEFLATED))
    with pytest.raises(ValueError, match="without a data.pkl"):
        load(rewrite(p, tmp_path / "nopkl.pt", drop=("/data.pkl",)))
    with pytest.raises(ValueError, match="lacks the storage record"):
        load(rewrite(p, tmp_path / "nodata.pt", drop=("/data/0",)))
    data = p.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="trunc.pt"):
        load(tmp_path / "trunc.pt")
    with pytest.raises(ValueError, match="unknown byteorder"):
        load(rewrite(p, tmp_path / "order.pt", drop=("/byteorder",), extra={"ckpt/byteorder": "middle"}))


def test_memo_index_bomb_is_rejected_cheaply(tmp_path):
    import tracemalloc

    pkl = b"\x80\x02]r" + (2 ** 27).to_bytes(4, "little") + b"."
    p = make_ckpt(tmp_path, pkl)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="memo index 134217728"):
            load(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2 ** 20


@pytest.mark.parametrize(
    "pkl, msg",
    [
        (b"\x80\x02(" + U("weird") + b"tQ.", "unsupported persistent id"),
        (b"\x80\x02(" + U("storage") + b"K\x01" + U("0") + U("cpu") + b"K\x02tQ.", "malformed storage reference"),
        (b"\x80\x02ctorch\nFloatStorage\n.", "unexpected object of type _StorageType"),
        (b"\x80\x02c_codecs\nencode\nK\x01\x85R.", "only allowed as encode"),
        (b"\x80\x02}]\x85s.", "corrupt checkpoint pickle"),
        (b"\x80\x02\xff.", "corrupt checkpoint pickle"),
        (b"\x80\x02K\x01", "corrupt checkpoint pickle"),
        (b"\x80\x02J\x01\x00\x00\x00J\x02\x00\x00\x00\x86\x85.", ""),
    ],
)
def test_malformed_pickles(tmp_path, pkl, msg):
    if not msg:  # a well-formed pickle of allowed values must still load
        assert load(make_ckpt(tmp_path, pkl)) == ((1, 2),)
        return
    with pytest.raises(ValueError, match=msg) as info:
        load(make_ckpt(tmp_path, pkl))
    assert "made.pt" in str(info.value)


def test_self_referencing_list_is_kept(tmp_path):
    out = load(make_ckpt(tmp_path, b"\x80\x02]q\x00h\x00a."))
    assert type(out) is list and out[0] is out
