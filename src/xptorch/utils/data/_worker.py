"""DataLoader worker processes: each fetches the batches it is sent and returns them in order.

The main process keeps up to prefetch_factor batches per worker in flight, hands batch indices
round-robin to the workers and yields results in the order it sent them, so the batches are those
of num_workers=0 (with in_order=False, as they arrive, each worker holding at most its share of the
batches in flight, as PyTorch). Workers compute with one thread, as PyTorch's. Each worker has an index queue and its own socket back; large arrays come through
shared memory (_transport.py), and each task also says which shared files the worker may write
again. As in PyTorch, a worker seeds Python's `random` and xptorch's generators with
base_seed + worker_id and NumPy's global generator with a state mixed from both (base_seed is drawn
from the loader's generator once per iterator), exposes get_worker_info(), then runs
worker_init_fn. An exception in a worker comes back with its traceback and is raised again in the
main process, naming the worker. Workers end with their iterator: at the end of an epoch (unless
persistent), on an exception, on `break` or `del` (when the iterator is dropped or collected), at
interpreter exit, and on their own when the main process dies.
"""
import atexit
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import random
import signal
import traceback
import weakref

from . import _transport

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None
# How often a waiting process checks that the other side is still alive.
_POLL_S = 1.0
# How long shutdown waits for workers to leave on their own before terminating them.
_JOIN_S = 2.0
_RESUME = -1  # task index telling an iterable dataset's worker to start its stream again


class WorkerInfo:
    """What a worker knows about itself: id, num_workers, seed and its copy of the dataset."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __setattr__(self, key, value):
        if hasattr(self, key):
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        object.__setattr__(self, key, value)

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


def get_worker_info():
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _worker_info


class _KeyErrorMessage(str):
    """KeyError shows repr() of its argument; this keeps a multi-line message readable (as torch)."""

    def __repr__(self):
        return self


class _Failure:
    """An exception raised in a worker, carried back as its type and formatted traceback."""

    def __init__(self, worker_id, where, exc):
        self.exc_type = type(exc)
        self.text = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}{where}.\n"
                     "Original " + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))

    def reraise(self):
        msg = _KeyErrorMessage(self.text) if self.exc_type is KeyError else self.text
        try:
            err = self.exc_type(msg)
        except Exception:  # an exception class whose constructor wants other arguments
            raise RuntimeError(self.text) from None
        raise err

    def __getstate__(self):
        try:
            pickle.dumps(self.exc_type)
        except Exception:  # e.g. a class defined inside a function: the text still says what it was
            return {"exc_type": RuntimeError, "text": self.text}
        return self.__dict__


class _StreamEnd:
    """An iterable dataset's copy in this worker is exhausted."""


def _generate_state(base_seed, worker_id):
    """NumPy's global seed in a worker, as torch derives it (a SeedSequence-style hash of both)."""
    mask = 0xFFFFFFFF
    xshift = 16
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    hash_a = [0x43B0D7E5]

    def hash_(value):
        value = (value ^ hash_a[0]) & mask
        hash_a[0] = (hash_a[0] * mult_a) & mask
        value = (value * hash_a[0]) & mask
        return (value ^ (value >> xshift)) & mask

    def mix(x, y):
        r = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask) & mask
        r &= mask
        return (r ^ (r >> xshift)) & mask

    pool = [hash_(e) for e in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_(pool[src]))
    hash_b = 0x8B51F9DD
    state = []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * mult_b) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> xshift)) & mask)
    return state


def _seed_worker(base_seed, worker_id):
    import numpy as np

    from ... import _random

    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


def _loop(dataset, fetch, index_queue, conn, done, worker_id, num_workers, base_seed, init_fn, parent_pid, keep):
    global _worker_info
    try:
        sender = _transport._sender = _transport.Sender(conn, keep)
        _one_thread()
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception as exc:
            init_error = _Failure(worker_id, " in worker_init_fn", exc)
        stream = None
        while True:
            try:
                task = index_queue.get(timeout=_POLL_S)
            except queue.Empty:
                if done.is_set() or os.getppid() != parent_pid:
                    break
                continue
            if task is None or done.is_set():
                break
            send_idx, indices, released = task
            sender.release(released)
            if send_idx == _RESUME:
                stream = None
                continue
            if init_error is not None:
                data = init_error
            else:
                try:
                    if indices is not None:
                        data = fetch(dataset, indices)
                    else:  # iterable dataset: the next batch of this worker's stream
                        if stream is None:
                            stream = fetch(dataset)
                        data = next(stream, _StreamEnd)
                        if data is _StreamEnd:
                            data = _StreamEnd()
                except Exception as exc:
                    data = _Failure(worker_id, _where(send_idx, indices), exc)
            try:
                sender.send(send_idx, data)
            except (BrokenPipeError, ConnectionResetError):
                break
            except Exception as exc:  # the batch cannot be pickled: say so in the main process
                failure = _Failure(worker_id, _where(send_idx, indices), exc)
                sender.send(send_idx, failure, share=False)
            del data
    except KeyboardInterrupt:
        pass  # the main process has it too
    except (BrokenPipeError, ConnectionResetError):
        pass  # the main process is gone or closed the loader


def _one_thread():
    """A worker computes with one thread, as PyTorch's (the workers are the parallelism)."""
    from ... import _threads

    _threads.limit_for_worker()


def _where(send_idx, indices):
    return "" if indices is None else f" (batch {send_idx}, dataset indices {_short(indices)})"


def _short(indices):
    if isinstance(indices, list) and len(indices) > 8:
        return "[" + ", ".join(map(str, indices[:8])) + ", ...]"
    return str(indices)


_live = weakref.WeakSet()


@atexit.register
def _shutdown_all():
    for it in list(_live):
        it._shutdown()


class MultiProcessIter:
    """Batches of one epoch (or several, with persistent workers) loaded by worker processes.

    It keeps what it needs from the loader but not the loader, so dropping a loader with
    persistent workers ends them.
    """

    def __init__(self, loader, fetch, stream):
        self._stream = stream  # True for an IterableDataset
        self._index_source = None if stream else (
            loader.batch_sampler if loader._auto_collation else loader.sampler)
        self._persistent = loader.persistent_workers
        self._n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._closed = True
        self._index_queues, self._workers, self._rx = [], [], []
        self._done = ctx.Event()
        # The epoch's order is drawn before the workers' seed, so the batches are those of num_workers=0.
        tasks = self._epoch_tasks()
        base_seed = _base_seed(loader)
        self._closed = False
        _live.add(self)
        try:
            for wid in range(self._n):
                iq = ctx.Queue()
                conn, child = ctx.Pipe(duplex=True)
                w = ctx.Process(target=_loop, args=(loader.dataset, fetch, iq, child, self._done, wid, self._n,
                                                    base_seed, loader.worker_init_fn, os.getpid(), self._prefetch + 2),
                                daemon=True)
                self._index_queues.append(iq)
                self._rx.append(_transport.Receiver(conn))
                try:
                    w.start()
                finally:
                    child.close()  # so that a dead worker reads as end-of-file here
                self._workers.append(w)
        except BaseException:
            self._shutdown()
            raise
        self._start_epoch(tasks)

    def _epoch_tasks(self):
        if self._stream:
            return None
        tasks = iter(self._index_source)
        first = next(tasks, None)
        return iter(()) if first is None else itertools.chain((first,), tasks)

    def _start_epoch(self, tasks):
        self._tasks = tasks
        self._active = [True] * self._n
        self._send_idx = 0
        self._rcvd_idx = 0
        self._pending = {}  # send_idx -> worker id, for batches in flight
        self._queued = [[] for _ in range(self._n)]  # per worker, its batches in flight, oldest first
        self._turn = itertools.cycle(range(self._n))
        self._finished = False
        for _ in range(self._prefetch * self._n):
            if not self._dispatch():
                break

    def reset(self):
        """Next epoch on the same workers (persistent_workers); batches still in flight are dropped."""
        while self._pending:
            self._take(self._receive(min(self._pending)))
        if self._stream:
            for q in self._index_queues:
                q.put((_RESUME, None, []))
        self._start_epoch(self._epoch_tasks())

    def _dispatch(self):
        """Send one more batch to the next active worker; False when there is nothing left to send
        (or, with in_order=False, when every worker already holds its share of the batches in flight)."""
        if not any(self._active):
            return False
        limit = None if self._in_order else (self._prefetch * self._n) // sum(self._active)
        for _ in range(self._n):
            wid = next(self._turn)
            if self._active[wid] and (limit is None or len(self._queued[wid]) < limit):
                break
        else:
            return False
        if self._stream:
            indices = None
        else:
            indices = next(self._tasks, None)
            if indices is None:
                return False
        self._index_queues[wid].put((self._send_idx, indices, self._rx[wid].take_released()))
        self._pending[self._send_idx] = wid
        self._queued[wid].append(self._send_idx)
        self._send_idx += 1
        return True

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed:
            raise StopIteration
        while True:
            if not self._pending:
                self._finished = True
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            # In order: the oldest batch sent. Otherwise whichever worker answers first (PyTorch's in_order=False).
            data, wid = self._take(self._receive(min(self._pending) if self._in_order else None))
            if isinstance(data, _StreamEnd):
                self._active[wid] = False
                continue
            if isinstance(data, _Failure):
                self._shutdown()
                data.reraise()
            self._dispatch()
            return data

    def _take(self, answer):
        """Bookkeeping for a received batch: (data, worker id)."""
        idx, data = answer
        wid = self._pending.pop(idx)
        self._queued[wid].remove(idx)
        self._rcvd_idx += 1
        return data, wid

    def _receive(self, want):
        """(index, batch) of batch `want` from the worker it was sent to (each worker answers in the
        order it was asked), or, for want=None, the first answer of any worker with batches in flight."""
        wids = [self._pending[want]] if want is not None else [w for w in range(self._n) if self._queued[w]]
        conns = {self._rx[w].conn: w for w in wids}
        waited = 0.0
        while True:
            step = _POLL_S if not self._timeout else min(_POLL_S, self._timeout - waited)
            ready = multiprocessing.connection.wait(list(conns), timeout=max(step, 1e-3))
            if ready:
                wid = conns[ready[0]]
                try:
                    idx, data = self._rx[wid].recv()
                except (EOFError, ConnectionResetError, BrokenPipeError):
                    self._worker_died(wid)
                break
            waited += step
            if self._timeout and waited >= self._timeout:
                self._shutdown()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            for wid in wids:
                if not self._workers[wid].is_alive():
                    self._worker_died(wid)
        due = self._queued[wid][0]
        if idx != due:
            self._shutdown()
            raise RuntimeError(f"DataLoader worker {wid} answered batch {idx} where batch {due} was due")
        return idx, data

    def _worker_died(self, wid):
        w = self._workers[wid]
        w.join(timeout=_POLL_S)
        code = w.exitcode
        self._shutdown()
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
                text = signal.strsignal(-code) or name
            except ValueError:
                text = f"signal {-code}"
            raise RuntimeError(f"DataLoader worker (pid {w.pid}) is killed by signal: {text}. ") from None
        if code:
            raise RuntimeError(f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}. "
                               "Details are lost due to multiprocessing. Rerunning with num_workers=0 may give "
                               "better error trace.") from None
        raise RuntimeError(f"DataLoader worker (pid(s) {w.pid}) exited unexpectedly") from None

    def _shutdown(self):
        if self._closed:
            return
        self._closed = True
        _live.discard(self)
        self._done.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for rx in self._rx:
            rx.shutdown()
        deadline = _now() + _JOIN_S
        for w in self._workers:
            w.join(timeout=max(deadline - _now(), 0.01))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=_JOIN_S)
            if w.is_alive():
                w.kill()
                w.join()
        for q in self._index_queues:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self._shutdown()


def _now():
    import time

    return time.monotonic()


def _base_seed(loader):
    from ... import _random

    gen = loader.generator if loader.generator is not None else _random.default_generator_for("cpu")
    return int(gen.randint((1,), 0, 1 << 62)[0])
