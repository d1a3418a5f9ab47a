"""TCPStore: a small key-value store served by rank 0, used to pass the NCCL unique id.

Keys are strings, values bytes; nothing is unpickled. Every blocking call has a timeout.
Wire format per request: 1 command byte, then length-prefixed (uint32) key and value.
"""
import datetime
import socket
import socketserver
import struct
import threading
import time

from ._work import DistNetworkError, DistStoreError

_SET, _GET, _ADD, _CHECK, _DEL, _NUM = b"S", b"G", b"A", b"C", b"D", b"N"


def _send(sock, *parts):
    sock.sendall(b"".join(struct.pack("!I", len(p)) + p for p in parts))


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("store connection closed")
        buf += chunk
    return bytes(buf)


def _recv_part(sock):
    (n,) = struct.unpack("!I", _recv_exact(sock, 4))
    return _recv_exact(sock, n)


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data, lock = self.server.data, self.server.lock
        sock = self.request
        try:
            while True:
                cmd = _recv_exact(sock, 1)
                key = _recv_part(sock).decode("utf-8")
                value = _recv_part(sock)
                with lock:
                    if cmd == _SET:
                        data[key] = value
                        reply = b""
                    elif cmd == _GET:
                        reply = b"\x01" + data[key] if key in data else b"\x00"
                    elif cmd == _ADD:
                        n = int(data.get(key, b"0")) + int(value)
                        data[key] = str(n).encode()
                        reply = data[key]
                    elif cmd == _CHECK:
                        reply = b"\x01" if key in data else b"\x00"
                    elif cmd == _DEL:
                        reply = b"\x01" if data.pop(key, None) is not None else b"\x00"
                    elif cmd == _NUM:
                        reply = str(len(data)).encode()
                    else:
                        return
                _send(sock, reply)
        except (ConnectionError, OSError):
            return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class TCPStore:
    """TCPStore(host_name, port, world_size=None, is_master=False, timeout=timedelta(seconds=300))."""

    def __init__(self, host_name, port, world_size=None, is_master=False, timeout=datetime.timedelta(seconds=300),
                 wait_for_workers=True, multi_tenant=False, master_listen_fd=None, use_libuv=True):
        self.host, self.timeout = host_name, _seconds(timeout)
        self._server = None
        if is_master:
            self._server = _Server(("" if host_name in ("0.0.0.0", "") else host_name, int(port)), _Handler)
            self._server.data, self._server.lock = {}, threading.Lock()
            port = self._server.server_address[1]
            threading.Thread(target=self._server.serve_forever, daemon=True, name="xptorch-store").start()
        self.port = int(port)
        self._lock = threading.Lock()
        self._sock = None
        try:
            self._sock = self._connect()
        except BaseException:
            self.close()  # a master that cannot reach itself stops serving: no thread or listening socket left
            raise

    def _connect(self):
        deadline = time.monotonic() + self.timeout
        pause = 0.01
        while True:
            try:
                s = socket.create_connection((self.host, self.port), timeout=max(0.1, deadline - time.monotonic()))
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise DistNetworkError(
                        f"The client socket has timed out after {self.timeout:g} s while trying to connect to "
                        f"({self.host}, {self.port}): {exc}"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
                continue
            try:
                s.settimeout(self.timeout)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except BaseException:
                s.close()
                raise
            return s

    def _ask(self, cmd, key, value=b""):
        with self._lock:
            try:
                self._sock.sendall(cmd)
                _send(self._sock, key.encode("utf-8"), value)
                return _recv_part(self._sock)
            except socket.timeout:
                raise DistStoreError(f"Timed out after {self.timeout:g} s talking to the store at "
                                     f"{self.host}:{self.port}") from None
            except OSError as exc:
                raise DistStoreError(f"the store at {self.host}:{self.port} is unreachable: {exc}") from None

    def set(self, key, value):
        self._ask(_SET, key, value.encode() if isinstance(value, str) else bytes(value))

    def get(self, key):
        """The value of key, waiting for it to be set (up to the store's timeout)."""
        self.wait([key])
        reply = self._ask(_GET, key)
        return reply[1:]

    def add(self, key, amount):
        return int(self._ask(_ADD, key, str(int(amount)).encode()))

    def check(self, keys):
        return all(self._ask(_CHECK, k) == b"\x01" for k in keys)

    def delete_key(self, key):
        return self._ask(_DEL, key) == b"\x01"

    def num_keys(self):
        return int(self._ask(_NUM, ""))

    def wait(self, keys, timeout=None):
        t = self.timeout if timeout is None else _seconds(timeout)
        deadline = time.monotonic() + t
        pause = 0.001
        while not self.check(keys):
            if time.monotonic() > deadline:
                raise DistStoreError(f"Timed out after {t:g} s waiting for keys {list(keys)} in the store at "
                                     f"{self.host}:{self.port}")
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def close(self):
        """Close the connection, and on the master stop serving; closing twice does nothing more."""
        try:
            if self._sock is not None:
                self._sock.close()
        finally:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None


def _seconds(t):
    return t.total_seconds() if hasattr(t, "total_seconds") else float(t)
