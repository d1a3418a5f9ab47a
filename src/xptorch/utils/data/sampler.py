"""Samplers: the order in which a DataLoader visits dataset indices.

A sampler that can give its whole order at once has `_order()`, a NumPy index array; BatchSampler then
cuts batches from it without a Python loop.
"""
import numpy as np

from ... import _dtype
from ..._factories import as_tensor, randperm
from ..._functions import multinomial

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


class Sampler:
    """Yields dataset indices (or lists of them, for a batch sampler)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _order(self):
        return np.arange(len(self.data_source))


class RandomSampler(Sampler):
    """A fresh random order each pass, drawn from `generator` (the default CPU generator if None)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _order(self):
        from ..._random import default_generator_for

        gen = self.generator if self.generator is not None else default_generator_for("cpu")
        n = len(self.data_source)
        k = self.num_samples
        if self.replacement:
            return gen.randint((k,), 0, n)
        parts = [gen.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(gen.permutation(n)[: k % n])
        return np.concatenate(parts) if len(parts) != 1 else parts[0]

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a fresh random order each pass (a permutation drawn from `generator`)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices of [0, len(weights)) drawn with probabilities proportional to `weights`.

    Each pass is one multinomial draw from `generator` (the default generator of the weights' device if
    None); without replacement an index comes at most once per pass.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = as_tensor(weights, dtype=_dtype.float64)
        if weights.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _order(self):
        return multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).numpy(force=True)

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of batch_size (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _index_arrays(self):
        """Batches as index arrays, cut from one order array (samplers that can give one)."""
        order = self.sampler._order()
        bs = self.batch_size
        stop = len(order) - len(order) % bs if self.drop_last else len(order)
        return (order[i:i + bs] for i in range(0, stop, bs))

    def __iter__(self):
        if hasattr(self.sampler, "_order"):
            for idx in self._index_arrays():
                yield idx.tolist()
            return
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
