"""The `mpi` backend: mpi4py non-blocking collectives on host (NumPy) arrays.

Each collective is started with its non-blocking MPI call (MPI_Iallreduce, ...) and waited on by
polling MPI_Testall against the group's timeout, so no wait can hang forever. float16 is reduced
in float32 (MPI has no half-precision sums) and bool with logical operations.
"""
import numpy as np

from ._work import DistBackendError, Work

_EXTRA_HINT = "the 'mpi' backend needs mpi4py and an MPI library: pip install 'xptorch[dist]'"


def load_mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(f"{_EXTRA_HINT} ({exc})") from None
    return MPI


class ProcessGroupMPI:
    """A communicator of ranks; `ranks` are the global ranks of its members, in group order."""

    backend = "mpi"

    def __init__(self, comm, ranks, timeout):
        self.comm = comm
        self.ranks = ranks
        self.timeout = timeout
        self.MPI = load_mpi()
        MPI = self.MPI
        self._ops = {"SUM": MPI.SUM, "AVG": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN, "MAX": MPI.MAX}
        self._bool_ops = {"SUM": MPI.LOR, "AVG": MPI.LOR, "PRODUCT": MPI.LAND, "MIN": MPI.LAND, "MAX": MPI.LOR}

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def name(self):
        return "MPI"

    # ---- buffers -------------------------------------------------------------------------------
    @staticmethod
    def buffer(t):
        """(contiguous host array, whether it is a copy): CuPy arrays go through the host."""
        d = t._data
        if isinstance(d, np.ndarray):
            if d.flags.c_contiguous:
                return d, False
            return np.ascontiguousarray(d), True
        return np.ascontiguousarray(d.get()), True

    @staticmethod
    def empty(shape, dtype, like):
        return np.empty(shape, dtype)

    @staticmethod
    def stack(arrays):
        return np.stack(arrays)

    def subgroup(self, ranks, timeout):
        """The communicator of some ranks (collective over this group); None on non-members.

        MPI_Comm_create blocks until every rank calls it, so a barrier with the deadline goes first:
        a rank that never calls new_group gives a timeout error, not a hang.
        """
        MPI = self.MPI
        req = self._call(self.comm.Ibarrier)
        Work(req.Test, None, timeout, f"new_group on rank {self.ranks[self.rank()]}").wait()
        members = [self.ranks.index(r) for r in ranks]
        comm = self.comm.Create(self.comm.Get_group().Incl(members))
        if comm == MPI.COMM_NULL:
            return None
        return ProcessGroupMPI(comm, list(ranks), timeout)

    # ---- one request -> Work -----------------------------------------------------------
    def _work(self, reqs, what, finish=None):
        Testall = self.MPI.Request.Testall
        if len(reqs) == 1:
            req = reqs[0]
            done = req.Test
        else:
            def done():
                return Testall(reqs)
        return Work(done, finish, self.timeout, f"{what} on rank {self.ranks[self.rank()]}")

    def _op(self, arr, op):
        return (self._bool_ops if arr.dtype == np.bool_ else self._ops)[op]

    @staticmethod
    def _typed(arr):
        """A reducible buffer for arr, and what copies the result back (None: arr itself)."""
        if arr.dtype == np.float16:
            buf = arr.astype(np.float32)
            return buf, lambda: np.copyto(arr, buf, casting="unsafe")
        return arr, None

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except self.MPI.Exception as exc:
            raise DistBackendError(f"MPI error: {exc.Get_error_string()}") from None

    # ---- collectives on contiguous host arrays --------------------------------------------
    def allreduce(self, arr, op):
        buf, back = self._typed(arr)
        req = self._call(self.comm.Iallreduce, self.MPI.IN_PLACE, buf, self._op(buf, op))
        return self._work([req], "all_reduce", back)

    def reduce(self, arr, root, op):
        buf, back = self._typed(arr)
        if self.rank() == root:
            req = self._call(self.comm.Ireduce, self.MPI.IN_PLACE, buf, self._op(buf, op), root)
        else:
            req = self._call(self.comm.Ireduce, buf, None, self._op(buf, op), root)
        return self._work([req], "reduce", back)

    def broadcast(self, arr, root):
        return self._work([self._call(self.comm.Ibcast, _bytes(arr), root)], "broadcast")

    def allgather(self, send, recv):
        return self._work([self._call(self.comm.Iallgather, _bytes(send), _bytes(recv))], "all_gather")

    def reduce_scatter(self, send, recv, op):
        sbuf, _ = self._typed(send)
        rbuf, back = self._typed(recv)
        req = self._call(self.comm.Ireduce_scatter_block, sbuf, rbuf, self._op(sbuf, op))
        return self._work([req], "reduce_scatter", back)

    def gather(self, send, recv, root):
        rb = _bytes(recv) if recv is not None else None
        return self._work([self._call(self.comm.Igather, _bytes(send), rb, root)], "gather")

    def scatter(self, send, recv, root):
        sb = _bytes(send) if send is not None else None
        return self._work([self._call(self.comm.Iscatter, sb, _bytes(recv), root)], "scatter")

    def barrier(self):
        return self._work([self._call(self.comm.Ibarrier)], "barrier")

    def send(self, arr, dst, tag):
        return self._work([self._call(self.comm.Isend, _bytes(arr), dst, tag)], "send")

    def recv(self, arr, src, tag):
        src = self.MPI.ANY_SOURCE if src is None else src
        req = self._call(self.comm.Irecv, _bytes(arr), src, tag)
        status = self.MPI.Status()
        return Work(lambda: req.Test(status), None, self.timeout, f"recv on rank {self.ranks[self.rank()]}"), status

    @staticmethod
    def recv_source(status):
        return status.Get_source()

    # ---- variable-size byte messages (object collectives) --------------------------------------
    def allgather_bytes(self, data):
        sizes = np.zeros(self.size(), np.int64)
        self.allgather(np.array([len(data)], np.int64), sizes).wait()
        out = np.zeros(int(sizes.sum()), np.uint8)
        counts = sizes.astype(np.int64)
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]])
        req = self._call(self.comm.Iallgatherv, np.frombuffer(data, np.uint8) if data else np.zeros(0, np.uint8),
                         [out, (counts, displs), self.MPI.BYTE])
        self._work([req], "all_gather_object").wait()
        return [out[d:d + c].tobytes() for d, c in zip(displs, counts)]

    def broadcast_bytes(self, data, root):
        n = np.array([len(data) if data is not None else 0], np.int64)
        self.broadcast(n, root).wait()
        buf = np.frombuffer(data, np.uint8).copy() if self.rank() == root else np.zeros(int(n[0]), np.uint8)
        self.broadcast(buf, root).wait()
        return buf.tobytes()

    def destroy(self):
        if self.comm != self.MPI.COMM_NULL:
            try:
                self.comm.Free()
            except self.MPI.Exception:
                pass


def _bytes(arr):
    """The array's memory as bytes: data movement needs no MPI datatype (any dtype works)."""
    return arr.reshape(-1).view(np.uint8) if arr.size else np.zeros(0, np.uint8)
