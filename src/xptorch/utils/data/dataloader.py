"""DataLoader: batches from a dataset through a sampler and a collate function.

With num_workers=0 loading runs in the calling process, and a TensorDataset with the default collate
is batched by one fancy-indexing op per tensor instead of stacking samples. With num_workers=N, N
worker processes load the same batches in the same order (_worker.py).
"""
import collections.abc
import functools
import math

import numpy as np

from ..._device import CPU
from ..._tensor import Tensor
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler  # noqa: F401 (torch has them here too)

__all__ = ["DataLoader", "default_collate", "default_convert"]


# ---- collation -----------------------------------------------------------------------------------
def _number_tensor(values, dtype):
    from ..._factories import tensor

    return tensor(values, dtype=dtype)


def default_collate(batch):
    """Stack a list of samples into a batch, recursing into tuples, lists and dicts.

    Tensors and NumPy arrays are stacked along a new first dimension; Python floats become a
    float64 tensor, ints an int64 tensor; strings stay a list; a tuple of fields becomes a list.
    """
    from ... import _dtype
    from ..._functions import stack

    elem = batch[0]
    if isinstance(elem, Tensor):
        out = _stack_shared(batch)
        return out if out is not None else stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {elem.dtype}")
        batch = [Tensor._from_array(np.ascontiguousarray(b)) for b in batch]
        out = _stack_shared(batch)
        return out if out is not None else stack(batch, 0)
    if isinstance(elem, np.generic):
        return Tensor._from_array(np.array(batch))
    if isinstance(elem, bool):
        return _number_tensor(batch, _dtype.bool)
    if isinstance(elem, float):
        return _number_tensor(batch, _dtype.float64)
    if isinstance(elem, int):
        return _number_tensor(batch, _dtype.int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem)}"
    )


def _stack_shared(batch):
    """In a DataLoader worker, equal CPU tensors stacked straight into shared memory (as torch does), so
    the batch crosses to the main process without another copy; None where that does not apply."""
    from ._transport import _sender, shared_empty

    if _sender is None:
        return None
    elem = batch[0]
    arr = elem._data
    for b in batch:
        if (type(b) is not Tensor or b._device is not CPU or b._rg or type(b._data) is not np.ndarray
                or b._data.dtype != arr.dtype or b._data.shape != arr.shape):
            return None
    out = shared_empty((len(batch),) + arr.shape, arr.dtype)
    if out is None:
        return None
    np.stack([b._data for b in batch], out=out)
    return Tensor._from_array(out)


def default_convert(data):
    """What an un-batched loader yields: NumPy arrays become tensors, containers are walked."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSU":
        return Tensor._from_array(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data


# ---- what a worker runs ---------------------------------------------------------------------------
def _fetch_batch(dataset, indices, auto, collate_fn):
    if not auto:
        return collate_fn(dataset[indices])
    many = getattr(dataset, "__getitems__", None)
    return collate_fn(many(indices) if many is not None else [dataset[i] for i in indices])


def _stream_batches(dataset, batch_size, drop_last, collate_fn):
    it = iter(dataset)
    if batch_size is None:
        for sample in it:
            yield collate_fn(sample)
        return
    batch = []
    for sample in it:
        batch.append(sample)
        if len(batch) == batch_size:
            yield collate_fn(batch)
            batch = []
    if batch and not drop_last:
        yield collate_fn(batch)


# ---- loader --------------------------------------------------------------------------------------
class DataLoader:
    """Iterate a dataset in batches: `for x, y in DataLoader(ds, batch_size=32, shuffle=True)`.

    shuffle draws a new order each epoch from `generator` (an xptorch.Generator), so two loaders
    with generators seeded alike give the same batches.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable "
                "multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory  # accepted: CPU arrays need no pinning here
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.generator = generator
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._workers_iter = None
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                    f"batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)

    def __iter__(self):
        if self.num_workers > 0:
            return self._iter_workers()
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        if (type(self.dataset) is TensorDataset and self.collate_fn is default_collate
                and isinstance(self.batch_sampler, BatchSampler) and hasattr(self.sampler, "_order")):
            return self._iter_tensor_batches()
        return self._iter_batches()

    def _iter_workers(self):
        from ._worker import MultiProcessIter

        stream = isinstance(self.dataset, IterableDataset)
        it = self._workers_iter
        if self.persistent_workers and it is not None and not it._closed:
            it.reset()
            return it
        if it is not None:
            it._shutdown()
            self._workers_iter = None
        if stream:
            fetch = functools.partial(_stream_batches, batch_size=self.batch_size, drop_last=self.drop_last,
                                      collate_fn=self.collate_fn)
        else:
            fetch = functools.partial(_fetch_batch, auto=self._auto_collation, collate_fn=self.collate_fn)
        it = MultiProcessIter(self, fetch, stream)
        if self.persistent_workers:
            self._workers_iter = it
        return it

    def _iter_batches(self):
        ds = self.dataset
        many = getattr(ds, "__getitems__", None)
        for idx in self.batch_sampler:
            samples = many(idx) if many is not None else [ds[i] for i in idx]
            yield self.collate_fn(samples)

    def _iter_tensor_batches(self):
        tensors = self.dataset.tensors
        for idx in self.batch_sampler._index_arrays():
            # One gather per tensor: a fresh batch, as stacking the samples would give.
            yield [t[idx] for t in tensors]

    def _iter_stream(self):
        it = iter(self.dataset)
        if self.batch_size is None:
            for sample in it:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in it:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)
