"""Single-process parts: errors before init, the TCP store, the NCCL id exchange and communicator in each
form CuPy has had, the whole `nccl` backend at world size 1 on the strict CuPy stand-in's NCCL (no GPU) and
on a GPU, a failed init that leaves nothing open, and safe object serialisation."""
import datetime
import gc
import os
import socket
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import strict_cupy
import xptorch
import xptorch.distributed as dist
from xptorch import backend
from xptorch.distributed import _nccl, _objects
from xptorch.distributed.store import TCPStore

from mpi_launch import env

_ID = bytes(np.random.default_rng(0).integers(0, 256, 128, dtype=np.uint8))
_SIGNED = tuple(int(v) for v in np.frombuffer(_ID, np.int8))  # CuPy 13 and older, where char is signed
_UNSIGNED = tuple(_ID)  # CuPy 13 and older, where char is unsigned (Arm, POWER)


def test_collective_before_init_and_bad_arguments():
    assert not dist.is_initialized() and dist.is_available()
    for f in (lambda: dist.all_reduce(xptorch.ones(2)), dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            f()
    with pytest.raises(ValueError, match="Invalid backend: 'gloo'"):
        dist.init_process_group("gloo", rank=0, world_size=1)
    with pytest.raises(ValueError, match=r"Invalid rank 3: it must be in \[0, 2\)"):
        dist.init_process_group("mpi", rank=3, world_size=2)
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group("mpi", timeout=5)
    assert not dist.is_initialized()


def test_without_the_extra_the_error_names_it():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import xptorch.distributed as d\n"
            "assert not d.is_mpi_available()\n"
            "try:\n    d.init_process_group('mpi')\n"
            "except RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), timeout=60)
    assert "pip install 'xptorch[dist]'" in out.stdout, out.stderr


def test_tcp_store_set_get_add_wait_and_timeouts():
    master = TCPStore("127.0.0.1", 0, is_master=True, timeout=datetime.timedelta(seconds=2))
    try:
        client = TCPStore("127.0.0.1", master.port, timeout=datetime.timedelta(seconds=2))
        threading.Timer(0.2, lambda: master.set("late", b"\x00\xffdata")).start()
        assert client.get("late") == b"\x00\xffdata"  # waits for it
        assert client.add("n", 2) == 2 and master.add("n", 3) == 5
        assert client.check(["late", "n"]) and not client.check(["missing"])
        assert client.num_keys() == 2 and client.delete_key("n") and not client.check(["n"])
        t0 = time.monotonic()
        with pytest.raises(dist.DistStoreError, match="Timed out after 0.3 s waiting for keys"):
            client.wait(["never"], timeout=datetime.timedelta(seconds=0.3))
        assert time.monotonic() - t0 < 2
        client.close()
    finally:
        master.close()
    t0 = time.monotonic()
    with pytest.raises(dist.DistNetworkError, match="timed out after 0.5 s while trying to connect"):
        TCPStore("127.0.0.1", master.port, timeout=datetime.timedelta(seconds=0.5))
    assert time.monotonic() - t0 < 3


@pytest.mark.parametrize("uid", [_ID, _SIGNED, _UNSIGNED], ids=["bytes", "signed-tuple", "unsigned-tuple"])
def test_nccl_unique_id_exchange_through_the_store(uid):
    """CuPy 14's get_unique_id gives bytes, older CuPy a tuple of chars: every rank gets the same 128 bytes."""
    calls = []

    def make_id():
        calls.append(1)
        return uid

    master = TCPStore("127.0.0.1", 0, is_master=True, timeout=5)
    stores = [master] + [TCPStore("127.0.0.1", master.port, timeout=5) for _ in range(3)]
    got = [None] * 4

    def rank(r):
        got[r] = _nccl.exchange_unique_id(r, make_id, store=stores[r])

    threads = [threading.Thread(target=rank, args=(r,)) for r in (3, 1, 2, 0)]  # rank 0 last
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    try:
        assert got == [_ID] * 4 and len(calls) == 1
    finally:
        for s in stores[1:]:
            s.close()
        master.close()


@pytest.mark.parametrize("uid", [_ID, _SIGNED, _UNSIGNED], ids=["bytes", "signed-tuple", "unsigned-tuple"])
def test_nccl_unique_id_exchange_through_mpi(uid):
    mpi = pytest.importorskip("mpi4py.MPI")
    assert _nccl.exchange_unique_id(0, lambda: uid, comm=mpi.COMM_SELF) == _ID


def test_nccl_unique_id_encoding_and_its_checks():
    for uid in (_ID, bytearray(_ID), memoryview(_ID), _SIGNED, _UNSIGNED, list(_SIGNED), np.frombuffer(_ID, np.uint8)):
        assert _nccl.encode_unique_id(uid) == _ID
    assert _nccl.id_forms(_ID) == (_ID, _SIGNED, _UNSIGNED)
    with pytest.raises(dist.DistBackendError, match="malformed NCCL unique id: 3 bytes, expected 128"):
        _nccl.decode_unique_id(b"abc")
    with pytest.raises(dist.DistBackendError, match="malformed NCCL unique id: 127 bytes, expected 128"):
        _nccl.encode_unique_id(_ID[:-1])
    with pytest.raises(dist.DistBackendError, match="malformed NCCL unique id: 129 bytes, expected 128"):
        _nccl.encode_unique_id(_SIGNED + (0,))
    with pytest.raises(dist.DistBackendError, match="a char out of -128..255"):
        _nccl.encode_unique_id((256,) + _SIGNED[1:])
    with pytest.raises(dist.DistBackendError, match="a tuple of 128 chars, got str"):
        _nccl.encode_unique_id("x" * 128)


class _Cupy13Unsigned:
    """NcclCommunicator of CuPy 13 and older where char is unsigned: `tuple commId`, 0..255."""

    made = []

    def NcclCommunicator(self, ndev, comm_id, rank):  # noqa: N802
        if type(comm_id) is not tuple:
            raise TypeError(f"Argument 'commId' has incorrect type (expected tuple, got {type(comm_id).__name__})")
        if min(comm_id) < 0:
            raise OverflowError("can't convert negative value to char")
        self.made.append((ndev, bytes(comm_id), rank))
        return self.made[-1]


@pytest.mark.parametrize("form", ["bytes", "tuple"])
def test_the_communicator_gets_the_id_in_the_form_its_cupy_takes(form):
    nccl = strict_cupy.cuda.nccl
    strict_cupy.set_nccl_id_form(form)
    try:
        uid = nccl.get_unique_id()
        assert isinstance(uid, bytes if form == "bytes" else tuple)
        wrong = _nccl.id_forms(_nccl.encode_unique_id(uid))[1 if form == "bytes" else 0]
        with pytest.raises(TypeError, match=f"Argument 'commId' has incorrect type \\(expected {form}"):
            nccl.NcclCommunicator(1, wrong, 0)  # each CuPy takes its own form only
        raw = _nccl.exchange_unique_id(0, lambda: uid, comm=None, store=_DictStore())
        comm = _nccl.make_communicator(nccl, 1, raw, 0)
        assert comm.size() == 1 and comm.rank_id() == 0
        comm.destroy()
        with pytest.raises(nccl.NcclError, match="never issued"):  # a garbled id fails as it would on a GPU
            _nccl.make_communicator(nccl, 1, bytes(b ^ 1 for b in raw), 0)
    finally:
        strict_cupy.set_nccl_id_form("bytes")
    old = _Cupy13Unsigned()
    assert _nccl.make_communicator(old, 2, _ID, 1) == (2, _ID, 1)


def test_a_communicator_taking_no_known_form_names_each_refusal():
    class Nothing:
        def NcclCommunicator(self, ndev, comm_id, rank):  # noqa: N802
            raise TypeError(f"no {type(comm_id).__name__}")

    with pytest.raises(dist.DistBackendError, match="no known form: TypeError: no bytes; TypeError: no tuple"):
        _nccl.make_communicator(Nothing(), 1, _ID, 0)


class _DictStore:
    def __init__(self):
        self.data = {}

    def set(self, key, value):
        self.data[key] = bytes(value)

    def get(self, key):
        return self.data[key]


def test_env_rendezvous_names_the_missing_variable(monkeypatch):
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.setenv("MASTER_PORT", "29501")
    with pytest.raises(ValueError, match="environment variable MASTER_ADDR expected, but not set"):
        _nccl.store_from_init_method("env://", 0, 2, 1.0)


@pytest.mark.skipif(_nccl.nccl_module() is not None and xptorch.cuda.is_available(), reason="a GPU with NCCL is here")
def test_nccl_backend_without_gpu_says_what_is_missing():
    with pytest.raises(RuntimeError, match="needs CuPy with NCCL and an NVIDIA GPU"):
        dist.init_process_group("nccl", rank=0, world_size=1)
    assert not dist.is_initialized()


def test_object_serialisation_is_json_only():
    obj = {"a": (1, 2.5, None, True), "b": [b"\x00", "s"], "arr": np.arange(4, dtype=np.int32),
           "t": xptorch.tensor([1.5, 2.0])}
    back = _objects.loads(_objects.dumps(obj))
    assert back["a"] == (1, 2.5, None, True) and back["b"] == [b"\x00", "s"]
    np.testing.assert_array_equal(back["arr"], obj["arr"])
    assert back["arr"].dtype == np.int32 and back["t"].tolist() == [1.5, 2.0]
    with pytest.raises(TypeError, match="not pickled"):
        _objects.dumps(object())
    with pytest.raises(ValueError, match="refusing an array of dtype object"):
        _objects.loads(b'{"__xptorch__": "ndarray", "dtype": "|O", "shape": [1], "data": "AAAAAAAAAAA="}')
    with pytest.raises(ValueError):
        _objects.loads(b"\x80\x04\x95 a pickle")  # pickle bytes are not JSON: refused, never unpickled


def _world_of_one():
    """The whole nccl path at world size 1: TCP store, id exchange, communicator, collectives."""
    dist.init_process_group("nccl", rank=0, world_size=1, timeout=datetime.timedelta(seconds=60))
    try:
        assert dist.get_backend() == "nccl" and dist.get_world_size() == 1 and dist.get_rank() == 0
        t = xptorch.arange(6.0, device="cuda")
        dist.all_reduce(t)
        w = dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True)
        w.wait()
        assert t.cpu().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        out = [xptorch.zeros(6, device="cuda")]
        dist.all_gather(out, t)
        dist.broadcast(t, src=0)
        assert out[0].cpu().tolist() == t.cpu().tolist()
        objs = [None]
        dist.all_gather_object(objs, {"x": 1})
        assert objs == [{"x": 1}]
        with pytest.raises(RuntimeError, match="No backend type associated with device type cpu"):
            dist.all_reduce(xptorch.ones(2))
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


@pytest.fixture
def one_rank_env(monkeypatch):
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "0")  # rank 0 serves the store on a free port
    for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture(params=["bytes", "tuple"], ids=["cupy14-bytes-id", "cupy13-tuple-id"])
def standin_nccl(request, one_rank_env):
    """'cuda' and cupy.cuda.nccl from the strict stand-in, its NCCL giving and taking ids as that CuPy does."""
    strict_cupy.set_device_count(1)
    strict_cupy.set_nccl_id_form(request.param)
    backend.simulate_cuda(strict_cupy)
    try:
        yield strict_cupy.cuda.nccl
    finally:
        backend.simulate_cuda(None)
        strict_cupy.set_device_count(1)


def test_nccl_world_of_one_on_the_standin(standin_nccl):
    assert dist.is_nccl_available()
    _world_of_one()


@pytest.mark.parametrize("where", ["unique id", "communicator", "process group"])
def test_a_failed_nccl_init_leaves_nothing_open(standin_nccl, where):
    """init_process_group failing after it opened the TCP store closes it (client socket, server and its
    thread) and any communicator, and leaves no process group: a later init works."""
    stores, comms = [], []
    real_store, real_make = _nccl.store_from_init_method, _nccl.make_communicator

    def boom(*args, **kwargs):
        raise standin_nccl.NcclError("NCCL_ERROR_SYSTEM_ERROR: planted")

    threads = set(threading.enumerate())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_nccl, "store_from_init_method", lambda *a: stores.append(real_store(*a)) or stores[-1])
        mp.setattr(_nccl, "make_communicator", lambda *a: comms.append(real_make(*a)) or comms[-1])
        if where == "unique id":  # a CuPy whose get_unique_id changed form again
            mp.setattr(standin_nccl, "get_unique_id", lambda: b"\x00" * 64)
            error, match = dist.DistBackendError, "malformed NCCL unique id: 64 bytes"
        elif where == "communicator":
            mp.setattr(standin_nccl, "NcclCommunicator", boom)
            error, match = standin_nccl.NcclError, "planted"
        else:
            mp.setattr(_nccl, "ProcessGroupNCCL", boom)
            error, match = standin_nccl.NcclError, "planted"
        with pytest.raises(error, match=match):
            dist.init_process_group("nccl", rank=0, world_size=1, timeout=datetime.timedelta(seconds=10))
    assert not dist.is_initialized()
    (store,) = stores
    assert store._sock.fileno() == -1 and store._server is None
    assert not [t for t in threading.enumerate() if t not in threads and t.name == "xptorch-store"]
    if where == "process group":
        (comm,) = comms
        with pytest.raises(standin_nccl.NcclError, match="destroyed"):
            comm.size()
    with socket.create_server(("127.0.0.1", store.port)):  # the store's port is free again
        pass
    del store, stores[:], comms[:]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)], [str(w.message) for w in seen]
    _world_of_one()  # nothing half-initialised stands in the way


@pytest.mark.cuda
def test_nccl_world_of_one_on_a_gpu(one_rank_env):
    _world_of_one()
