"""DataLoader worker processes: each fetches the batches it is sent and returns them in order.

The main process keeps up to prefetch_factor batches per worker in flight, hands batch indices
round-robin to the workers and yields results in the order it sent them, so the batches are those
of num_workers=0. A worker seeds xptorch's and Python's generators with base_seed + worker_id
(base_seed is drawn from the loader's generator once per epoch), exposes get_worker_info(), then
runs worker_init_fn. An exception in a worker comes back with its traceback and is raised again in
the main process, naming the worker and the batch. Workers end with their iterator: at the end of
an epoch (unless persistent), on an exception, on `break` (when the iterator is dropped) and at
interpreter exit; they are daemon processes, so they never outlive the main process.
"""
import atexit
import itertools
import multiprocessing
import queue
import random
import traceback
import weakref

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None
# How often a waiting main process checks that its workers are still alive.
_POLL_S = 1.0


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


class _Failure:
    """An exception raised in a worker, carried back as its type and formatted traceback."""

    def __init__(self, worker_id, where, exc):
        self.exc_type = type(exc)
        self.text = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}{where}.\n"
                     "Original " + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))

    def reraise(self):
        try:
            err = self.exc_type(self.text)
        except Exception:  # an exception class whose constructor wants other arguments
            err = RuntimeError(self.text)
        raise err


class _StreamEnd:
    """An iterable dataset's copy in this worker is exhausted."""


def _loop(dataset, fetch, index_queue, result_queue, done, worker_id, num_workers, seed, init_fn):
    global _worker_info
    from ... import _random

    _random.manual_seed(seed)
    random.seed(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as exc:
        init_error = _Failure(worker_id, " in worker_init_fn", exc)
    stream = None
    while not done.is_set():
        try:
            task = index_queue.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        if task is None:
            break
        send_idx, indices = task
        if init_error is not None:
            result_queue.put((send_idx, init_error))
            continue
        try:
            if indices is None:  # iterable dataset: the next batch of this worker's stream
                if stream is None:
                    stream = fetch(dataset)
                data = next(stream, _StreamEnd)
                if data is _StreamEnd:
                    data = _StreamEnd()
            else:
                data = fetch(dataset, indices)
        except Exception as exc:
            where = "" if indices is None else f" (batch {send_idx}, dataset indices {_short(indices)})"
            data = _Failure(worker_id, where, exc)
        result_queue.put((send_idx, data))
        del data
    result_queue.cancel_join_thread()


def _short(indices):
    if isinstance(indices, list) and len(indices) > 8:
        return "[" + ", ".join(map(str, indices[:8])) + ", ...]"
    return str(indices)


_live = weakref.WeakSet()
_MISSING = object()


@atexit.register
def _shutdown_all():
    for it in list(_live):
        it._shutdown()


class MultiProcessIter:
    """Batches of one epoch (or several, with persistent workers) loaded by worker processes."""

    def __init__(self, loader, fetch, stream):
        self._loader = loader
        self._fetch = fetch
        self._stream = stream  # True for an IterableDataset
        self._n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._done = ctx.Event()
        self._results = ctx.Queue()
        self._index_queues = []
        self._workers = []
        self._closed = True
        # The epoch's order is drawn before the workers' seed, so the batches are those of num_workers=0.
        tasks = self._epoch_tasks()
        base_seed = _base_seed(loader)
        for wid in range(self._n):
            iq = ctx.Queue()
            w = ctx.Process(target=_loop, args=(loader.dataset, fetch, iq, self._results, self._done, wid, self._n,
                                                base_seed + wid, loader.worker_init_fn), daemon=True)
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._closed = False
        _live.add(self)
        self._start_epoch(tasks)

    def _epoch_tasks(self):
        if self._stream:
            return None
        tasks = iter(self._loader._batch_indices())
        first = next(tasks, None)
        return iter(()) if first is None else itertools.chain((first,), tasks)

    def _start_epoch(self, tasks):
        self._tasks = tasks
        self._active = [True] * self._n
        self._send_idx = 0
        self._rcvd_idx = 0
        self._pending = {}  # send_idx -> worker id, for batches in flight or received early
        self._ready = {}
        self._turn = itertools.cycle(range(self._n))
        self._finished = False
        for _ in range(self._prefetch * self._n):
            if not self._dispatch():
                break

    def reset(self):
        """Next epoch on the same workers (persistent_workers)."""
        if self._pending or not self._finished:
            raise RuntimeError("reset of a worker iterator with batches still in flight")
        if self._stream:
            # An iterable dataset restarts in each worker: simplest done by fresh workers.
            raise RuntimeError("persistent workers restart iterable datasets through a new iterator")
        self._start_epoch(self._epoch_tasks())

    def _dispatch(self):
        """Send one more batch to the next active worker; False when there is nothing left to send."""
        if not any(self._active):
            return False
        if self._stream:
            indices = None
        else:
            indices = next(self._tasks, None)
            if indices is None:
                return False
        for _ in range(self._n):
            wid = next(self._turn)
            if self._active[wid]:
                break
        self._index_queues[wid].put((self._send_idx, indices))
        self._pending[self._send_idx] = wid
        self._send_idx += 1
        return True

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._rcvd_idx >= self._send_idx:
                self._finished = True
                if not self._loader.persistent_workers:
                    self._shutdown()
                raise StopIteration
            data = self._ready.pop(self._rcvd_idx, _MISSING)
            if data is _MISSING:
                data = self._get(self._rcvd_idx)
            wid = self._pending.pop(self._rcvd_idx)
            self._rcvd_idx += 1
            if isinstance(data, _StreamEnd):
                self._active[wid] = False
                continue
            if isinstance(data, _Failure):
                self._shutdown()
                data.reraise()
            self._dispatch()
            return data

    def _get(self, want):
        """Receive results until batch `want` arrives (others are kept for their turn)."""
        waited = 0.0
        while True:
            step = _POLL_S if not self._timeout else min(_POLL_S, self._timeout - waited)
            try:
                idx, data = self._results.get(timeout=max(step, 1e-3))
            except queue.Empty:
                waited += step
                if self._timeout and waited >= self._timeout:
                    self._shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown()
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited unexpectedly") from None
                continue
            if idx == want:
                return data
            self._ready[idx] = data

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
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join(timeout=5)
        for q in self._index_queues + [self._results]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self._shutdown()


def _base_seed(loader):
    from ... import _random

    gen = loader.generator if loader.generator is not None else _random.default_generator_for("cpu")
    return int(gen.randint((1,), 0, 1 << 62)[0])
