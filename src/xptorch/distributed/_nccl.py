"""The `nccl` backend: one NCCL communicator per process (through CuPy) on its own CUDA stream.

Start-up: rank 0 makes the NCCL unique id and hands it to the others through an MPI broadcast
(ranks started by mpiexec) or a TCPStore on rank 0 at MASTER_ADDR:MASTER_PORT (env:// or tcp://).
Each collective waits for the current stream, runs on the group's stream, and records an event;
`Work.wait()` polls that event against the timeout.
"""
import os
import time

import numpy as np

from ._work import DistBackendError, Work

_HINT = ("the 'nccl' backend needs CuPy with NCCL and an NVIDIA GPU per rank: pip install 'xptorch[cuda12]' "
         "(or '[cuda13]'), which brings nvidia-nccl")
_ID_BYTES = 128


def nccl_module():
    """CuPy's NCCL binding (or that of the module installed by backend.simulate_cuda), None when missing."""
    import warnings

    from .. import backend

    if backend._simulated is not None:
        nccl = getattr(getattr(backend._simulated, "cuda", None), "nccl", None)
        return nccl if nccl is not None and getattr(nccl, "available", True) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # CuPy warns when libnccl is missing; we answer None
            from cupy.cuda import nccl
    except Exception:
        return None
    return nccl if getattr(nccl, "available", True) else None


def _malformed(n):
    return DistBackendError(f"malformed NCCL unique id: {n} bytes, expected {_ID_BYTES}")


def encode_unique_id(uid):
    """NCCL's unique id as its 128 bytes. CuPy 14 and later give the bytes themselves; older CuPy gives a
    tuple of 128 C chars (-128..127 where char is signed, as on x86-64; 0..255 where it is unsigned)."""
    if isinstance(uid, (bytes, bytearray, memoryview)):
        raw = bytes(uid)
        if len(raw) != _ID_BYTES:
            raise _malformed(len(raw))
        return raw
    try:
        vals = np.asarray(uid)
    except (TypeError, ValueError):
        vals = None
    if vals is None or vals.ndim != 1 or vals.dtype.kind not in "iu":
        raise DistBackendError(f"malformed NCCL unique id: expected {_ID_BYTES} bytes or a tuple of "
                               f"{_ID_BYTES} chars, got {type(uid).__name__}")
    if vals.size != _ID_BYTES:
        raise _malformed(vals.size)
    vals = vals.astype(np.int64)
    if vals.min() < -128 or vals.max() > 255:
        raise DistBackendError("malformed NCCL unique id: a char out of -128..255")
    return (vals & 0xFF).astype(np.uint8).tobytes()


def decode_unique_id(raw):
    """The 128 bytes of an id received from rank 0, checked."""
    raw = bytes(raw)
    if len(raw) != _ID_BYTES:
        raise _malformed(len(raw))
    return raw


def exchange_unique_id(rank, make_id, *, store=None, comm=None, key="xptorch/nccl_unique_id/0"):
    """Rank 0 calls make_id(); every rank returns the id's 128 bytes, passed by MPI (comm) or by the store."""
    if comm is not None:
        buf = np.frombuffer(encode_unique_id(make_id()), np.uint8).copy() if rank == 0 else np.zeros(_ID_BYTES, np.uint8)
        comm.Bcast(buf, root=0)
        return decode_unique_id(buf.tobytes())
    if rank == 0:
        raw = encode_unique_id(make_id())
        store.set(key, raw)
        return raw
    return decode_unique_id(store.get(key))


def id_forms(raw):
    """The id in each form a CuPy version's NcclCommunicator takes, the newest first: bytes (CuPy 14 on:
    `bytes commId`), then a tuple of signed chars and one of unsigned chars (before: `tuple commId`,
    filled char by char, so a value outside the platform's char range is refused)."""
    raw = decode_unique_id(raw)
    return raw, tuple(int(v) for v in np.frombuffer(raw, np.int8)), tuple(raw)


def make_communicator(nccl, world_size, raw, rank):
    """nccl.NcclCommunicator(world_size, id, rank) with the id in the form this CuPy takes. A form it does not
    take is refused by CuPy's argument conversion (TypeError, OverflowError) before NCCL is called."""
    errors = []
    for form in id_forms(raw):
        try:
            return nccl.NcclCommunicator(world_size, form, rank)
        except (TypeError, OverflowError) as exc:
            errors.append(exc)
    raise DistBackendError("NCCL's communicator took the unique id in no known form: "
                           + "; ".join(f"{type(e).__name__}: {e}" for e in errors)) from errors[0]


def store_from_init_method(init_method, rank, world_size, seconds):
    """The TCPStore of env:// (MASTER_ADDR, MASTER_PORT) or tcp://host:port; rank 0 serves it."""
    from .store import TCPStore

    if init_method in (None, "env://"):
        addr, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
        if not addr or not port:
            missing = "MASTER_ADDR" if not addr else "MASTER_PORT"
            raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment variable "
                             f"{missing} expected, but not set")
    elif init_method.startswith("tcp://"):
        addr, _, port = init_method[len("tcp://"):].partition(":")
        if not port:
            raise ValueError(f"tcp:// init_method needs a port: {init_method}")
    else:
        raise ValueError(f"unsupported init_method {init_method!r}: use 'env://' or 'tcp://host:port'")
    return TCPStore(addr, int(port), world_size, is_master=rank == 0, timeout=seconds)


def _mpi_world(world_size):
    """MPI's COMM_WORLD when this process was started by mpiexec with world_size ranks."""
    if not any(k in os.environ for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")):
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    w = MPI.COMM_WORLD
    return w if world_size is None or w.Get_size() == world_size else None


def init_nccl(rank, world_size, init_method, store, seconds, device_id):
    from .. import backend, cuda

    nccl = nccl_module()
    if nccl is None or not cuda.is_available():
        raise RuntimeError(_HINT + (f" ({cuda.why_unavailable()})" if not cuda.is_available() else ""))
    comm = _mpi_world(world_size) if store is None else None
    if comm is not None:
        rank, world_size = comm.Get_rank(), comm.Get_size()
    if rank is None or world_size is None:
        raise ValueError("the 'nccl' backend needs rank and world_size (arguments, RANK/WORLD_SIZE, or mpiexec)")
    cp = backend.cupy_module()
    local = int(os.environ.get("LOCAL_RANK", rank))
    dev = device_id.index if device_id is not None and getattr(device_id, "index", None) is not None \
        else local % cp.cuda.runtime.getDeviceCount()
    cp.cuda.Device(dev).use()
    # What this call opens (the TCP store of env:// or tcp://, the communicator) it closes again if a later
    # step fails, so a failed init_process_group leaves no socket, server thread or communicator behind.
    own_store = nccl_comm = None
    try:
        if comm is None and store is None:
            store = own_store = store_from_init_method(init_method, rank, world_size, seconds)
        uid = exchange_unique_id(rank, nccl.get_unique_id, store=store, comm=comm)
        if comm is not None:
            from ._excepthook import install_abort_hook

            install_abort_hook(comm)  # a rank failing from here on ends the job instead of leaving the others waiting
        nccl_comm = make_communicator(nccl, world_size, uid, rank)
        return ProcessGroupNCCL(nccl_comm, list(range(world_size)), seconds, store)
    except BaseException:
        if nccl_comm is not None:
            try:
                nccl_comm.destroy()
            except Exception:
                pass
        if own_store is not None:
            own_store.close()
        raise


class ProcessGroupNCCL:
    backend = "nccl"

    def __init__(self, comm, ranks, timeout, store=None):
        from .. import backend

        self.cupy = backend.cupy_module()
        self.nccl = nccl_module()
        self.comm, self.ranks, self.timeout, self.store = comm, ranks, timeout, store
        self.stream = self.cupy.cuda.Stream(non_blocking=True)
        n = self.nccl
        self._ops = {"SUM": n.NCCL_SUM, "AVG": n.NCCL_SUM, "PRODUCT": n.NCCL_PROD, "MIN": n.NCCL_MIN, "MAX": n.NCCL_MAX}
        self._types = {np.dtype(k): getattr(n, v) for k, v in (
            ("float16", "NCCL_FLOAT16"), ("float32", "NCCL_FLOAT32"), ("float64", "NCCL_FLOAT64"),
            ("int32", "NCCL_INT32"), ("int64", "NCCL_INT64"), ("uint8", "NCCL_UINT8"), ("int8", "NCCL_INT8"))}

    def rank(self):
        return self.comm.rank_id()

    def size(self):
        return self.comm.size()

    def name(self):
        return "NCCL"

    def buffer(self, t):
        if t.device.type != "cuda":
            raise RuntimeError(f"No backend type associated with device type {t.device.type}")
        d = t._data
        if d.flags.c_contiguous:
            return d, False
        return self.cupy.ascontiguousarray(d), True

    def empty(self, shape, dtype, like):
        return self.cupy.empty(shape, dtype)

    def stack(self, arrays):
        return self.cupy.stack(arrays)

    def subgroup(self, ranks, timeout):
        raise NotImplementedError("new_group on the 'nccl' backend is not implemented yet")

    def _launch(self, what, fn):
        cur = self.cupy.cuda.get_current_stream()
        self.stream.wait_event(cur.record())
        self.nccl.groupStart()
        try:
            fn(self.stream.ptr)
        finally:
            self.nccl.groupEnd()
        ev = self.stream.record()
        return Work(lambda: ev.done, None, self.timeout, f"{what} on rank {self.rank()}")  # a property in CuPy

    def _t(self, arr):
        if arr.dtype == np.bool_:
            return self.nccl.NCCL_UINT8
        try:
            return self._types[arr.dtype]
        except KeyError:
            raise RuntimeError(f"the 'nccl' backend does not reduce {arr.dtype}") from None

    def allreduce(self, arr, op):
        return self._launch("all_reduce", lambda s: self.comm.allReduce(
            arr.data.ptr, arr.data.ptr, arr.size, self._t(arr), self._ops[op], s))

    def reduce(self, arr, root, op):
        return self._launch("reduce", lambda s: self.comm.reduce(
            arr.data.ptr, arr.data.ptr, arr.size, self._t(arr), self._ops[op], root, s))

    def broadcast(self, arr, root):
        return self._launch("broadcast", lambda s: self.comm.bcast(arr.data.ptr, arr.nbytes, self.nccl.NCCL_UINT8, root, s))

    def allgather(self, send, recv):
        return self._launch("all_gather", lambda s: self.comm.allGather(
            send.data.ptr, recv.data.ptr, send.nbytes, self.nccl.NCCL_UINT8, s))

    def reduce_scatter(self, send, recv, op):
        return self._launch("reduce_scatter", lambda s: self.comm.reduceScatter(
            send.data.ptr, recv.data.ptr, recv.size, self._t(recv), self._ops[op], s))

    def _p2p_all(self, what, fn):
        return self._launch(what, fn)

    def gather(self, send, recv, root):
        def go(s):
            if self.rank() == root:
                for r in range(self.size()):
                    self.comm.recv(recv[r].data.ptr, send.nbytes, self.nccl.NCCL_UINT8, r, s)
            self.comm.send(send.data.ptr, send.nbytes, self.nccl.NCCL_UINT8, root, s)
        return self._launch("gather", go)

    def scatter(self, send, recv, root):
        def go(s):
            if self.rank() == root:
                for r in range(self.size()):
                    self.comm.send(send[r].data.ptr, recv.nbytes, self.nccl.NCCL_UINT8, r, s)
            self.comm.recv(recv.data.ptr, recv.nbytes, self.nccl.NCCL_UINT8, root, s)
        return self._launch("scatter", go)

    def barrier(self):
        x = self.cupy.zeros(1, np.float32)
        return self.allreduce(x, "SUM")

    def send(self, arr, dst, tag):
        return self._launch("send", lambda s: self.comm.send(arr.data.ptr, arr.nbytes, self.nccl.NCCL_UINT8, dst, s))

    def recv(self, arr, src, tag):
        if src is None:
            raise RuntimeError("the 'nccl' backend needs the source rank of recv")
        return self._launch("recv", lambda s: self.comm.recv(arr.data.ptr, arr.nbytes, self.nccl.NCCL_UINT8, src, s)), None

    def allgather_bytes(self, data):
        cp = self.cupy
        n = self.size()
        sizes = cp.zeros(n, np.int64)
        self.allgather(cp.asarray(np.array([len(data)], np.int64)), sizes).wait()
        sizes = sizes.get()
        width = int(sizes.max()) if n else 0
        mine = np.zeros(width, np.uint8)
        mine[:len(data)] = np.frombuffer(data, np.uint8)
        out = cp.empty((n, width), np.uint8)
        self.allgather(cp.asarray(mine), out).wait()
        host = out.get()
        return [host[r, :sizes[r]].tobytes() for r in range(n)]

    def broadcast_bytes(self, data, root):
        cp = self.cupy
        n = cp.asarray(np.array([len(data) if data is not None else 0], np.int64))
        self.broadcast(n, root).wait()
        size = int(n.get()[0])
        buf = cp.asarray(np.frombuffer(data, np.uint8)) if self.rank() == root else cp.zeros(size, np.uint8)
        self.broadcast(buf, root).wait()
        return buf.get().tobytes()

    def destroy(self):
        try:
            self.comm.destroy()
        except Exception:
            pass
        if self.store is not None:
            self.store.close()
