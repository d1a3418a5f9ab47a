"""The loader under corrupt input: only ValueError comes out, and memory stays bounded."""
import io
import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xptorch
from xptorch import nn
from xptorch.serialization import load, save

pytest.importorskip("safetensors")

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _valid_file():
    x = xptorch.arange(12.0).reshape(3, 4)
    p = nn.Parameter(xptorch.randn(2, 3))
    obj = {"x": x, "t": x.t(), "row": x[1], "p": p, "tied": p, "ints": xptorch.arange(5),
           "meta": [1, 2.5, None, (True, "s")], "flags": xptorch.ones(2, requires_grad=True)}
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


VALID = _valid_file()
HEADER_LEN = struct.unpack("<Q", VALID[:8])[0]


def _torch_file():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 2))
    x = torch.arange(6.0).reshape(2, 3)
    buf = io.BytesIO()
    torch.save({"sd": net.state_dict(), "x": x, "t": x.t(), "p": torch.nn.Parameter(torch.ones(2)),
                "h": torch.ones(2, dtype=torch.float16)}, buf)
    return buf.getvalue()


def only_valueerror(data):
    """Load data; succeed, or fail with ValueError and nothing else. Returns the object or None."""
    try:
        return load(io.BytesIO(data), map_location="cpu")
    except ValueError as exc:
        # A refused global gets PyTorch's weights-only text, which names the global, not the file.
        assert "<BytesIO>" in str(exc) or "was not an allowed global" in str(exc), str(exc)
        return None


def _tensors(obj):
    stack, out = [obj], []
    while stack:
        x = stack.pop()
        if isinstance(x, xptorch.Tensor):
            out.append(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
            stack.extend(x.keys())
        elif isinstance(x, (list, tuple, set, frozenset)):
            stack.extend(x)
    return out


def _sane(obj, data_len):
    # Whatever loads must be usable: every tensor's values can be read, inside the file's bytes.
    for t in _tensors(obj):
        a = t._data
        assert a.size == 0 or a.base is not None
        np.asarray(a).sum() if a.dtype.kind != "b" else a.any()
        if a.size and a.strides and all(s != 0 for s in a.strides):
            assert a.nbytes <= data_len


# ---- safetensors -----------------------------------------------------------------------------------


def test_the_valid_file_loads():
    out = only_valueerror(VALID)
    assert out is not None and out["p"] is out["tied"]


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_byte_flips(flips):
    data = bytearray(VALID)
    for pos, val in flips:
        data[pos] = val
    out = only_valueerror(bytes(data))
    if out is not None:
        _sane(out, len(data))


@FUZZ
@given(st.data())
def test_byte_flips_inside_the_header(data):
    raw = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(8, 8 + HEADER_LEN - 1))] = data.draw(st.sampled_from(b'{}[]":,0129-e. \\tfu'))
    out = only_valueerror(bytes(raw))
    if out is not None:
        _sane(out, len(raw))


@FUZZ
@given(st.integers(0, len(VALID) - 1))
def test_every_truncation_is_a_valueerror(n):
    with pytest.raises(ValueError):
        load(io.BytesIO(VALID[:n]))


@FUZZ
@given(st.integers(0, 2 ** 64 - 1) | st.integers(0, len(VALID) + 16))
def test_header_length_field(n):
    data = struct.pack("<Q", n) + VALID[8:]
    if n == HEADER_LEN:
        assert only_valueerror(data) is not None
    else:
        out = only_valueerror(data)
        if out is not None:
            _sane(out, len(data))


ST_DTYPES = ["F16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "BOOL", "BF16", "F8_E4M3", "C64", "", "f32"]
ints = st.integers(-3, 6) | st.integers(-(2 ** 64), 2 ** 64) | st.sampled_from([2 ** 31, 2 ** 32, 2 ** 63 - 1, 2 ** 63])
json_scalars = st.none() | st.booleans() | ints | st.floats(allow_nan=False) | st.text(max_size=5)
entry = st.fixed_dictionaries({
    "dtype": st.sampled_from(ST_DTYPES) | json_scalars,
    "shape": st.lists(ints, max_size=4) | json_scalars,
    "data_offsets": st.lists(ints, min_size=0, max_size=3) | json_scalars,
})


@FUZZ
@given(st.dictionaries(st.text(max_size=4), entry | json_scalars, max_size=4), st.binary(max_size=64))
def test_crafted_headers(entries, body):
    raw = json.dumps(entries).encode()
    data = struct.pack("<Q", len(raw)) + raw + body
    out = only_valueerror(data)
    if out is not None:
        _sane(out, len(body))


node = st.recursive(
    json_scalars | st.fixed_dictionaries({"tensor": ints}),
    lambda inner: st.one_of(
        st.fixed_dictionaries({"list": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"tuple": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"dict": st.lists(st.lists(inner, min_size=0, max_size=3), max_size=3)}),
        st.fixed_dictionaries({"odict": st.lists(st.tuples(inner, inner).map(list), max_size=3)}),
        st.fixed_dictionaries({"size": st.lists(ints, max_size=3)}),
        st.fixed_dictionaries({"dtype": st.sampled_from(["float32", "int64", "complex64", "x"])}),
        st.fixed_dictionaries({"device": st.sampled_from(["cpu", "cuda:0", "cuda:x", "tpu"])}),
        st.dictionaries(st.text(max_size=6), inner, max_size=2),
    ),
    max_leaves=12,
)
spec = st.fixed_dictionaries({
    "storage": st.sampled_from(["w", "nope"]) | json_scalars,
    "offset": ints,
    "shape": st.lists(ints, max_size=3),
    "strides": st.lists(ints, max_size=3),
    "dtype": st.sampled_from(["float32", "float64", "int8", "bool", "bfloat16"]),
    "device": st.sampled_from(["cpu", "cuda:0", "meta"]),
    "requires_grad": st.booleans(),
    "parameter": st.booleans(),
})


@FUZZ
@given(st.lists(spec, max_size=3), node)
def test_crafted_structure_metadata(specs, obj):
    body = np.arange(6, dtype=np.float32).tobytes()
    doc = {"version": 1, "tensors": specs, "object": obj}
    h = {"w": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]}, "__metadata__": {"xptorch": json.dumps(doc)}}
    raw = json.dumps(h).encode()
    out = only_valueerror(struct.pack("<Q", len(raw)) + raw + body)
    if out is not None:
        for t in _tensors(out):
            assert t._data.base is not None or t._data.size == 0
            lo, hi = np.lib.array_utils.byte_bounds(t._data) if t._data.size else (0, 0)
            base = t._data.base
            while isinstance(base, np.ndarray) and base.base is not None:
                base = base.base
            if t._data.size:
                b0 = base.__array_interface__["data"][0]
                assert b0 <= lo and hi <= b0 + 24


# ---- PyTorch zip checkpoints -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_file():
    return _torch_file()


@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6))
def test_checkpoint_byte_flips(torch_file, flips):
    data = bytearray(torch_file)
    for where, val in flips:
        data[int(where * len(data))] = val
    out = only_valueerror(bytes(data))
    if out is not None:
        _sane(out, len(data))


@FUZZ
@given(st.floats(0, 1, exclude_max=True))
def test_checkpoint_truncations(torch_file, where):
    with pytest.raises(ValueError):
        load(io.BytesIO(torch_file[: int(where * len(torch_file))]))


@FUZZ
@given(st.data())
def test_checkpoint_pickle_flips(torch_file, data):
    # Flip bytes of data.pkl itself and rewrite the zip with a correct CRC, so the unpickler sees them.
    with zipfile.ZipFile(io.BytesIO(torch_file)) as z:
        records = {i.filename: z.read(i) for i in z.infolist()}
    key = next(k for k in records if k.endswith("/data.pkl"))
    pkl = bytearray(records[key])
    for _ in range(data.draw(st.integers(1, 4))):
        pkl[data.draw(st.integers(2, len(pkl) - 1))] = data.draw(st.integers(0, 255))
    records[key] = bytes(pkl)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for k, v in records.items():
            z.writestr(k, v)
    out = only_valueerror(buf.getvalue())
    if out is not None:
        _sane(out, len(buf.getvalue()))


# ---- memory stays bounded ----------------------------------------------------------------------------


def _peak_during_failed_load(data):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError):
            load(io.BytesIO(data))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _header_file(h, body=b""):
    raw = json.dumps(h).encode()
    return struct.pack("<Q", len(raw)) + raw + body


@pytest.mark.parametrize(
    "data",
    [
        _header_file({"huge": {"dtype": "F64", "shape": [2 ** 40], "data_offsets": [0, 2 ** 43]}}, b"\0" * 64),
        _header_file({"huge": {"dtype": "F32", "shape": [2 ** 31, 2 ** 31], "data_offsets": [0, 2 ** 64]}}),
        _header_file({"huge": {"dtype": "U8", "shape": [10 ** 9], "data_offsets": [0, 10 ** 9]}}, b"\0" * 1024),
        struct.pack("<Q", 99_000_000) + b"{" + b" " * 100,
        struct.pack("<Q", 2 ** 63) + b"{}",
        _header_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                      "__metadata__": {"xptorch": json.dumps({"version": 1, "object": {"tensor": 0}, "tensors": [
                          {"storage": "a", "offset": 0, "shape": [2 ** 40], "strides": [4], "dtype": "float32",
                           "device": "cpu", "requires_grad": False, "parameter": False}]})}}, b"\0" * 4),
    ],
    ids=["claims-8TiB", "offsets-past-2**64", "claims-1GB", "header-99MB", "header-2**63", "view-past-storage"],
)
def test_huge_claims_fail_without_allocating(data):
    assert _peak_during_failed_load(data) < 2 * 2 ** 20


def test_huge_checkpoint_storage_claim_fails_without_allocating(tmp_path):
    pkl = (
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
        b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpu\x8a\x05\x00\x00\x00\x00\x01tQK\x00K\x01\x85K\x01\x85\x89"
        b"ccollections\nOrderedDict\n)RtR."
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a/data.pkl", pkl)
        z.writestr("a/data/0", b"\0" * 16)
    assert _peak_during_failed_load(buf.getvalue()) < 2 * 2 ** 20
