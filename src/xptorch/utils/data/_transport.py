"""How a DataLoader worker hands a batch to the main process: large arrays through shared memory.

A worker pickles each result with NumPy arrays and xptorch CPU tensors of at least SHARE_MIN_BYTES
replaced by references to anonymous shared-memory files (Linux memfd). The array is copied once into
a file; the file's descriptor travels over the worker's socket (SCM_RIGHTS, as PyTorch's
file_descriptor strategy) the first time; the main process maps it and wraps the mapping without a
copy. When the last array over a file goes, the main process tells the worker (with its next task),
which writes a later batch of the same size into it: pages already allocated and mapped on both
sides, so a large batch costs one copy in the worker and nothing per page in the main process. A
worker keeps a few such free files and closes the rest.

The files have no name, so nothing is ever left in /dev/shm, whichever process dies when: the
memory goes with the last mapping or descriptor. Smaller arrays are pickled, and so is everything
where memfd is missing.

One message: a header (batch index, descriptor count), the descriptors, then the pickled body.
"""
import ctypes
import io
import os
import pickle
import socket
import struct
from multiprocessing import reduction

import numpy as np

from ..._device import CPU
from ..._tensor import Tensor

# Pickled below this. With files reused, a shared array costs the main process less than a pickled one
# from ~16 KiB on (2-core VM: 64 KiB 29 vs 47 us, 1 MiB 94 vs 324 us); 64 KiB keeps small arrays
# from becoming many files.
SHARE_MIN_BYTES = 1 << 16
_HAS_MEMFD = hasattr(os, "memfd_create") and hasattr(socket, "CMSG_SPACE")
_HEADER = struct.Struct("<qi")
_MAX_FDS = 250  # descriptors per message (Linux allows 253)
_PROT_RW, _MAP_SHARED = 0x1 | 0x2, 0x01
_LIBC = []


def _libc():
    if not _LIBC:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long)
        libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
        _LIBC.append(libc)
    return _LIBC[0]


class _File:
    """A shared file mapped into this process, unmapped when the last reference goes.

    Mapped through libc rather than the mmap module, which keeps a descriptor open per mapping.
    """

    __slots__ = ("addr", "size", "__array_interface__")

    def __init__(self, fd, size):
        addr = _libc().mmap(None, size, _PROT_RW, _MAP_SHARED, fd, 0)
        if addr is None or addr == ctypes.c_void_p(-1).value:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self.addr, self.size = addr, size
        self.__array_interface__ = {"data": (addr, False), "shape": (size,), "typestr": "|u1", "version": 3}

    def __del__(self):
        _libc().munmap(self.addr, self.size)


class _Lease:
    """The base of the arrays received in one file: when the last goes, the file may be written again."""

    __slots__ = ("file", "fid", "released", "__array_interface__")

    def __init__(self, file, fid, released):
        self.file, self.fid, self.released = file, fid, released
        self.__array_interface__ = file.__array_interface__

    def __del__(self):
        self.released.append(self.fid)  # list.append is atomic: __del__ may run in any thread


def shared_base(arr):
    """The lease of shared memory an array received from a worker lies in, else None."""
    while isinstance(arr, np.ndarray):
        arr = arr.base
    return arr if isinstance(arr, _Lease) else None


def socket_of(conn):
    """The socket under a duplex multiprocessing Connection, for passing descriptors beside it."""
    return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(conn.fileno()))


class _Local:
    """The base of an array a worker builds straight into a shared file (a batch collated in place)."""

    __slots__ = ("sender", "fid", "__array_interface__")

    def __init__(self, sender, fid, file):
        self.sender, self.fid = sender, fid
        self.__array_interface__ = file.__array_interface__

    def __del__(self):
        self.sender._local_gone(self.fid)


_sender = None  # this worker's Sender, for batches collated in place


def shared_empty(shape, dtype):
    """In a DataLoader worker, an uninitialised array in a shared file that the next send shares
    without a copy; None in the main process, below SHARE_MIN_BYTES or without memfd."""
    sender = _sender
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if sender is None or not _HAS_MEMFD or nbytes < SHARE_MIN_BYTES or dtype.hasobject:
        return None
    fid, file = sender.take(nbytes)
    sender.local.add(fid)
    return np.asarray(_Local(sender, fid, file)).view(dtype).reshape(shape)


def _whole_local_file(arr, sender):
    """The fid of the worker's shared file arr covers exactly, else None."""
    base = arr
    while isinstance(base, np.ndarray):
        base = base.base
    if not isinstance(base, _Local) or base.sender is not sender or not arr.flags.c_contiguous:
        return None
    file = sender.files.get(base.fid)
    if file is None or arr.nbytes != file.size or arr.ctypes.data != file.addr:
        return None
    return base.fid


class _Pickler(pickle.Pickler):
    def __init__(self, file, sender, fds):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._sender = sender
        self._fds = fds
        self.copied = []  # files taken for copies: free again if pickling fails
        self.used = []  # every file this message refers to
        self._seen = {}  # id -> (obj, pid): an array met twice is shared once

    def persistent_id(self, obj):
        cls = type(obj)
        if cls is Tensor:
            if obj._device is not CPU:
                return None
            arr, kind, rg = obj._data, "t", obj._rg
        elif cls is np.ndarray:
            arr, kind, rg = obj, "a", False
        else:
            return None
        if type(arr) is not np.ndarray or arr.nbytes < SHARE_MIN_BYTES or arr.dtype.hasobject:
            return None
        hit = self._seen.get(id(obj))
        if hit is not None:
            return hit[1]
        sender = self._sender
        fid = _whole_local_file(arr, sender)
        if fid is None or fid in self.used:
            fid, file = sender.take(arr.nbytes)
            self.copied.append(fid)
            np.copyto(np.asarray(file).view(arr.dtype).reshape(arr.shape), arr, casting="no")
        self.used.append(fid)
        slot = -1
        fd = sender.unsent.get(fid)
        if fd is not None:  # a new file: its descriptor goes with this message
            slot = len(self._fds)
            self._fds.append(fd)
        pid = (kind, fid, slot, arr.dtype, arr.shape, rg)
        self._seen[id(obj)] = (obj, pid)
        return pid


class Sender:
    """A worker's end: pickles results, with large arrays in shared files it writes again once free.

    A file is free when the main process has released it and no array of this worker lies in it.
    """

    def __init__(self, conn, keep):
        self.conn, self.sock = conn, socket_of(conn)
        self.keep = keep  # free files kept for reuse, counted in batches
        self.per_batch = 1  # files the last batch took
        self.files = {}  # fid -> _File
        self.unsent = {}  # fid -> descriptor, for files the main process has not got yet
        self.free = []  # oldest first
        self.local = set()  # fids under a live array of this worker's
        self.remote = set()  # fids the main process may hold
        self.dropped = []  # fids closed here after the main process got them, to tell it
        self.next_fid = 0

    def release(self, fids):
        for fid in fids:
            self.remote.discard(fid)
            self._maybe_free(fid)
        while len(self.free) > self.keep * self.per_batch:
            self._drop(self.free.pop(0))

    def _maybe_free(self, fid):
        if fid in self.files and fid not in self.local and fid not in self.remote and fid not in self.free:
            self.free.append(fid)

    def _local_gone(self, fid):
        self.local.discard(fid)
        self._maybe_free(fid)

    def _drop(self, fid):
        del self.files[fid]
        fd = self.unsent.pop(fid, None)
        if fd is None:
            self.dropped.append(fid)
        else:
            os.close(fd)

    def take(self, nbytes):
        """(fid, _File) of nbytes to write into: a free one of that size, else a new one."""
        for j, fid in enumerate(self.free):
            if self.files[fid].size == nbytes:
                del self.free[j]
                return fid, self.files[fid]
        fd = os.memfd_create("xptorch-batch", os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, nbytes)
            file = _File(fd, nbytes)
        except BaseException:
            os.close(fd)
            raise
        fid = self.next_fid
        self.next_fid += 1
        self.files[fid] = file
        self.unsent[fid] = fd
        return fid, file

    def send(self, idx, obj, share=True):
        """Send (idx, obj); raises what pickling raises before anything is sent."""
        buf = io.BytesIO()
        fds = []
        used = []
        if share and _HAS_MEMFD:
            pickler = _Pickler(buf, self, fds)
            try:
                pickler.dump((self.dropped, obj))
            except BaseException:
                for fid in pickler.copied:
                    self._maybe_free(fid)
                raise
            used = pickler.used
            self.per_batch = max(len(used), 1)
        else:
            pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump((self.dropped, obj))
        self.dropped = []
        self.remote.update(used)
        self.conn.send_bytes(_HEADER.pack(idx, len(fds)))
        for i in range(0, len(fds), _MAX_FDS):
            reduction.sendfds(self.sock, fds[i:i + _MAX_FDS])
        for fid in used:  # the mapping here is enough to write the file again
            fd = self.unsent.pop(fid, None)
            if fd is not None:
                os.close(fd)
        self.conn.send_bytes(buf.getbuffer())

    def close(self):
        self.sock.close()
        for fd in self.unsent.values():
            os.close(fd)
        self.unsent.clear()
        self.files.clear()


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, fds, receiver):
        super().__init__(file)
        self._fds = fds
        self._rc = receiver
        self._loaded = {}

    def persistent_load(self, pid):
        kind, fid, slot, dtype, shape, rg = pid
        out = self._loaded.get(fid)
        if out is None:
            if slot >= 0:
                self._rc.files[fid] = _File(self._fds[slot], dtype.itemsize * int(np.prod(shape, dtype=np.int64)))
            # The array's base is the lease; views of it keep the array.
            lease = _Lease(self._rc.files[fid], fid, self._rc.released)
            out = np.asarray(lease).view(dtype).reshape(shape)
            if kind == "t":
                out = Tensor._from_array(out)
                out._rg = rg
            self._loaded[fid] = out
        return out


class Receiver:
    """The main process's end for one worker: its shared files, mapped once, and those released."""

    def __init__(self, conn):
        self.conn, self.sock = conn, socket_of(conn)
        self.files = {}  # fid -> _File
        self.released = []  # fids whose last array went

    def take_released(self):
        out = self.released[:]
        del self.released[:len(out)]  # what a __del__ appends meanwhile stays for next time
        return out

    def recv(self):
        """Receive one (idx, obj) sent by Sender.send()."""
        idx, n = _HEADER.unpack(self.conn.recv_bytes())
        fds = []
        try:
            while len(fds) < n:
                fds.extend(reduction.recvfds(self.sock, min(_MAX_FDS, n - len(fds))))
            body = self.conn.recv_bytes()
            dropped, obj = _Unpickler(io.BytesIO(body), fds, self).load()
        finally:
            for fd in fds:  # mapped files stay mapped
                os.close(fd)
        for fid in dropped:
            self.files.pop(fid, None)
        return idx, obj

    def shutdown(self):
        """Wake a worker blocked on sending, whatever other processes hold the socket, and let go."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.conn.close()
        self.files.clear()  # arrays still held keep their files
