"""Conv1d, Conv2d, Conv3d and their transposes ConvTranspose1d, ConvTranspose2d, ConvTranspose3d."""
import math

from ..._factories import empty
from ..._ops import conv as _conv
from ..._ops import conv_transpose as _convt
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_STRINGS = "{'valid', 'same'}"
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """Weight (out, in/groups, *kernel) and bias (out,), both U(±1/sqrt(fan_in)), weight drawn first."""

    _nd = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        n = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size = _ntuple(kernel_size, n)
        stride = _ntuple(stride, n)
        dilation = _ntuple(dilation, n)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                "padding_mode must be one of {'reflect', 'replicate', 'zeros', 'circular'}, "
                f"but got padding_mode={padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = (0,) * n
        self.groups = groups
        self.padding_mode = padding_mode
        if padding == "same":
            pads = _conv.same_padding(kernel_size, dilation)
        elif padding == "valid":
            pads = ((0, 0),) * n
        else:
            pads = tuple((p, p) for p in padding)
        # F.pad's order: last dim first, (left, right) each; PyTorch keeps a list for string padding.
        rev = [v for lo_hi in reversed(pads) for v in lo_hi]
        self._reversed_padding_repeated_twice = rev if isinstance(padding, str) else tuple(rev)
        wshape = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(empty(wshape + kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_(a=sqrt(5)) reduces to the bound 1/sqrt(fan_in).
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        with no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            rev = self._reversed_padding_repeated_twice
            pads = tuple(zip(rev[0::2], rev[1::2]))[::-1]
            padded = _conv.pad_mode(input, pads, self.padding_mode)
            return _conv.convolution(padded, weight, bias, self.stride, 0, self.dilation, self.groups, self._nd)
        return _conv.convolution(input, weight, bias, self.stride, self.padding, self.dilation, self.groups,
                                 self._nd)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    _nd = 1


class Conv2d(_ConvNd):
    _nd = 2


class Conv3d(_ConvNd):
    _nd = 3


class _ConvTransposeNd(_ConvNd):
    """Weight (in, out/groups, *kernel); the output grows by stride, and output_padding picks among the sizes
    that a strided convolution would map back to the input's."""

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        self.output_padding = _ntuple(output_padding, self._nd)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        n = self._nd
        lead = 2 if input.dim() == n + 2 else 1
        output_size = tuple(output_size)
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or {lead + n} elements "
                f"(got {len(output_size)})"
            )
        lo = [(input.size(d + lead) - 1) * self.stride[d] - 2 * self.padding[d]
              + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        hi = [m + s - 1 for m, s in zip(lo, self.stride)]
        for size, a, b in zip(output_size, lo, hi):
            if size < a or size > b:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {lo} to {hi} "
                    f"(for an input of {input.size()[lead:]})"
                )
        return tuple(size - a for size, a in zip(output_size, lo))

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for {type(self).__name__}")
        op = self._output_padding(input, output_size)
        return _convt.conv_transpose(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                     self.dilation, self._nd)


class ConvTranspose1d(_ConvTransposeNd):
    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    _nd = 3
