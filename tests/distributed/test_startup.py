"""Single-process parts: errors before init, the TCP store, the NCCL id exchange (no GPU needed
up to creating the communicator), safe object serialisation, and the `nccl` backend on a GPU."""
import datetime
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import xptorch
import xptorch.distributed as dist
from xptorch.distributed import _nccl, _objects
from xptorch.distributed.store import TCPStore

from mpi_launch import env


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


def test_nccl_unique_id_exchange_through_the_store():
    fake = tuple(int(v) for v in np.random.default_rng(0).integers(-128, 128, 128))
    calls = []

    def make_id():
        calls.append(1)
        return fake

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
        assert got == [fake] * 4 and len(calls) == 1
    finally:
        for s in stores[1:]:
            s.close()
        master.close()


def test_nccl_unique_id_exchange_through_mpi_and_its_checks():
    mpi = pytest.importorskip("mpi4py.MPI")
    fake = tuple(range(-64, 64))
    assert _nccl.exchange_unique_id(0, lambda: fake, comm=mpi.COMM_SELF) == fake
    with pytest.raises(dist.DistBackendError, match="malformed NCCL unique id: 3 bytes"):
        _nccl.decode_unique_id(b"abc")


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


@pytest.mark.cuda
def test_nccl_world_of_one_on_a_gpu(monkeypatch):
    """The whole nccl path at world size 1: TCP store, id exchange, communicator, collectives."""
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "0")  # rank 0 serves the store on a free port
    monkeypatch.delenv("PMI_RANK", raising=False)
    dist.init_process_group("nccl", rank=0, world_size=1, timeout=datetime.timedelta(seconds=60))
    try:
        assert dist.get_backend() == "nccl" and dist.get_world_size() == 1
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
