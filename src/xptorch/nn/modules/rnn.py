"""Recurrent layers: RNN, GRU, LSTM (stacked, bidirectional, batch_first, projections) and their cells.

Parameter names, shapes, order and initialisation are PyTorch's, so state_dicts move between the two
unchanged. Each layer and direction runs as one fused node (see _ops/rnn.py).
"""
import math
import numbers
import warnings

from ..._factories import empty, zeros
from ..._functions import cat, stack
from ..._ops.activation import dropout as _dropout
from ..._ops.rnn import rnn_layer
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "GRU", "LSTM", "RNNCellBase", "RNNCell", "GRUCell", "LSTMCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Weights per layer and direction: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}
    (and weight_hr_l{k} with projections), suffixed `_reverse` for the backward direction; all drawn
    from U(±1/sqrt(hidden_size)) in that order."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool)):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                UserWarning, stacklevel=3,
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [self._param(n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Kept for PyTorch code: the weights are used where they are, so there is nothing to do."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        with no_grad():
            for w in self.parameters():
                w.uniform_(-stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward ------------------------------------------------------------------------------
    def _param(self, name):
        """A weight by name, or None; parametrized and hooked (weight_norm) weights are attributes instead."""
        p = self._parameters
        if name in p:
            return p[name]
        return getattr(self, name, None)

    def _check_input(self, input):
        if input.dim() not in (2, 3):
            what = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(f"{self._get_name()}: Expected input to be 2D or 3D, got {input.dim()}D{what} instead")
        w = self._param(self._flat_weights_names[0])
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                f"input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )

    def _expected_hidden(self, batch, cell=False):
        d = 2 if self.bidirectional else 1
        size = self.hidden_size if (cell or self.proj_size == 0) else self.proj_size
        return (self.num_layers * d, batch, size)

    def _check_hidden(self, hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _run(self, input, hx, cx):
        """input (T, B, I); hx (L*D, B, Hout); cx (L*D, B, H) or None. Returns output, h_n, c_n."""
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        mode = self.mode
        T, B = input.shape[0], input.shape[1]
        d = 2 if self.bidirectional else 1
        hout = self.proj_size if self.proj_size > 0 else self.hidden_size
        p = self._param
        layer_in = input
        h_last, c_last = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(d):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                k = layer * d + direction
                flat = rnn_layer(
                    mode, layer_in, hx[k], cx[k] if cx is not None else None,
                    p("weight_ih" + suffix), p("weight_hh" + suffix), p("bias_ih" + suffix),
                    p("bias_hh" + suffix), p("weight_hr" + suffix), reverse=bool(direction),
                )
                n = T * B * hout
                seq = flat[:n].view(T, B, hout) if cx is not None else flat.view(T, B, hout)
                outs.append(seq)
                h_last.append(seq[0] if direction else seq[T - 1])
                if cx is not None:
                    c_last.append(flat[n:].view(B, self.hidden_size))
            layer_in = outs[0] if d == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = _dropout(layer_in, self.dropout, True)
        return layer_in, stack(h_last, 0), (stack(c_last, 0) if cx is not None else None)

    def _direction(self, layer, direction):
        p, suffix = self._param, f"_l{layer}" + ("_reverse" if direction else "")
        return (p("weight_ih" + suffix), p("weight_hh" + suffix), p("bias_ih" + suffix), p("bias_hh" + suffix),
                p("weight_hr" + suffix))

    def _run_packed(self, data, batch_sizes, hx, cx):
        """data (N, I) packed (time-major, batch_sizes[t] sequences at step t); hx, cx as in _run.

        Steps of equal batch size form one run, each run one fused layer call: a sequence that ends
        leaves its state behind, and in the reverse direction a sequence joins with its own h0 at its
        last step. Returns the packed output and the final states in sorted batch order."""
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}"
            )
        sizes = [int(b) for b in batch_sizes.tolist()]
        runs, t, off = [], 0, 0  # (steps, batch, first row)
        while t < len(sizes):
            t1 = t
            while t1 < len(sizes) and sizes[t1] == sizes[t]:
                t1 += 1
            runs.append((t1 - t, sizes[t], off))
            off += (t1 - t) * sizes[t]
            t = t1
        d = 2 if self.bidirectional else 1
        layer_in = data
        h_last, c_last = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(d):
                k = layer * d + direction
                out, h, c = self._packed_direction(layer_in, runs, hx[k], cx[k] if cx is not None else None,
                                                   self._direction(layer, direction), bool(direction))
                outs.append(out)
                h_last.append(h)
                c_last.append(c)
            layer_in = outs[0] if d == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = _dropout(layer_in, self.dropout, True)
        return layer_in, stack(h_last, 0), (stack(c_last, 0) if cx is not None else None)

    def _packed_direction(self, x, runs, h0, c0, weights, reverse):
        hout = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = c0 is not None
        outs = [None] * len(runs)
        if reverse:  # from the last run back: each run's new sequences start there from their h0 rows
            h, c = h0[:runs[-1][1]], (c0[:runs[-1][1]] if lstm else None)
            order = range(len(runs) - 1, -1, -1)
        else:
            h, c = h0, c0
            order = range(len(runs))
            done_h, done_c = [], []  # states of the sequences that ended, latest (lowest rows) last
        for i in order:
            steps, b, off = runs[i]
            if h.shape[0] > b:
                done_h.append(h[b:])
                h = h[:b]
                if lstm:
                    done_c.append(c[b:])
                    c = c[:b]
            elif h.shape[0] < b:
                h = cat([h, h0[h.shape[0]:b]], 0)
                if lstm:
                    c = cat([c, c0[c.shape[0]:b]], 0)
            xs = x[off:off + steps * b].view(steps, b, x.shape[-1])
            flat = rnn_layer(self.mode, xs, h, c, *weights, reverse=reverse)
            n = steps * b * hout
            seq = flat[:n].view(steps, b, hout)
            outs[i] = flat[:n].view(steps * b, hout)
            h = seq[0] if reverse else seq[steps - 1]
            if lstm:
                c = flat[n:].view(b, self.hidden_size)
        if not reverse:
            h = cat([h] + done_h[::-1], 0) if done_h else h
            if lstm and done_c:
                c = cat([c] + done_c[::-1], 0)
        return cat(outs, 0) if len(outs) > 1 else outs[0], h, c

    def _packed_hidden(self, packed, hx, cell=False):
        """hx in sorted batch order (zeros when None), checked against the packed batch."""
        B = int(packed.batch_sizes[0])
        if hx is None:
            return zeros(self._expected_hidden(B, cell), dtype=packed.data.dtype, device=packed.data.device)
        if packed.sorted_indices is not None:
            hx = hx.index_select(1, packed.sorted_indices)
        return hx

    def _check_packed(self, packed, hx, cx=None):
        data = packed.data
        if data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        w = self._param(self._flat_weights_names[0])
        if data.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({data.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                f"input.to({w.dtype}), or convert model: model.to({data.dtype})"
            )
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}"
            )
        B = int(packed.batch_sizes[0])
        if cx is None:
            self._check_hidden(hx, self._expected_hidden(B))
        else:
            self._check_hidden(hx, self._expected_hidden(B), "Expected hidden[0] size {}, got {}")
            self._check_hidden(cx, self._expected_hidden(B, cell=True), "Expected hidden[1] size {}, got {}")

    def _unsort(self, packed, h):
        return h if packed.unsorted_indices is None else h.index_select(1, packed.unsorted_indices)

    def _zeros(self, input, batch, cell=False):
        return zeros(self._expected_hidden(batch, cell), dtype=input.dtype, device=input.device)

    def _forward_one_state(self, input, hx=None):
        """RNN and GRU: one state tensor h."""
        if isinstance(input, PackedSequence):
            hx = self._packed_hidden(input, hx)
            self._check_packed(input, hx)
            out, h, _ = self._run_packed(input.data, input.batch_sizes, hx, None)
            return (PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices),
                    self._unsort(input, h))
        self._check_input(input)
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(1)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(
                        f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if self.batch_first and batched:
            input = input.transpose(0, 1)
        B = input.shape[1]
        if hx is None:
            hx = self._zeros(input, B)
        else:
            if input.shape[-1] == self.input_size:
                self._check_hidden(hx, self._expected_hidden(B))
        out, h, _ = self._run(input, hx, None)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out, h = out.squeeze(1), h.squeeze(1)
        return out, h


class RNN(RNNBase):
    """Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), or relu."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)

    def forward(self, input, hx=None):
        return self._forward_one_state(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit; gates r, z, n in that order in weight_ih and weight_hh."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, proj_size=0):
        if proj_size:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)

    def forward(self, input, hx=None):
        return self._forward_one_state(input, hx)


class LSTM(RNNBase):
    """Long short-term memory; gates i, f, g, o in that order; proj_size > 0 projects h by weight_hr."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            h0 = self._packed_hidden(input, hx[0] if hx is not None else None)
            c0 = self._packed_hidden(input, hx[1] if hx is not None else None, cell=True)
            self._check_packed(input, h0, c0)
            out, h, c = self._run_packed(input.data, input.batch_sizes, h0, c0)
            return (PackedSequence(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices),
                    (self._unsort(input, h), self._unsort(input, c)))
        self._check_input(input)
        batched = input.dim() == 3
        if hx is not None:
            h0, c0 = hx
            if batched and (h0.dim() != 3 or c0.dim() != 3):
                raise RuntimeError(
                    f"For batched 3-D input, hx and cx should also be 3-D but got ({h0.dim()}-D, {c0.dim()}-D) "
                    "tensors")
            if not batched and (h0.dim() != 2 or c0.dim() != 2):
                raise RuntimeError(
                    f"For unbatched 2-D input, hx and cx should also be 2-D but got ({h0.dim()}-D, {c0.dim()}-D) "
                    "tensors")
        if not batched:
            input = input.unsqueeze(1)
            if hx is not None:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        if self.batch_first and batched:
            input = input.transpose(0, 1)
        B = input.shape[1]
        if hx is None:
            h0, c0 = self._zeros(input, B), self._zeros(input, B, cell=True)
        elif input.shape[-1] == self.input_size:
            self._check_hidden(h0, self._expected_hidden(B), "Expected hidden[0] size {}, got {}")
            self._check_hidden(c0, self._expected_hidden(B, cell=True), "Expected hidden[1] size {}, got {}")
        out, h, c = self._run(input, h0, c0)
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out, h, c = out.squeeze(1), h.squeeze(1), c.squeeze(1)
        return out, (h, c)


# ---- cells ----------------------------------------------------------------------------------------
class RNNCellBase(Module):
    _mode = None

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        with no_grad():
            for w in self.parameters():
                w.uniform_(-stdv, stdv)

    def _check_dims(self, input, hx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{self._get_name()}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        for h in hx:
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(f"{self._get_name()}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")

    def _check_sizes(self, input, hx):
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        for i, h in enumerate(hx):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} batch size "
                                   f"{h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                                   f"{self.hidden_size}")

    def _step(self, input, states):
        """One time step through the fused layer op; states are (B, H) tensors."""
        h0 = states[0]
        c0 = states[1] if len(states) > 1 else None
        flat = rnn_layer(self._mode_name(), input.unsqueeze(0), h0, c0, self.weight_ih, self.weight_hh,
                         self.bias_ih, self.bias_hh)
        B, H = h0.shape
        if c0 is None:
            return (flat.view(B, H),)
        return flat[:B * H].view(B, H), flat[B * H:].view(B, H)

    def _mode_name(self):
        return self._mode

    def forward(self, input, hx=None):
        lstm = self._mode == "LSTM"
        states = (hx if hx is not None else (None, None)) if lstm else (hx,)
        self._check_dims(input, states)
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states[0] is None:
            z = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            states = (z, z) if lstm else (z,)
        elif not batched:
            states = tuple(s.unsqueeze(0) for s in states)
        self._check_sizes(input, states)
        out = self._step(input, states)
        if not batched:
            out = tuple(o.squeeze(0) for o in out)
        return out if lstm else out[0]


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def _mode_name(self):
        if self.nonlinearity == "tanh":
            return "RNN_TANH"
        if self.nonlinearity == "relu":
            return "RNN_RELU"
        raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")


class GRUCell(RNNCellBase):
    _mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)


class LSTMCell(RNNCellBase):
    _mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)
