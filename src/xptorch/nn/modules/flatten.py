"""Flatten and Unflatten."""
import math

from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split one dim into unflattened_size (a tuple or list of ints, one of them may be -1)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(unflattened_size, (tuple, list)):
            for i, elem in enumerate(unflattened_size):
                if not isinstance(elem, int):
                    raise TypeError(
                        "unflattened_size must be tuple of ints, "
                        f"but found element of type {type(elem).__name__} at pos {i}"
                    )
        else:
            raise TypeError(
                f"unflattened_size must be a tuple of ints, but found type {type(unflattened_size).__name__}"
            )
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        sizes = tuple(self.unflattened_size)
        n = input.shape[self.dim] if -input.dim() <= self.dim < input.dim() else None
        if n is not None and -1 not in sizes and math.prod(sizes) != n:
            raise RuntimeError(
                f"unflatten: Provided sizes [{', '.join(map(str, sizes))}] don't multiply up to the size of dim "
                f"{self.dim} ({n}) in the input tensor"
            )
        return input.unflatten(self.dim, sizes)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
