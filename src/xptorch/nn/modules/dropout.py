"""Dropout, and the channel-wise Dropout1d, Dropout2d, Dropout3d."""
from ..._ops import alpha_dropout as _ad
from ..._ops import feature_dropout as _fd
from ..._ops.activation import dropout
from .module import Module

__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """The options every dropout layer keeps: p, checked, and inplace."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero elements with probability p while training, scaling the rest by 1/(1-p); identity in eval."""

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability p while training."""

    def forward(self, input):
        return _fd.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(Dropout):
    def forward(self, input):
        return _fd.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(Dropout):
    def forward(self, input):
        return _fd.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks while training (keeps zero mean and unit variance); identity in eval.
    As PyTorch's, forward does not edit its input even with inplace=True."""

    def forward(self, input):
        return _ad.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels while training; identity in eval."""

    def forward(self, input):
        return _ad.feature_alpha_dropout(input, self.p, self.training)
