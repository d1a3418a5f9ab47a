"""xptorch.Size: a tuple of ints that prints as PyTorch's Size does."""


class Size(tuple):
    """The shape of a tensor: a tuple of ints, printed as xptorch.Size([2, 3])."""
    __module__ = "xptorch"
    __slots__ = ()

    def __repr__(self):
        return f"xptorch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
