"""Process groups and collectives with PyTorch's `torch.distributed` API, on MPI and NCCL.

Collectives work in place on tensors. Ranks given to a collective (`src`, `dst`) are global ranks,
as in PyTorch. Arguments are checked before anything is sent: a bad tensor, rank or list raises on
the calling rank only. A collective called on some ranks only ends in a timeout error (every
wait has one). Shapes or dtypes that differ across ranks cannot be seen locally: MPICH may then
finish the collective without an error and undefined contents, as NCCL does; with
TORCH_DISTRIBUTED_DEBUG=DETAIL every collective first compares all ranks' shapes and dtypes and
raises naming both sides (one extra small all-gather per collective).
"""
import datetime
import enum
import os

import numpy as np

from .._ops import inplace as _inplace
from .._tensor import Tensor as _Tensor
from . import _objects
from ._work import DistBackendError, Work, completed_work

default_pg_timeout = datetime.timedelta(minutes=30)


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4


class ReduceOp:
    """Reduction operations of all_reduce, reduce and reduce_scatter."""

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    RedOpType = RedOpType


class _NonMember:
    def __repr__(self):
        return "<xptorch.distributed.GroupMember.NON_GROUP_MEMBER>"


class GroupMember:
    NON_GROUP_MEMBER = _NonMember()

    @property
    def WORLD(self):  # noqa: N802 (PyTorch's name)
        return _state.default


class _GroupNamespace:
    """`dist.group.WORLD`: the default process group once it exists."""

    @property
    def WORLD(self):  # noqa: N802
        return _state.default


group = _GroupNamespace()


_OP_NAMES = {op: op.name for op in RedOpType}


class _State:
    debug = False  # TORCH_DISTRIBUTED_DEBUG=DETAIL, read at init_process_group
    default = None
    backend = None
    groups = {}  # process group -> its global ranks
    sequence = 0


_state = _State()


# ---- availability and queries ---------------------------------------------------------------
def is_available():
    """The package is always there; its backends need their extras (see is_mpi_available)."""
    return True


def is_mpi_available():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available():
    from . import _nccl

    return _nccl.nccl_module() is not None


def is_gloo_available():
    return False


def is_initialized():
    return _state.default is not None


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _default():
    if _state.default is None:
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
    return _state.default


def _pg(group):
    if group is None or group is GroupMember.WORLD:
        return _default()
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if group not in _state.groups:
        raise ValueError("The given group is not a process group of this process (was it destroyed?)")
    return group


def get_rank(group=None):
    pg = _pg(group)
    if pg is None:
        return -1
    return pg.rank()


def get_world_size(group=None):
    pg = _pg(group)
    if pg is None:
        return -1
    return pg.size()


def get_backend(group=None):
    pg = _pg(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.backend


def get_process_group_ranks(group):
    pg = _pg(group)
    return list(_state.groups[pg])


def get_global_rank(group, group_rank):
    pg = _pg(group)
    ranks = _state.groups[pg]
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _pg(group)
    ranks = _state.groups[pg]
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return ranks.index(global_rank)


# ---- set-up and tear-down -------------------------------------------------------------------------
def _env_int(name, given):
    if given is not None and given != -1:
        return int(given)
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else None


def _timeout_seconds(timeout):
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: backend 'mpi' (CPU, ranks started by mpiexec or
    `xptorch run`) or 'nccl' (one NVIDIA GPU per rank; the NCCL id goes through MPI or a TCP store)."""
    if _state.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is None:
        from .. import cuda

        backend = "nccl" if cuda.is_available() and is_nccl_available() else "mpi"
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a string, got {type(backend).__name__}")
    backend = backend.lower()
    if ":" in backend or "," in backend:  # "cpu:mpi,cuda:nccl": one backend per process here
        parts = [b.split(":")[-1] for b in backend.split(",")]
        backend = "nccl" if "nccl" in parts else parts[0]
    seconds = _timeout_seconds(timeout)
    rank = _env_int("RANK", rank)
    world_size = _env_int("WORLD_SIZE", world_size)
    if world_size is not None and world_size < 1:
        raise ValueError(f"Invalid world_size {world_size}: it must be at least 1")
    if rank is not None and world_size is not None and not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}: it must be in [0, {world_size}) for world_size {world_size}")
    if backend == "mpi":
        pg = _init_mpi(rank, world_size, seconds)
    elif backend == "nccl":
        from . import _nccl

        pg = _nccl.init_nccl(rank, world_size, init_method, store, seconds, device_id)
    else:
        raise ValueError(
            f"Invalid backend: '{backend}'. xptorch.distributed runs 'mpi' (CPU, through mpi4py: "
            "pip install 'xptorch[dist]') and 'nccl' (NVIDIA GPUs, through CuPy)"
        )
    _state.default = pg
    _state.backend = backend
    set_debug_level_from_env()
    _state.groups = {pg: list(range(pg.size()))}
    _state.sequence = 0


def _init_mpi(rank, world_size, seconds):
    from . import _mpi
    from ._excepthook import install_abort_hook

    MPI = _mpi.load_mpi()
    world = MPI.COMM_WORLD
    n, r = world.Get_size(), world.Get_rank()
    if world_size is not None and world_size != n:
        raise RuntimeError(
            f"WORLD_SIZE is {world_size} but MPI started {n} process(es): the 'mpi' backend needs every rank "
            "started by mpiexec (`mpiexec -n N python script.py`) or by `xptorch run --nproc-per-node N script.py`"
        )
    if rank is not None and rank != r:
        raise RuntimeError(f"RANK is {rank} but this process is MPI rank {r}: ranks come from mpiexec for the 'mpi' backend")
    install_abort_hook(world)
    if os.environ.get("XPTORCH_RUN_DIR"):
        # For `xptorch run`: the shared-memory segments to remove if this job ends without MPI_Finalize,
        # even when every rank is gone before the launcher could look at them.
        from ._bootstrap import _note
        from ._shm import mapped_segments

        _note("shm", "\n".join(sorted(mapped_segments())))
    comm, req = world.Idup()  # non-blocking: a rank that never calls init gives a timeout, not a hang
    from ._work import Work

    Work(req.Test, None, seconds, f"init_process_group on rank {r}").wait()
    return _mpi.ProcessGroupMPI(comm, list(range(n)), seconds)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some ranks; every rank must call it. Non-members get GroupMember.NON_GROUP_MEMBER."""
    world = _default()
    n = world.size()
    ranks = sorted(range(n) if ranks is None else {int(r) for r in ranks})
    if len(ranks) > n:
        raise ValueError("the new group's world size should be less or equal to the world size set by init_process_group")
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"The new group's rank should be within the world_size set by init_process_group, got {r}")
    seconds = world.timeout if timeout is None else _timeout_seconds(timeout)
    sub = world.subgroup(ranks, seconds)
    if sub is None:
        return GroupMember.NON_GROUP_MEMBER
    _state.groups[sub] = ranks
    return sub


def destroy_process_group(group=None):
    if group is None or group is GroupMember.WORLD:
        if _state.default is None:
            raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
        for pg in list(_state.groups):
            pg.destroy()
        _state.default = None
        _state.backend = None
        _state.groups = {}
        return
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group in _state.groups:
        group.destroy()
        del _state.groups[group]


# ---- tensors to buffers ----------------------------------------------------------------------------
def _check_tensor(t, name="tensor"):
    if not isinstance(t, _Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type xptorch.Tensor\n"
            f"             but got {type(t)} instead."
        )


def _check_op(op, fn):
    if not isinstance(op, RedOpType):
        raise TypeError(f"{fn}(): op must be a ReduceOp (ReduceOp.SUM, AVG, PRODUCT, MIN or MAX), got {op!r}")


class _Buf:
    """A tensor's data as a contiguous buffer of the backend, and how to write results back."""

    __slots__ = ("t", "arr", "copied")

    def __init__(self, pg, t, writes=True):
        self.t = t
        self.arr, self.copied = pg.buffer(t)
        if writes:
            _inplace.bump(t)  # the collective writes into t

    def commit(self):
        _store(self.t, self.arr)


def _store(t, arr):
    """Write a buffer back into t's own array (a host buffer goes to the device when t is there)."""
    d = t._data
    if isinstance(d, np.ndarray):
        d[...] = arr.reshape(d.shape)
    else:
        from ..backend import get_array_module

        d[...] = get_array_module(d).asarray(arr).reshape(d.shape)


def _then(work, fn):
    prev = work._finish

    def finish():
        if prev is not None:
            prev()
        fn()

    work._finish = finish
    return work


def _done(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def set_debug_level_from_env():
    """Read TORCH_DISTRIBUTED_DEBUG again (init_process_group reads it once)."""
    _state.debug = os.environ.get("TORCH_DISTRIBUTED_DEBUG", "").upper() == "DETAIL"


def _debug_check(pg, what, tensors, extra=""):
    """TORCH_DISTRIBUTED_DEBUG=DETAIL: every rank's collective, shapes and dtypes, compared first."""
    if not _state.debug:
        return
    _state.sequence += 1
    mine = (f"CollectiveFingerPrint(SequenceNumber={_state.sequence}, OpType={what}, "
            f"TensorShape={[list(t.shape) for t in tensors]}, TensorDtypes={[str(t.dtype) for t in tensors]}{extra})")
    everyone = [b.decode() for b in pg.allgather_bytes(mine.encode())]
    for r, theirs in enumerate(everyone):
        if theirs != mine:
            raise RuntimeError(
                f"Detected mismatch between collectives on ranks. Rank {pg.rank()} is running collective: {mine}, "
                f"but Rank {r} is running collective: {theirs}."
            )


def _group_root(pg, rank, what):
    ranks = _state.groups[pg]
    if rank not in ranks:
        raise RuntimeError(f"ProcessGroup{pg.name()}::{what}: invalid root rank: {rank}")
    return ranks.index(rank)


# ---- collectives ---------------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    _check_tensor(tensor)
    name = _OP_NAMES.get(op)
    if name is None:
        _check_op(op, "all_reduce")
    pg = _pg(group)
    if pg is None:
        return None
    if _state.debug:
        _debug_check(pg, "ALLREDUCE", [tensor], f", Op={name}")
    b = _Buf(pg, tensor)
    work = pg.allreduce(b.arr, name)
    if op is RedOpType.AVG:
        n = pg.size()
        arr = b.arr
        _then(work, lambda: _divide(arr, n))
    if b.copied:
        _then(work, b.commit)
    return _done(work, async_op)


def _divide(arr, n):
    if arr.dtype.kind == "f":
        arr /= n
    else:
        arr //= n


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    _check_tensor(tensor)
    _check_op(op, "reduce")
    pg = _pg(group)
    if pg is None:
        return None
    root = group_dst if group_dst is not None else _group_root(pg, 0 if dst is None else dst, "reduce")
    _debug_check(pg, "REDUCE", [tensor], f", Op={op.name}")
    b = _Buf(pg, tensor, writes=pg.rank() == root)
    work = pg.reduce(b.arr, root, op.name)
    if op is RedOpType.AVG and pg.rank() == root:
        n, arr = pg.size(), b.arr
        _then(work, lambda: _divide(arr, n))
    if pg.rank() == root and b.copied:
        _then(work, b.commit)
    return _done(work, async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = group_src if group_src is not None else _group_root(pg, 0 if src is None else src, "broadcast")
    _debug_check(pg, "BROADCAST", [tensor])
    b = _Buf(pg, tensor, writes=pg.rank() != root)
    work = pg.broadcast(b.arr, root)
    if pg.rank() != root and b.copied:
        _then(work, b.commit)
    return _done(work, async_op)


def _check_list(pg, what, tensors, like, name):
    n = pg.size()
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise RuntimeError(
            f"ProcessGroup{pg.name()}::{what}: invalid {name} tensor list at index 0 (expected length {n}, got {got})"
        )
    for i, t in enumerate(tensors):
        _check_tensor(t, name)
        if tuple(t.shape) != tuple(like.shape):
            raise RuntimeError(
                f"ProcessGroup{pg.name()}::{what}: invalid tensor size at index {i} "
                f"(expected {_shape(like)}, got {_shape(t)})"
            )
        if t.dtype != like.dtype:
            raise RuntimeError(
                f"ProcessGroup{pg.name()}::{what}: invalid tensor type at index {i} (expected {like.dtype}, got {t.dtype})"
            )
        if t.device != like.device:
            raise RuntimeError(f"ProcessGroup{pg.name()}::{what}: tensors must all be on {like.device}, got {t.device}")


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _scatter_rows(pg, out_list, recv):
    def finish():
        for i, t in enumerate(out_list):
            _store(t, recv[i])
            _inplace.bump(t)

    return finish


def all_gather(tensor_list, tensor, group=None, async_op=False):
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    _check_list(pg, "allgather", tensor_list, tensor, "output")
    _debug_check(pg, "ALLGATHER", [tensor])
    b = _Buf(pg, tensor, writes=False)
    recv = pg.empty((pg.size(),) + tuple(b.arr.shape), b.arr.dtype, b.arr)
    work = pg.allgather(b.arr, recv)
    return _done(_then(work, _scatter_rows(pg, tensor_list, recv)), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if output_tensor.numel() != input_tensor.numel() * n or output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(
            f"ProcessGroup{pg.name()}::_allgather_base: output tensor {_shape(output_tensor)} {output_tensor.dtype} must "
            f"hold world_size ({n}) times the input tensor {_shape(input_tensor)} {input_tensor.dtype}"
        )
    _debug_check(pg, "_ALLGATHER_BASE", [input_tensor])
    src = _Buf(pg, input_tensor, writes=False)
    out = _Buf(pg, output_tensor)
    work = pg.allgather(src.arr, out.arr)
    return _done(_then(work, out.commit) if out.copied else work, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _check_op(op, "reduce_scatter_tensor")
    pg = _pg(group)
    if pg is None:
        return None
    n = pg.size()
    if input.numel() != output.numel() * n or output.dtype != input.dtype:
        raise RuntimeError(
            f"ProcessGroup{pg.name()}::_reduce_scatter_base: input tensor {_shape(input)} {input.dtype} must hold "
            f"world_size ({n}) times the output tensor {_shape(output)} {output.dtype}"
        )
    _debug_check(pg, "_REDUCE_SCATTER_BASE", [input], f", Op={op.name}")
    src = _Buf(pg, input, writes=False)
    out = _Buf(pg, output)
    work = pg.reduce_scatter(src.arr, out.arr, op.name)
    if op is RedOpType.AVG:
        arr = out.arr
        _then(work, lambda: _divide(arr, n))
    return _done(_then(work, out.commit) if out.copied else work, async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = group_dst if group_dst is not None else _group_root(pg, 0 if dst is None else dst, "gather")
    if pg.rank() == root:
        _check_list(pg, "gather", gather_list, tensor, "output")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _debug_check(pg, "GATHER", [tensor])
    b = _Buf(pg, tensor, writes=False)
    recv = pg.empty((pg.size(),) + tuple(b.arr.shape), b.arr.dtype, b.arr) if pg.rank() == root else None
    work = pg.gather(b.arr, recv, root)
    if recv is not None:
        _then(work, _scatter_rows(pg, gather_list, recv))
    return _done(work, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    root = group_src if group_src is not None else _group_root(pg, 0 if src is None else src, "scatter")
    send = None
    if pg.rank() == root:
        if not isinstance(scatter_list, (list, tuple)) or len(scatter_list) != pg.size():
            got = len(scatter_list) if isinstance(scatter_list, (list, tuple)) else 0
            raise RuntimeError(
                f"ProcessGroup{pg.name()}::scatter: Incorrect input list size {got}. Input list size should be "
                f"{pg.size()}, same as size of the process group."
            )
        _check_list(pg, "scatter", scatter_list, tensor, "input")
        send = pg.stack([_Buf(pg, t, writes=False).arr for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _debug_check(pg, "SCATTER", [tensor])
    b = _Buf(pg, tensor)
    work = pg.scatter(send, b.arr, root)
    return _done(_then(work, b.commit) if b.copied else work, async_op)


def barrier(group=None, async_op=False, device_ids=None):
    pg = _pg(group)
    if pg is None:
        return None
    return _done(pg.barrier(), async_op)


def _peer(pg, rank, what):
    ranks = _state.groups[pg]
    if rank not in ranks:
        raise ValueError(f"Invalid {what} rank {rank}: not in the group of ranks {ranks}")
    if ranks.index(rank) == pg.rank():
        raise ValueError(
            f"Invalid {what} rank: {what} rank should not be the same as the rank of the current process."
        )
    return ranks.index(rank)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    peer = group_dst if group_dst is not None else _peer(pg, dst, "destination")
    b = _Buf(pg, tensor, writes=False)
    return pg.send(b.arr, peer, tag)


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return None
    peer = group_src if group_src is not None else (None if src is None else _peer(pg, src, "source"))
    b = _Buf(pg, tensor)
    work, _ = pg.recv(b.arr, peer, tag)
    return _then(work, b.commit) if b.copied else work


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into tensor; returns the sender's global rank (any sender when src is None)."""
    _check_tensor(tensor)
    pg = _pg(group)
    if pg is None:
        return -1
    peer = group_src if group_src is not None else (None if src is None else _peer(pg, src, "source"))
    b = _Buf(pg, tensor)
    work, req = pg.recv(b.arr, peer, tag)
    (_then(work, b.commit) if b.copied else work).wait()
    return _state.groups[pg][pg.recv_source(req) if peer is None else peer]


# ---- objects, through JSON (never pickle) ---------------------------------------------------------------
def all_gather_object(object_list, obj, group=None):
    """Fill object_list with every rank's obj. Values travel as JSON (see _objects): no pickling."""
    pg = _pg(group)
    if pg is None:
        return
    if not isinstance(object_list, list) or len(object_list) != pg.size():
        raise RuntimeError(f"all_gather_object: object_list must be a list of length {pg.size()} (the group size)")
    data = _objects.dumps(obj)
    for i, raw in enumerate(pg.allgather_bytes(data)):
        object_list[i] = _objects.loads(raw)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Replace object_list's items on every rank with those of rank src, sent as JSON."""
    pg = _pg(group)
    if pg is None:
        return
    root = group_src if group_src is not None else _group_root(pg, 0 if src is None else src, "broadcast")
    data = _objects.dumps(list(object_list)) if pg.rank() == root else None
    got = _objects.loads(pg.broadcast_bytes(data, root))
    if len(got) != len(object_list):
        raise RuntimeError(
            f"broadcast_object_list: rank {src} sent {len(got)} objects, this rank's list holds {len(object_list)}"
        )
    object_list[:] = got


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    pg = _pg(group)
    if pg is None:
        return
    root = group_dst if group_dst is not None else _group_root(pg, 0 if dst is None else dst, "gather")
    everyone = pg.allgather_bytes(_objects.dumps(obj))
    if pg.rank() == root:
        if not isinstance(object_gather_list, list) or len(object_gather_list) != pg.size():
            raise RuntimeError(f"gather_object: object_gather_list must be a list of length {pg.size()} on the destination")
        for i, raw in enumerate(everyone):
            object_gather_list[i] = _objects.loads(raw)


__all__ = [
    "ReduceOp", "GroupMember", "group", "Work", "DistBackendError", "default_pg_timeout",
    "is_available", "is_mpi_available", "is_nccl_available", "is_gloo_available", "is_initialized",
    "is_torchelastic_launched", "init_process_group", "destroy_process_group", "new_group", "get_rank",
    "get_world_size", "get_backend", "get_process_group_ranks", "get_global_rank", "get_group_rank",
    "all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor",
    "gather", "scatter", "barrier", "send", "recv", "isend", "irecv", "all_gather_object",
    "broadcast_object_list", "gather_object", "completed_work", "set_debug_level_from_env",
]
