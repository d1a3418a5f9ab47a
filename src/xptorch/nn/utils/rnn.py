"""Variable-length sequences: padding (pad_sequence), packing (PackedSequence, pack_padded_sequence,
pack_sequence) and back (pad_packed_sequence, unpack_sequence, unpad_sequence).

A PackedSequence holds the steps of a batch sorted by decreasing length, time-major: step t keeps
its first batch_sizes[t] sequences. Packing and padding are one index_select each, so gradients
reach the padded input and the packed data.
"""
from collections.abc import Iterable
from typing import NamedTuple, Optional

import numpy as np

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: object
    batch_sizes: object
    sorted_indices: Optional[object]
    unsorted_indices: Optional[object]


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """data (sum of lengths, *) with batch_sizes (a CPU int64 tensor, one entry per step); sorted_indices
    orders the original batch by decreasing length and unsorted_indices undoes it (None when the batch
    came sorted). Built by pack_padded_sequence and pack_sequence; every RNN module accepts one."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                    "manually. They should be instantiated by functions like pack_sequence and "
                    "pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
                )
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data converted as Tensor.to converts it; the indices follow its device. self if nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move), _bind(self.unsorted_indices, move))

    def cuda(self, *args, **kwargs):
        return self.to(*args, device="cuda", **kwargs) if not args else self.to(*args, **kwargs)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        from ... import float64

        return self.to(dtype=float64)

    def float(self):
        from ... import float32

        return self.to(dtype=float32)

    def half(self):
        from ... import float16

        return self.to(dtype=float16)

    def long(self):
        from ... import int64

        return self.to(dtype=int64)

    def int(self):
        from ... import int32

        return self.to(dtype=int32)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The permutation q with q[p[i]] = i (None for None)."""
    if permutation is None:
        return None
    from ..._factories import arange, empty_like

    out = empty_like(permutation)
    return out.scatter_(0, permutation, arange(0, permutation.numel(), device=permutation.device))


def _host_ints(t):
    return np.asarray(t.detach().cpu().numpy(), dtype=np.int64)


def _index(positions, device):
    from ..._factories import tensor

    return tensor(positions, dtype=None, device=device)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack input (T, B, *) (or (B, T, *) with batch_first) of the given lengths. With enforce_sorted the
    lengths must already decrease; otherwise the batch is sorted first and the order kept for unpacking."""
    from ... import int64
    from ..._factories import tensor
    from ..._tensor import Tensor

    if not isinstance(lengths, Tensor):
        lengths = tensor(np.asarray(lengths).astype(np.int64), device="cpu")
    else:
        lengths = lengths.to(dtype=int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = lengths.sort(descending=True, stable=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if lengths.dim() != 1 or lengths.device.type != "cpu":
        raise RuntimeError(
            f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D {lengths.device} Long tensor"
        )
    if batch_first:
        input = input.transpose(0, 1)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch = input.shape[1]
    lens = _host_ints(lengths)
    if lens.shape[0] != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} (batch_size={batch})")
    if lens[batch - 1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
    if (np.diff(lens) > 0).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you "
            "do not need ONNX exportability."
        )
    steps = min(int(lens[0]), input.shape[0])
    batch_sizes = (lens[None, :] > np.arange(int(lens[0]))[:, None]).sum(1)
    rows = np.concatenate([t * batch + np.arange(batch_sizes[t]) for t in range(steps)])
    flat = input.reshape((input.shape[0] * batch,) + tuple(input.shape[2:]))
    data = flat.index_select(0, _index(rows, input.device))
    return PackedSequence(data, tensor(batch_sizes.astype(np.int64), device="cpu"), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """(padded (T, B, *) or (B, T, *), lengths): the inverse of pack_padded_sequence, in the original batch
    order; T is total_length when given (at least the longest sequence)."""
    from ..._factories import full, tensor
    from ..._functions import cat

    bs = _host_ints(sequence.batch_sizes)
    max_seq_length = bs.shape[0]
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    data = sequence.data
    batch = int(bs[0])
    n = data.shape[0]
    where = np.full((max_seq_length, batch), n, dtype=np.int64)  # row n: the padding value
    offsets = np.concatenate([[0], np.cumsum(bs)[:-1]])
    for t, (off, b) in enumerate(zip(offsets, bs)):
        where[t, :b] = off + np.arange(b)
    rest = tuple(data.shape[1:])
    pad_row = full((1,) + rest, padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row]).index_select(0, _index(where.reshape(-1), data.device))
    padded = padded.view((max_seq_length, batch) + rest)
    lengths = tensor((bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64), device="cpu")
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (max L, B, *) (or (B, max L, *)), filling with padding_value."""
    from ..._functions import stack
    from ..._ops.pad import pad

    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        for i, (a, b) in enumerate(zip(reversed(trailing), reversed(tuple(s.shape[1:])))):
            if a != b:
                raise RuntimeError(
                    f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension "
                    f"{len(trailing) - i}"
                )
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * (s.dim() - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of (L_i, *) tensors that pad_sequence padded."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of (L_i, *) tensors (by decreasing length unless enforce_sorted=False)."""
    from ..._factories import tensor

    lengths = tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of (L_i, *) tensors packed in packed_sequences, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
