"""How a DataLoader worker hands a batch to the main process: large arrays through shared memory.

A worker pickles each result with NumPy arrays and xptorch CPU tensors of at least SHARE_MIN_BYTES
replaced by references to anonymous shared-memory files (Linux memfd): the array is copied once into
the file, whose descriptor travels over the worker's socket (SCM_RIGHTS, as PyTorch's
file_descriptor strategy); the main process maps the file and wraps the mapping without a copy.
The files have no name, so nothing is ever left in /dev/shm, whichever process dies when: the
memory goes with the last mapping or descriptor. Smaller arrays are pickled (cheaper below the
threshold), and so is everything where memfd is missing.

One message: a header (batch index, descriptor count), the descriptors, then the pickled body.
"""
import ctypes
import io
import mmap
import os
import pickle
import socket
import struct
from multiprocessing import reduction

import numpy as np

from ..._device import CPU
from ..._tensor import Tensor

# Measured on a 2-core VM: below ~256 KiB a pickled array crosses the pipe as fast as a mapped one.
SHARE_MIN_BYTES = 1 << 18
_HAS_MEMFD = hasattr(os, "memfd_create") and hasattr(socket, "CMSG_SPACE")
_HEADER = struct.Struct("<qi")
_MAX_FDS = 250  # descriptors per message (Linux allows 253)




class _Mapping:
    """A shared file mapped into this process, unmapped when the last array over it goes.

    Through libc rather than the mmap module, which keeps a descriptor open per mapping (one per
    batch held: a process holding a few thousand batches would run out of descriptors).
    """

    __slots__ = ("addr", "size", "__array_interface__")

    def __init__(self, fd, size):
        libc = _libc()
        addr = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
        if addr is None or addr == _MAP_FAILED:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self.addr, self.size = addr, size
        self.__array_interface__ = {"data": (addr, False), "shape": (size,), "typestr": "|u1", "version": 3}

    def __del__(self):
        _libc().munmap(self.addr, self.size)


_MAP_FAILED = ctypes.c_void_p(-1).value
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


def shared_mapping(arr):
    """The shared-memory mapping an array received from a worker lies in, else None."""
    while isinstance(arr, np.ndarray):
        arr = arr.base
    return arr if isinstance(arr, _Mapping) else None


def socket_of(conn):
    """The socket under a duplex multiprocessing Connection, for passing descriptors beside it."""
    return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(conn.fileno()))


def _to_memfd(arr):
    fd = os.memfd_create("xptorch-batch", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, arr.nbytes)
        if arr.flags.c_contiguous:
            view = memoryview(arr.reshape(-1).view(np.uint8))
            done = 0
            while done < len(view):
                done += os.pwrite(fd, view[done:], done)
        else:
            with mmap.mmap(fd, arr.nbytes) as mm:
                dst = np.ndarray(arr.shape, arr.dtype, buffer=mm)
                np.copyto(dst, arr, casting="no")
                del dst
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Pickler(pickle.Pickler):
    def __init__(self, file, fds, share_min):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._fds = fds
        self._share_min = share_min
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
        if type(arr) is not np.ndarray or arr.nbytes < self._share_min or arr.dtype.hasobject:
            return None
        hit = self._seen.get(id(obj))
        if hit is not None:
            return hit[1]
        pid = (kind, len(self._fds), arr.dtype, arr.shape, rg)
        self._fds.append(_to_memfd(arr))
        self._seen[id(obj)] = (obj, pid)
        return pid


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, fds):
        super().__init__(file)
        self._fds = fds
        self._loaded = {}

    def persistent_load(self, pid):
        kind, i, dtype, shape, rg = pid
        out = self._loaded.get(i)
        if out is None:
            nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            # The array keeps the mapping alive (its base); views of it keep the array.
            out = np.asarray(_Mapping(self._fds[i], nbytes)).view(dtype).reshape(shape)
            if kind == "t":
                out = Tensor._from_array(out)
                out._rg = rg
            self._loaded[i] = out
        return out


def send(conn, sock, idx, obj, share=True):
    """Send (idx, obj); raises what pickling raises before anything is sent."""
    buf = io.BytesIO()
    fds = []
    try:
        if share and _HAS_MEMFD:
            _Pickler(buf, fds, SHARE_MIN_BYTES).dump(obj)
        else:
            pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        conn.send_bytes(_HEADER.pack(idx, len(fds)))
        for i in range(0, len(fds), _MAX_FDS):
            reduction.sendfds(sock, fds[i:i + _MAX_FDS])
        conn.send_bytes(buf.getbuffer())
    finally:
        for fd in fds:
            os.close(fd)


def recv(conn, sock):
    """Receive one (idx, obj) sent by send()."""
    idx, n = _HEADER.unpack(conn.recv_bytes())
    fds = []
    try:
        while len(fds) < n:
            fds.extend(reduction.recvfds(sock, min(_MAX_FDS, n - len(fds))))
        body = conn.recv_bytes()
        return idx, _Unpickler(io.BytesIO(body), fds).load()
    finally:
        for fd in fds:  # mapped files stay mapped
            os.close(fd)
