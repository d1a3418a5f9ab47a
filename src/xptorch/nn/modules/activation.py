"""ReLU, Sigmoid, Tanh."""
from ..._ops import pointwise as _pw
from .module import Module


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return input.relu_() if self.inplace else _pw.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    def forward(self, input):
        return _pw.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return _pw.tanh(input)
