"""Hostile calls beyond the op table, each run in torch 2.13 and xptorch: nn modules fed the wrong shapes and
dtypes, losses with wrong targets, optimizers with bad settings, state_dict loading, serialization of corrupt
files, factories, views and reshapes, and scalar conversions.

Where torch raises, xptorch raises the same built-in exception type with a message of its own (never NumPy's
text or class), and nothing it was handed changed (data, version counter, grad_fn). Where torch returns,
xptorch returns too.
"""
import os
import re
import warnings

import numpy as np
import pytest

import xptorch
from oracle import torch, xp_message

NUMPY_TEXT = re.compile(
    r"operands could not be broadcast|ufunc|numpy|ndarray|np\.|cannot reshape array|negative dimensions are not "
    r"allowed|not inexact|Invalid integer data type|tuple index out of range|has no attribute|could not convert "
    r"string|is out of bounds for axis|shape mismatch: objects cannot be broadcast|setting an array element"
)


def _seq(lib, n=3):
    return lib.arange(float(n * 2)).reshape(2, n)


def _F(lib):
    return lib.nn.functional


def _p(lib, *shape):
    return lib.nn.Parameter(lib.ones(*shape))


# (name, setup(lib) -> object whose tensors must survive a failure (or None), call(lib, obj))
CASES = [
    # ---- nn modules: wrong input shapes and dtypes -------------------------------------------------
    ("Linear in_features", lambda L: L.nn.Linear(3, 4), lambda L, m: m(L.ones(2, 5))),
    ("Linear 0-d", lambda L: L.nn.Linear(3, 4), lambda L, m: m(L.ones(()))),
    ("Linear float64 input", lambda L: L.nn.Linear(3, 4), lambda L, m: m(L.ones(2, 3, dtype=L.float64))),
    ("Linear int input", lambda L: L.nn.Linear(3, 4), lambda L, m: m(L.ones(2, 3, dtype=L.int64))),
    ("Linear str input", lambda L: L.nn.Linear(3, 4), lambda L, m: m("a")),
    ("Linear negative features", None, lambda L, m: L.nn.Linear(-1, 3)),
    ("Bilinear in2", lambda L: L.nn.Bilinear(3, 4, 2), lambda L, m: m(L.ones(2, 3), L.ones(2, 5))),
    ("Conv2d channels", lambda L: L.nn.Conv2d(3, 4, 3), lambda L, m: m(L.ones(2, 5, 8, 8))),
    ("Conv2d 2-d input", lambda L: L.nn.Conv2d(3, 4, 3), lambda L, m: m(L.ones(8, 8))),
    ("Conv2d 5-d input", lambda L: L.nn.Conv2d(3, 4, 3), lambda L, m: m(L.ones(1, 1, 3, 8, 8))),
    ("Conv2d kernel larger than input", lambda L: L.nn.Conv2d(3, 4, 3), lambda L, m: m(L.ones(1, 3, 2, 2))),
    ("Conv2d int input", lambda L: L.nn.Conv2d(3, 4, 3), lambda L, m: m(L.ones(1, 3, 8, 8, dtype=L.int64))),
    ("Conv2d groups", None, lambda L, m: L.nn.Conv2d(3, 4, 3, groups=2)),
    ("Conv2d zero stride", lambda L: L.nn.Conv2d(3, 4, 3, stride=0), lambda L, m: m(L.ones(1, 3, 8, 8))),
    ("Conv1d 4-d input", lambda L: L.nn.Conv1d(3, 4, 3), lambda L, m: m(L.ones(2, 3, 8, 8))),
    ("Conv3d channels", lambda L: L.nn.Conv3d(2, 4, 2), lambda L, m: m(L.ones(1, 3, 4, 4, 4))),
    ("ConvTranspose2d channels", lambda L: L.nn.ConvTranspose2d(3, 4, 3), lambda L, m: m(L.ones(1, 5, 4, 4))),
    ("BatchNorm1d features", lambda L: L.nn.BatchNorm1d(3), lambda L, m: m(L.ones(2, 4))),
    ("BatchNorm1d one value per channel", lambda L: L.nn.BatchNorm1d(3), lambda L, m: m(L.ones(1, 3))),
    ("BatchNorm2d 3-d input", lambda L: L.nn.BatchNorm2d(3), lambda L, m: m(L.ones(2, 3, 4))),
    ("BatchNorm2d int input", lambda L: L.nn.BatchNorm2d(3), lambda L, m: m(L.ones(2, 3, 4, 4, dtype=L.int64))),
    ("BatchNorm2d eval float64", lambda L: L.nn.BatchNorm2d(3).eval(),
     lambda L, m: m(L.ones(2, 3, 4, 4, dtype=L.float64))),
    ("LayerNorm shape", lambda L: L.nn.LayerNorm(3), lambda L, m: m(L.ones(2, 4))),
    ("GroupNorm channels", lambda L: L.nn.GroupNorm(2, 4), lambda L, m: m(L.ones(2, 3, 5))),
    ("GroupNorm groups", None, lambda L, m: L.nn.GroupNorm(3, 4)),
    ("Embedding index too big", lambda L: L.nn.Embedding(5, 3), lambda L, m: m(L.tensor([1, 5]))),
    ("Embedding negative index", lambda L: L.nn.Embedding(5, 3), lambda L, m: m(L.tensor([-1]))),
    ("Embedding float index", lambda L: L.nn.Embedding(5, 3), lambda L, m: m(L.tensor([1.0]))),
    ("Embedding padding_idx", None, lambda L, m: L.nn.Embedding(5, 3, padding_idx=7)),
    ("LSTM input_size", lambda L: L.nn.LSTM(3, 4), lambda L, m: m(L.ones(5, 2, 6))),
    ("LSTM 4-d input", lambda L: L.nn.LSTM(3, 4), lambda L, m: m(L.ones(5, 2, 2, 3))),
    ("LSTM 1-d input", lambda L: L.nn.LSTM(3, 4), lambda L, m: m(L.ones(3))),
    ("LSTM h0 shape", lambda L: L.nn.LSTM(3, 4),
     lambda L, m: m(L.ones(5, 2, 3), (L.zeros(1, 3, 4), L.zeros(1, 2, 4)))),
    ("LSTM int input", lambda L: L.nn.LSTM(3, 4), lambda L, m: m(L.ones(5, 2, 3, dtype=L.int64))),
    ("GRU hidden size", lambda L: L.nn.GRU(3, 4), lambda L, m: m(L.ones(5, 2, 3), L.zeros(1, 2, 5))),
    ("RNN input_size", lambda L: L.nn.RNN(3, 4, batch_first=True), lambda L, m: m(L.ones(2, 5, 4))),
    ("RNN nonlinearity", None, lambda L, m: L.nn.RNN(3, 4, nonlinearity="gelu")),
    ("MultiheadAttention heads", None, lambda L, m: L.nn.MultiheadAttention(4, 3)),
    ("MultiheadAttention embed", lambda L: L.nn.MultiheadAttention(4, 2),
     lambda L, m: m(L.ones(3, 2, 5), L.ones(3, 2, 5), L.ones(3, 2, 5))),
    ("MultiheadAttention key/value length", lambda L: L.nn.MultiheadAttention(4, 2),
     lambda L, m: m(L.ones(3, 2, 4), L.ones(6, 2, 4), L.ones(5, 2, 4))),
    ("MultiheadAttention 4-d", lambda L: L.nn.MultiheadAttention(4, 2),
     lambda L, m: m(L.ones(1, 3, 2, 4), L.ones(1, 3, 2, 4), L.ones(1, 3, 2, 4))),
    ("MaxPool2d 1-d input", lambda L: L.nn.MaxPool2d(2), lambda L, m: m(L.ones(3))),
    ("MaxPool2d kernel > input", lambda L: L.nn.MaxPool2d(5), lambda L, m: m(L.ones(1, 1, 2, 2))),
    ("AvgPool2d padding > half kernel", lambda L: L.nn.AvgPool2d(2, padding=2), lambda L, m: m(L.ones(1, 1, 4, 4))),
    ("AdaptiveAvgPool2d 2-d input", lambda L: L.nn.AdaptiveAvgPool2d(2), lambda L, m: m(L.ones(4, 4))),
    ("Dropout p", None, lambda L, m: L.nn.Dropout(1.5)),
    ("Sequential mismatch", lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Linear(5, 2)),
     lambda L, m: m(L.ones(2, 3))),
    ("Flatten dims", lambda L: L.nn.Flatten(2, 5), lambda L, m: m(L.ones(2, 3))),
    ("Unflatten sizes", lambda L: L.nn.Unflatten(1, (2, 2)), lambda L, m: m(L.ones(2, 6))),
    ("Softmax dim", lambda L: L.nn.Softmax(dim=3), lambda L, m: m(L.ones(2, 3))),
    ("TransformerEncoderLayer d_model", lambda L: L.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
     lambda L, m: m(L.ones(3, 2, 5))),
    ("PixelShuffle channels", lambda L: L.nn.PixelShuffle(2), lambda L, m: m(L.ones(1, 3, 2, 2))),
    ("Upsample no size", None, lambda L, m: L.nn.Upsample()(L.ones(1, 1, 2, 2))),
    ("register_parameter not a Parameter", lambda L: L.nn.Linear(2, 2),
     lambda L, m: m.register_parameter("p", L.ones(2))),
    ("register_buffer bad name", lambda L: L.nn.Linear(2, 2), lambda L, m: m.register_buffer("a.b", L.ones(2))),
    ("Module attribute", lambda L: L.nn.Linear(2, 2), lambda L, m: m.nope),
    ("Parameter of a string", None, lambda L, m: L.nn.Parameter("a")),
    # ---- losses: wrong targets ---------------------------------------------------------------------
    ("CrossEntropyLoss class out of range", None,
     lambda L, m: L.nn.CrossEntropyLoss()(L.ones(4, 3), L.tensor([0, 1, 2, 3]))),
    ("CrossEntropyLoss negative class", None, lambda L, m: L.nn.CrossEntropyLoss()(L.ones(2, 3), L.tensor([0, -5]))),
    ("CrossEntropyLoss float class target", None,
     lambda L, m: L.nn.CrossEntropyLoss()(L.ones(4, 3), L.tensor([0.0, 1.0, 2.0, 1.0]))),
    ("CrossEntropyLoss batch mismatch", None, lambda L, m: L.nn.CrossEntropyLoss()(L.ones(4, 3), L.tensor([0, 1]))),
    ("CrossEntropyLoss 2-d long target", None,
     lambda L, m: L.nn.CrossEntropyLoss()(L.ones(4, 3), L.zeros(4, 2, dtype=L.int64))),
    ("CrossEntropyLoss probability shape", None, lambda L, m: L.nn.CrossEntropyLoss()(L.ones(4, 3), L.ones(4, 2))),
    ("CrossEntropyLoss weight size", None,
     lambda L, m: L.nn.CrossEntropyLoss(weight=L.ones(2))(L.ones(4, 3), L.tensor([0, 1, 2, 1]))),
    ("CrossEntropyLoss int input", None,
     lambda L, m: L.nn.CrossEntropyLoss()(L.ones(4, 3, dtype=L.int64), L.tensor([0, 1, 2, 1]))),
    ("NLLLoss batch mismatch", None, lambda L, m: L.nn.NLLLoss()(L.ones(4, 3), L.tensor([0, 1, 2, 1, 0]))),
    ("NLLLoss 0-d input", None, lambda L, m: L.nn.NLLLoss()(L.ones(()), L.tensor(0))),
    ("BCELoss input out of range", None, lambda L, m: L.nn.BCELoss()(L.full((3,), 1.5), L.ones(3))),
    ("BCELoss shape", None, lambda L, m: L.nn.BCELoss()(L.full((3,), 0.5), L.ones(2, 3))),
    ("BCELoss int target", None, lambda L, m: L.nn.BCELoss()(L.full((3,), 0.5), L.ones(3, dtype=L.int64))),
    ("BCEWithLogitsLoss shape", None, lambda L, m: L.nn.BCEWithLogitsLoss()(L.ones(3), L.ones(4))),
    ("BCEWithLogitsLoss int target", None,
     lambda L, m: L.nn.BCEWithLogitsLoss()(L.ones(3), L.ones(3, dtype=L.int64))),
    ("MSELoss int target", None, lambda L, m: L.nn.MSELoss()(L.ones(3), L.ones(3, dtype=L.int64))),
    ("MSELoss bad reduction", None, lambda L, m: L.nn.MSELoss(reduction="avg")(L.ones(3), L.ones(3))),
    ("L1Loss non-broadcastable target", None, lambda L, m: L.nn.L1Loss()(L.ones(2, 3), L.ones(2, 4))),
    ("HuberLoss delta", None, lambda L, m: L.nn.HuberLoss(delta=-1.0)(L.ones(3), L.ones(3))),
    ("SmoothL1Loss beta", None, lambda L, m: L.nn.SmoothL1Loss(beta=-1.0)(L.ones(3), L.ones(3))),
    ("loss backward twice", None, lambda L, m: _twice(L)),
    # ---- optimizers --------------------------------------------------------------------------------
    ("SGD negative lr", lambda L: [_p(L, 2)], lambda L, ps: L.optim.SGD(ps, lr=-1.0)),
    ("SGD string lr", lambda L: [_p(L, 2)], lambda L, ps: L.optim.SGD(ps, lr="a")),
    ("SGD negative momentum", lambda L: [_p(L, 2)], lambda L, ps: L.optim.SGD(ps, lr=0.1, momentum=-1.0)),
    ("SGD negative weight_decay", lambda L: [_p(L, 2)], lambda L, ps: L.optim.SGD(ps, lr=0.1, weight_decay=-1.0)),
    ("SGD nesterov without momentum", lambda L: [_p(L, 2)], lambda L, ps: L.optim.SGD(ps, lr=0.1, nesterov=True)),
    ("SGD empty params", None, lambda L, m: L.optim.SGD([], lr=0.1)),
    ("SGD a tensor for params", lambda L: _p(L, 2), lambda L, p: L.optim.SGD(p, lr=0.1)),
    ("SGD non-leaf param", lambda L: _p(L, 2), lambda L, p: L.optim.SGD([p * 2], lr=0.1)),
    ("SGD a string in params", None, lambda L, m: L.optim.SGD(["a"], lr=0.1)),
    ("SGD duplicate params", lambda L: _p(L, 2), lambda L, p: L.optim.SGD([p, p], lr=0.1)),
    ("Adam beta", lambda L: [_p(L, 2)], lambda L, ps: L.optim.Adam(ps, betas=(1.5, 0.9))),
    ("Adam beta2", lambda L: [_p(L, 2)], lambda L, ps: L.optim.Adam(ps, betas=(0.9, -0.1))),
    ("Adam eps", lambda L: [_p(L, 2)], lambda L, ps: L.optim.Adam(ps, eps=-1.0)),
    ("Adam negative lr", lambda L: [_p(L, 2)], lambda L, ps: L.optim.Adam(ps, lr=-1.0)),
    ("AdamW weight_decay", lambda L: [_p(L, 2)], lambda L, ps: L.optim.AdamW(ps, weight_decay=-1.0)),
    ("add_param_group overlap", lambda L: _p(L, 2),
     lambda L, p: L.optim.SGD([p], lr=0.1).add_param_group({"params": [p]})),
    ("add_param_group without params", lambda L: _p(L, 2),
     lambda L, p: L.optim.SGD([p], lr=0.1).add_param_group({"lr": 0.1})),
    ("optimizer load_state_dict groups", lambda L: (_p(L, 2), _p(L, 3)), lambda L, ps: _opt_groups(L, ps)),
    ("optimizer load_state_dict sizes", lambda L: (_p(L, 2), _p(L, 3)), lambda L, ps: _opt_sizes(L, ps)),
    ("optimizer load_state_dict empty", lambda L: _p(L, 2),
     lambda L, p: L.optim.SGD([p], lr=0.1).load_state_dict({})),
    ("lr_scheduler on a non-optimizer", None, lambda L, m: L.optim.lr_scheduler.StepLR("a", 2)),
    # ---- state_dict loading ------------------------------------------------------------------------
    ("load_state_dict size mismatch", lambda L: L.nn.Linear(3, 4),
     lambda L, m: m.load_state_dict(L.nn.Linear(3, 5).state_dict())),
    ("load_state_dict missing key", lambda L: L.nn.Linear(3, 4),
     lambda L, m: m.load_state_dict({"weight": L.zeros(4, 3)})),
    ("load_state_dict unexpected key", lambda L: L.nn.Linear(3, 4),
     lambda L, m: m.load_state_dict({"weight": L.zeros(4, 3), "bias": L.zeros(4), "extra": L.zeros(1)})),
    ("load_state_dict a string", lambda L: L.nn.Linear(3, 4), lambda L, m: m.load_state_dict("a")),
    ("load_state_dict string value", lambda L: L.nn.Linear(3, 4),
     lambda L, m: m.load_state_dict({"weight": "a", "bias": L.zeros(4)})),
    ("load_state_dict size mismatch non-strict", lambda L: L.nn.Linear(3, 4),
     lambda L, m: m.load_state_dict({"weight": L.zeros(5, 3)}, strict=False)),
    ("load_state_dict nested size mismatch", lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU()),
     lambda L, m: m.load_state_dict({"0.weight": L.zeros(4, 2), "0.bias": L.zeros(4)})),
    ("load_state_dict BatchNorm buffer", lambda L: L.nn.BatchNorm1d(3),
     lambda L, m: m.load_state_dict({**m.state_dict(), "running_mean": L.zeros(4)})),
    # ---- factories ---------------------------------------------------------------------------------
    ("zeros(-1)", None, lambda L, m: L.zeros(-1)),
    ("zeros(2, -3)", None, lambda L, m: L.zeros(2, -3)),
    ("ones(2, 3.5)", None, lambda L, m: L.ones(2, 3.5)),
    ("zeros((2, None))", None, lambda L, m: L.zeros((2, None))),
    ("empty('a')", None, lambda L, m: L.empty("a")),
    ("empty(-2)", None, lambda L, m: L.empty(-2)),
    ("full((2,), 'a')", None, lambda L, m: L.full((2,), "a")),
    ("full((-1,), 1.0)", None, lambda L, m: L.full((-1,), 1.0)),
    ("tensor ragged", None, lambda L, m: L.tensor([[1, 2], [3]])),
    ("tensor ragged deeper", None, lambda L, m: L.tensor([[[1.0], [2.0]], [[3.0]]])),
    ("tensor string", None, lambda L, m: L.tensor("abc")),
    ("tensor mixed string", None, lambda L, m: L.tensor([1, "a"])),
    ("tensor None", None, lambda L, m: L.tensor(None)),
    ("tensor object", None, lambda L, m: L.tensor(object())),
    ("tensor of tensors list", None, lambda L, m: L.tensor([L.ones(2), L.ones(3)])),
    ("tensor int overflow", None, lambda L, m: L.tensor([2 ** 70])),
    ("tensor bad dtype", None, lambda L, m: L.tensor([1.0], dtype="float32")),
    ("arange zero step", None, lambda L, m: L.arange(0, 5, 0)),
    ("arange wrong sign", None, lambda L, m: L.arange(0, 5, -1)),
    ("arange string", None, lambda L, m: L.arange("a")),
    ("arange inf", None, lambda L, m: L.arange(0, float("inf"))),
    ("linspace negative steps", None, lambda L, m: L.linspace(0, 1, -1)),
    ("eye(-1)", None, lambda L, m: L.eye(-1)),
    ("eye(2, -1)", None, lambda L, m: L.eye(2, -1)),
    ("randint low >= high", None, lambda L, m: L.randint(5, 2, (3,))),
    ("randint negative size", None, lambda L, m: L.randint(0, 5, (-1,))),
    ("randn(-1)", None, lambda L, m: L.randn(-1)),
    ("rand(2, -3)", None, lambda L, m: L.rand(2, -3)),
    ("randperm(-1)", None, lambda L, m: L.randperm(-1)),
    ("empty huge", None, lambda L, m: L.empty(2 ** 62)),
    ("zeros_like string", None, lambda L, m: L.zeros_like("a")),
    ("full_like string fill", lambda L: L.ones(2), lambda L, t: L.full_like(t, "a")),
    ("from_numpy object array", None, lambda L, m: L.from_numpy(np.array(["a", "b"]))),
    ("from_numpy list", None, lambda L, m: L.from_numpy([1, 2])),
    ("as_tensor ragged", None, lambda L, m: L.as_tensor([[1, 2], [3]])),
    # ---- views and reshapes ------------------------------------------------------------------------
    ("view wrong numel", lambda L: _seq(L), lambda L, x: x.view(4)),
    ("view two -1", lambda L: _seq(L), lambda L, x: x.view(-1, -1)),
    ("view -2", lambda L: _seq(L), lambda L, x: x.view(2, -2)),
    ("view float size", lambda L: _seq(L), lambda L, x: x.view(2.5)),
    ("view string", lambda L: _seq(L), lambda L, x: x.view("a")),
    ("view non-contiguous", lambda L: _seq(L), lambda L, x: x.t().view(6)),
    ("view -1 with zero", lambda L: _seq(L), lambda L, x: x.view(-1, 0)),
    ("view dtype size", lambda L: _seq(L), lambda L, x: x.view(L.int8).view(L.float64)),
    ("reshape wrong numel", lambda L: _seq(L), lambda L, x: x.reshape(4, 2)),
    ("reshape string", lambda L: _seq(L), lambda L, x: x.reshape("a")),
    ("reshape None", lambda L: _seq(L), lambda L, x: x.reshape(None)),
    ("reshape -1 of empty", lambda L: L.ones(0, 3), lambda L, x: x.reshape(-1, 0)),
    ("permute duplicate", lambda L: _seq(L), lambda L, x: x.permute(0, 0)),
    ("permute too few", lambda L: _seq(L), lambda L, x: x.permute(0)),
    ("transpose out of range", lambda L: _seq(L), lambda L, x: x.transpose(0, 5)),
    ("squeeze out of range", lambda L: _seq(L), lambda L, x: x.squeeze(5)),
    ("unsqueeze out of range", lambda L: _seq(L), lambda L, x: x.unsqueeze(5)),
    ("flatten start > end", lambda L: L.ones(2, 3, 4), lambda L, x: x.flatten(2, 0)),
    ("expand fewer dims", lambda L: _seq(L), lambda L, x: x.expand(3)),
    ("expand_as mismatch", lambda L: _seq(L), lambda L, x: x.expand_as(L.ones(3, 3))),
    ("unflatten wrong product", lambda L: _seq(L), lambda L, x: x.unflatten(1, (2, 2))),
    ("split_with_sizes sum", lambda L: _seq(L), lambda L, x: x.split([1, 1], 1)),
    ("cat dim out of range", lambda L: _seq(L), lambda L, x: L.cat([x, x], 5)),
    ("cat empty list", None, lambda L, m: L.cat([])),
    ("stack empty list", None, lambda L, m: L.stack([])),
    ("cat int and string", lambda L: _seq(L), lambda L, x: L.cat([x, "a"])),
    # ---- indexing ----------------------------------------------------------------------------------
    ("index out of range", lambda L: _seq(L), lambda L, x: x[5]),
    ("index negative out of range", lambda L: _seq(L), lambda L, x: x[-3]),
    ("index second dim out of range", lambda L: _seq(L), lambda L, x: x[:, 5]),
    ("index list out of range", lambda L: _seq(L), lambda L, x: x[[0, 5]]),
    ("index tensor out of range", lambda L: _seq(L), lambda L, x: x[L.tensor([5])]),
    ("index too many", lambda L: _seq(L), lambda L, x: x[0, 0, 0]),
    ("index float", lambda L: _seq(L), lambda L, x: x[1.5]),
    ("index string", lambda L: _seq(L), lambda L, x: x["a"]),
    ("index float tensor", lambda L: _seq(L), lambda L, x: x[L.tensor([0.0])]),
    ("index mask shape", lambda L: _seq(L), lambda L, x: x[L.tensor([True, False, True])]),
    ("index 0-d", lambda L: L.ones(()), lambda L, x: x[0]),
    ("setitem shape", lambda L: _seq(L), lambda L, x: x.__setitem__(0, L.ones(5))),
    ("setitem out of range", lambda L: _seq(L), lambda L, x: x.__setitem__(5, 1.0)),
    ("setitem string", lambda L: _seq(L), lambda L, x: x.__setitem__(0, "a")),
    ("setitem float into long", lambda L: L.zeros(3, dtype=L.int64), lambda L, x: x.__setitem__(0, 1.5)),
    ("index_select out of range", lambda L: _seq(L), lambda L, x: x.index_select(1, L.tensor([7]))),
    ("gather out of range", lambda L: _seq(L), lambda L, x: x.gather(1, L.tensor([[0, 9], [0, 0]]))),
    ("scatter_ out of range", lambda L: _seq(L),
     lambda L, x: x.scatter_(1, L.tensor([[0, 9], [0, 0]]), L.ones(2, 2))),
    ("masked_fill_ mask shape", lambda L: _seq(L), lambda L, x: x.masked_fill_(L.ones(4, dtype=L.bool), 0.0)),
    # ---- scalars and conversions -------------------------------------------------------------------
    ("item multi", lambda L: _seq(L), lambda L, x: x.item()),
    ("item empty", lambda L: L.ones(0), lambda L, x: x.item()),
    ("float multi", lambda L: _seq(L), lambda L, x: float(x)),
    ("int empty", lambda L: L.ones(0), lambda L, x: int(x)),
    ("bool multi", lambda L: _seq(L), lambda L, x: bool(x)),
    ("index of float", lambda L: L.ones(()), lambda L, x: [1, 2][x]),
    ("len of 0-d", lambda L: L.ones(()), lambda L, x: len(x)),
    ("iter of 0-d", lambda L: L.ones(()), lambda L, x: iter(x)),
    ("numpy of requires_grad", lambda L: L.ones(2, requires_grad=True), lambda L, x: x.numpy()),
    ("to bad dtype", lambda L: _seq(L), lambda L, x: x.to("float99")),
    ("to bad device", lambda L: _seq(L), lambda L, x: x.to("abc")),
    ("type bad", lambda L: _seq(L), lambda L, x: x.type("a")),
    ("backward non-scalar", lambda L: L.ones(2, requires_grad=True), lambda L, x: (x * 2).backward()),
    ("backward without grad", lambda L: L.ones(2), lambda L, x: x.sum().backward()),
    ("backward grad shape", lambda L: L.ones(2, requires_grad=True), lambda L, x: (x * 2).backward(L.ones(3))),
    ("requires_grad on int", lambda L: L.ones(2, dtype=L.int64), lambda L, x: x.requires_grad_()),
    ("in-place on a leaf requiring grad", lambda L: L.ones(2, requires_grad=True), lambda L, x: x.add_(1)),
    ("grad of non-scalar", lambda L: L.ones(2, requires_grad=True),
     lambda L, x: L.autograd.grad(x * 2, x)),
    ("int pow negative", lambda L: L.tensor([2, 3]), lambda L, x: x ** -1),
    ("float in-place into int", lambda L: L.tensor([2, 3]), lambda L, x: x.add_(1.5)),
    ("in-place broadcast to larger", lambda L: L.ones(3), lambda L, x: x.add_(L.ones(2, 3))),
    ("dim of size out of range", lambda L: _seq(L), lambda L, x: x.size(5)),
    ("stride out of range", lambda L: _seq(L), lambda L, x: x.stride(5)),
    # ---- more: dims, dtypes, sizes, init, data, seeds -----------------------------------------------
    ("avg_pool divisor 0", None, lambda L, m: _F(L).avg_pool2d(L.ones(1, 1, 4, 4), 2, divisor_override=0)),
    ("full int overflow", None, lambda L, m: L.full((2,), 2 ** 70, dtype=L.int64)),
    ("fill_ overflow", lambda L: L.zeros(2, dtype=L.int64), lambda L, x: x.fill_(2 ** 70)),
    ("add int overflow scalar", lambda L: L.zeros(2, dtype=L.int64), lambda L, x: x + 2 ** 70),
    ("arange huge", None, lambda L, m: L.arange(0, 2 ** 70)),
    ("StepLR step 0", lambda L: L.nn.Parameter(L.ones(2)),
     lambda L, p: L.optim.lr_scheduler.StepLR(L.optim.SGD([p], lr=0.1), 0).step()),
    ("int div zero", lambda L: L.tensor([1, 2]), lambda L, x: x // 0),
    ("int remainder zero tensor", lambda L: L.tensor([1, 2]), lambda L, x: x % L.tensor([0, 1])),
    ("int floor_divide zero tensor", lambda L: L.tensor([1, 2]),
     lambda L, x: L.div(x, L.tensor([0, 1]), rounding_mode="floor")),
    ("randint huge", None, lambda L, m: L.randint(0, 2 ** 70, (2,))),
    ("linspace huge steps", None, lambda L, m: L.linspace(0, 1, 2 ** 62)),
    ("ones_like big dtype", lambda L: L.ones(2), lambda L, x: L.ones_like(x, dtype="float32")),
    ("normal negative std", None, lambda L, m: L.normal(0.0, -1.0, (2,))),
    ("multinomial negative", None, lambda L, m: L.multinomial(L.tensor([-1.0, 2.0]), 1)),
    ("bernoulli p>1", None, lambda L, m: L.bernoulli(L.tensor([1.5]))),
    ("clamp min>max", lambda L: L.ones(3), lambda L, x: x.clamp(2, 1)),
    ("pow int negative scalar", lambda L: L.tensor([2, 3]), lambda L, x: x.pow(-2)),
    ("int tensor pow negative tensor", lambda L: L.tensor([2, 3]), lambda L, x: x.pow(L.tensor([-1, 2]))),
    ("mean of int", lambda L: L.tensor([1, 2]), lambda L, x: x.mean()),
    ("std of int", lambda L: L.tensor([1, 2]), lambda L, x: x.std()),
    ("norm of int", lambda L: L.tensor([1, 2]), lambda L, x: x.norm()),
    ("sqrt int", lambda L: L.tensor([1, 2]), lambda L, x: x.sqrt_()),
    ("exp_ int", lambda L: L.tensor([1, 2]), lambda L, x: x.exp_()),
    ("cumsum dim", lambda L: L.ones(2, 3), lambda L, x: x.cumsum(5)),
    ("softmax dim", lambda L: L.ones(2, 3), lambda L, x: x.softmax(5)),
    ("sort dim", lambda L: L.ones(2, 3), lambda L, x: x.sort(5)),
    ("argmax dim", lambda L: L.ones(2, 3), lambda L, x: x.argmax(5)),
    ("std dim", lambda L: L.ones(2, 3), lambda L, x: x.std(5)),
    ("var dims dup", lambda L: L.ones(2, 3), lambda L, x: x.var((0, 0))),
    ("sum dims dup", lambda L: L.ones(2, 3), lambda L, x: x.sum((0, 0))),
    ("sum dim str", lambda L: L.ones(2, 3), lambda L, x: x.sum("a")),
    ("mean dims out", lambda L: L.ones(2, 3), lambda L, x: x.mean((0, 5))),
    ("amax dims dup", lambda L: L.ones(2, 3), lambda L, x: x.amax((1, -1))),
    ("logsumexp dim", lambda L: L.ones(2, 3), lambda L, x: x.logsumexp(5)),
    ("topk k", lambda L: L.ones(2, 3), lambda L, x: x.topk(2.5)),
    ("repeat fewer", lambda L: L.ones(2, 3), lambda L, x: x.repeat(2)),
    ("repeat negative", lambda L: L.ones(2, 3), lambda L, x: x.repeat(2, -1)),
    ("tril 1-d", lambda L: L.ones(3), lambda L, x: x.tril()),
    ("flip dims out", lambda L: L.ones(2, 3), lambda L, x: x.flip(5)),
    ("roll dims out", lambda L: L.ones(2, 3), lambda L, x: x.roll(1, 5)),
    ("diag 3-d", lambda L: L.ones(2, 2, 2), lambda L, x: x.diag()),
    ("matmul 0-d", lambda L: L.ones(()), lambda L, x: x @ x),
    ("outer 2-d", lambda L: L.ones(2, 2), lambda L, x: L.outer(x, x)),
    ("cross_entropy label smoothing neg", None,
     lambda L, m: _F(L).cross_entropy(L.ones(2, 3), L.tensor([0, 1]), label_smoothing=-0.5)),
    ("one_hot float", None, lambda L, m: _F(L).one_hot(L.tensor([1.0]))),
    ("embedding 3-d weight", None, lambda L, m: _F(L).embedding(L.tensor([0]), L.ones(2, 2, 2))),
    ("pad odd", None, lambda L, m: _F(L).pad(L.ones(2, 3), (1,))),
    ("pad reflect too big", None, lambda L, m: _F(L).pad(L.ones(1, 2, 3), (5, 5), mode="reflect")),
    ("pad mode", None, lambda L, m: _F(L).pad(L.ones(1, 2, 3), (1, 1), mode="foo")),
    ("conv2d padding str", None, lambda L, m: _F(L).conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 3, 3), padding="foo")),
    ("conv2d stride same", None,
     lambda L, m: _F(L).conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 3, 3), stride=2, padding="same")),
    ("max_pool negative padding", None, lambda L, m: _F(L).max_pool2d(L.ones(1, 1, 4, 4), 2, padding=-1)),
    ("max_pool padding > half", None, lambda L, m: _F(L).max_pool2d(L.ones(1, 1, 4, 4), 2, padding=2)),
    ("sdpa mask dtype", None,
     lambda L, m: _F(L).scaled_dot_product_attention(L.ones(2, 3, 4), L.ones(2, 3, 4), L.ones(2, 3, 4),
                                                     attn_mask=L.ones(3, 3, dtype=L.int64))),
    ("grad of int leaf", None, lambda L, m: L.ones(2, dtype=L.int64, requires_grad=True)),
    ("detach_ view", lambda L: L.ones(2, 3, requires_grad=True), lambda L, x: (x * 1)[0].detach_()),
    ("clip_grad_norm negative type", lambda L: L.nn.Linear(2, 2),
     lambda L, m: L.nn.utils.clip_grad_norm_(m.parameters(), 1.0, norm_type="a")),
    ("init on int", lambda L: L.ones(2, 2, dtype=L.int64), lambda L, x: L.nn.init.normal_(x)),
    ("init xavier 1-d", lambda L: L.ones(2), lambda L, x: L.nn.init.xavier_uniform_(x)),
    ("init kaiming nonlinearity", lambda L: L.ones(2, 2),
     lambda L, x: L.nn.init.kaiming_uniform_(x, nonlinearity="foo")),
    ("init orthogonal 1-d", lambda L: L.ones(2), lambda L, x: L.nn.init.orthogonal_(x)),
    ("DataLoader batch_size 0", None, lambda L, m: L.utils.data.DataLoader([1, 2], batch_size=0)),
    ("DataLoader negative workers", None, lambda L, m: L.utils.data.DataLoader([1, 2], num_workers=-1)),
    ("TensorDataset sizes", None, lambda L, m: L.utils.data.TensorDataset(L.ones(2), L.ones(3))),
    ("random_split lengths", None, lambda L, m: L.utils.data.random_split([1, 2, 3], [1, 1])),
    ("manual_seed str", None, lambda L, m: L.manual_seed("a")),
    ("manual_seed negative huge", None, lambda L, m: L.manual_seed(-2 ** 70)),
    ("set_num_threads 0", None, lambda L, m: L.set_num_threads(0)),
    ("no_grad misuse", None, lambda L, m: L.no_grad(1)),
    ("autocast bad device", None, lambda L, m: L.autocast("foo")),
]


def _twice(L):
    x = L.ones(2, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    y.backward()


def _opt_groups(L, ps):
    a, b = ps
    state = L.optim.SGD([a, b], lr=0.1).state_dict()
    L.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(state)


def _opt_sizes(L, ps):
    a, b = ps
    state = L.optim.SGD([a, b], lr=0.1).state_dict()
    L.optim.SGD([a], lr=0.1).load_state_dict(state)


def _tensors(obj):
    """Every tensor the setup built (module parameters and buffers too)."""
    if obj is None:
        return []
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    if hasattr(obj, "state_dict") and hasattr(obj, "parameters"):
        return list(obj.parameters()) + list(obj.buffers())
    if hasattr(obj, "_version"):
        return [obj]
    return []


def _builtin(k):
    for c in k.__mro__:
        if c.__module__ == "builtins":
            return c
    return k


def _outcome(lib, setup, call):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        obj = setup(lib) if setup is not None else None
        ts = _tensors(obj)
        before = [(t.detach().clone(), t._version, t.grad_fn) for t in ts] if lib is xptorch else None
        try:
            call(lib, obj)
            return None, ts, before
        except Exception as e:  # noqa: BLE001  (compared with the other library's outcome)
            return e, ts, before


# Deliberate differences, each with its reason.
EXCLUDED = {
    # torch's Parameter.__new__ calls data.detach() and so fails with AttributeError; ours names the problem
    "Parameter of a string": "TypeError 'Parameter data must be a Tensor, got str' where torch's AttributeError",
    # torch indexes state_dict['param_groups'] and fails with KeyError; ours says what a state dict must hold
    "optimizer load_state_dict empty": "TypeError naming the missing entries where torch's KeyError",
}


def check(name, setup, call):
    t_exc, _, _ = _outcome(torch, setup, call)
    x_exc, ts, before = _outcome(xptorch, setup, call)
    if t_exc is None:
        assert x_exc is None, f"{name}: torch returns; xptorch raised {type(x_exc).__name__}: {x_exc}"
        return
    assert x_exc is not None, f"{name}: torch raised {type(t_exc).__name__}: {t_exc}; xptorch returned"
    got = f"{type(x_exc).__module__}.{type(x_exc).__name__}: {x_exc}"
    foreign = type(x_exc).__module__.startswith(("numpy", "safetensors"))
    assert isinstance(x_exc, _builtin(type(t_exc))) and not foreign, (
        f"{name}: torch raised {type(t_exc).__name__}: {t_exc}; xptorch {got}")
    same = str(x_exc) == xp_message(str(t_exc))
    assert same or NUMPY_TEXT.search(str(t_exc)) or not (NUMPY_TEXT.search(str(x_exc)) or not str(x_exc)), (
        f"{name}: xptorch's message is not torch's kind: {got} (torch: {t_exc})")
    for i, (t, (data, version, fn)) in enumerate(zip(ts, before)):
        np.testing.assert_array_equal(t.detach().numpy(), data.numpy(), err_msg=f"{name}: tensor {i} changed")
        assert t._version == version and t.grad_fn is fn, f"{name}: tensor {i} version or grad_fn changed"


@pytest.mark.parametrize("name,setup,call", [pytest.param(*c, id=c[0]) for c in CASES if c[0] not in EXCLUDED])
def test_hostile_api(name, setup, call):
    check(name, setup, call)


# ---- serialization -----------------------------------------------------------------------------------
# xptorch's files are safetensors; its loader also reads PyTorch zip checkpoints. A damaged file of either
# kind raises ValueError naming the file and what is wrong with it, whatever the damage. torch's own type
# depends on which of its parsers stops first (RuntimeError from the zip reader, EOFError for an empty file,
# pickle.UnpicklingError or KeyError for garbage), so only "raises" is compared with torch, not the type.


def _damaged(data):
    """Deterministic damage: truncations, and single bytes overwritten through the header."""
    n = len(data)
    for k in sorted({0, 1, 7, 8, 9, 16, 40, n // 3, n // 2, n - 1}):
        if k < n:
            yield f"truncated to {k}", data[:k]
    for i in (0, 3, 7, 8, 9, 12, 20, 30, 45, 60):
        if i < n:
            for b in (0x00, 0xFF, ord("]")):
                yield f"byte {i} set to {b:#x}", data[:i] + bytes([b]) + data[i + 1:]


@pytest.mark.parametrize("maker", ["xptorch", "torch"])
def test_damaged_files_raise_value_error_naming_the_file(tmp_path, maker):
    src = tmp_path / "good.pt"
    lib = xptorch if maker == "xptorch" else torch
    lib.save({"w": lib.arange(6.0).reshape(2, 3), "step": 3, "names": ["a", "b"]}, str(src))
    data = src.read_bytes()
    for what, bad in _damaged(data):
        path = tmp_path / "bad.pt"
        path.write_bytes(bad)
        try:
            xptorch.load(str(path))
        except ValueError as e:
            assert "bad.pt" in str(e), f"{maker} file, {what}: {e}"
            assert not NUMPY_TEXT.search(str(e)), f"{maker} file, {what}: {e}"
        except Exception as e:  # noqa: BLE001
            raise AssertionError(f"{maker} file, {what}: {type(e).__module__}.{type(e).__name__}: {e}") from e
    assert xptorch.load(str(src))["step"] == 3


def test_missing_and_folder_paths_as_torch(tmp_path):
    for path in (tmp_path / "missing.pt", tmp_path):
        check(f"load {path.name}", None, lambda L, m, p=str(path): L.load(p))
    check("save into a missing folder", None, lambda L, m: L.save(L.ones(2), str(tmp_path / "no" / "x.pt")))
