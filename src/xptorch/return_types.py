"""Named (values, indices) pairs returned by sort, topk, kthvalue, max and min along a dim."""


class _ValuesIndices(tuple):
    """A 2-tuple with .values and .indices, printed as PyTorch prints its structseq."""

    __slots__ = ()
    n_fields = n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, values, indices=None):
        if indices is None:  # built from one iterable, as structseqs allow
            values, indices = values
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"xptorch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


class sort(_ValuesIndices):
    __slots__ = ()


class topk(_ValuesIndices):
    __slots__ = ()


class kthvalue(_ValuesIndices):
    __slots__ = ()


class max(_ValuesIndices):
    __slots__ = ()


class min(_ValuesIndices):
    __slots__ = ()


class median(_ValuesIndices):
    __slots__ = ()


class nanmedian(_ValuesIndices):
    __slots__ = ()


class cummax(_ValuesIndices):
    __slots__ = ()


class cummin(_ValuesIndices):
    __slots__ = ()


class aminmax(tuple):
    """(min, max) with .min and .max, as PyTorch's structseq."""

    __slots__ = ()
    n_fields = n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, min, max=None):
        if max is None:
            min, max = min
        return tuple.__new__(cls, (min, max))

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]

    def __repr__(self):
        return f"xptorch.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


class mode(_ValuesIndices):
    __slots__ = ()


class frexp(tuple):
    """(mantissa, exponent) with .mantissa and .exponent, as PyTorch's structseq."""

    __slots__ = ()
    n_fields = n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, mantissa, exponent=None):
        if exponent is None:
            mantissa, exponent = mantissa
        return tuple.__new__(cls, (mantissa, exponent))

    @property
    def mantissa(self):
        return self[0]

    @property
    def exponent(self):
        return self[1]

    def __repr__(self):
        return f"xptorch.return_types.frexp(\nmantissa={self[0]!r},\nexponent={self[1]!r})"

    def __reduce__(self):
        return (type(self), (tuple(self),))
