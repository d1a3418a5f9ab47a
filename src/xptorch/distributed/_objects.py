"""Safe serialisation for the object collectives: JSON with tagged tuples, bytes and arrays.

A peer's bytes are only ever parsed as JSON; nothing a peer sends can run code here (PyTorch
unpickles what peers send). Supported: None, bool, int, float, str, list, tuple, dict with str
keys, bytes, NumPy arrays and xptorch Tensors (sent by value, received on the CPU).
"""
import base64
import json

import numpy as np

_TAG = "__xptorch__"


def _encode(obj):
    from .._tensor import Tensor

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_encode(o) for o in obj]
    if isinstance(obj, tuple):
        return {_TAG: "tuple", "items": [_encode(o) for o in obj]}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, str):
                raise TypeError(f"object collectives send dicts with str keys only, got a {type(k).__name__} key")
        return {_TAG: "dict", "items": {k: _encode(v) for k, v in obj.items()}}
    if isinstance(obj, (bytes, bytearray)):
        return {_TAG: "bytes", "data": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, Tensor):
        return {_TAG: "tensor", "array": _encode(_host(obj._data))}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"object collectives send numeric arrays only, got dtype {obj.dtype}")
        a = np.ascontiguousarray(obj)
        return {_TAG: "ndarray", "dtype": a.dtype.str, "shape": list(a.shape),
                "data": base64.b64encode(a.tobytes()).decode("ascii")}
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(
        f"object collectives send JSON-like values (None, bool, int, float, str, list, tuple, dict, bytes, "
        f"arrays, tensors); got {type(obj).__name__}. Arbitrary objects are not pickled, by design"
    )


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()


def _decode(obj):
    if isinstance(obj, list):
        return [_decode(o) for o in obj]
    if isinstance(obj, dict):
        tag = obj.get(_TAG)
        if tag == "tuple":
            return tuple(_decode(o) for o in obj["items"])
        if tag == "dict":
            return {k: _decode(v) for k, v in obj["items"].items()}
        if tag == "bytes":
            return base64.b64decode(obj["data"])
        if tag == "ndarray":
            dt = np.dtype(obj["dtype"])
            if dt.kind not in "biuf":
                raise ValueError(f"refusing an array of dtype {dt} from a peer")
            raw = base64.b64decode(obj["data"])
            shape = tuple(int(n) for n in obj["shape"])
            return np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        if tag == "tensor":
            from .._tensor import Tensor

            return Tensor._from_array(_decode(obj["array"]))
        raise ValueError("malformed object from a peer")
    return obj


def dumps(obj):
    return json.dumps(_encode(obj), separators=(",", ":"), allow_nan=True).encode("utf-8")


def loads(data):
    return _decode(json.loads(bytes(data).decode("utf-8")))
