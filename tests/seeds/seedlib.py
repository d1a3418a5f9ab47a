"""Run the same notebook cell on xptorch and on torch 2.13 and compare what they print."""
import contextlib
import io
import re

import numpy as np

import xptorch
from xptorch import nn as xnn
from xptorch.nn import init as xinit

_NUM = re.compile(r"-?\d+\.\d+(e[+-]\d+)?|-?\d+\.(?!\d)|\b\d+\b")


def libs(torch):
    """(xptorch trio, torch trio) as the notebooks import them."""
    return (xptorch, xnn, xinit), (torch, torch.nn, torch.nn.init)


def capture(fn, *args, **kwargs):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = fn(*args, **kwargs)
    return buf.getvalue(), result


def normalise(text):
    """torch's output in xptorch's words."""
    return text.replace("torch.", "xptorch.").replace("'torch'", "'xptorch'")


def mask_numbers(text):
    """Structure only: numbers and booleans become #, padding and device suffixes go."""
    text = text.replace(", device='cuda:0'", "").replace("True", "#").replace("False", "#")
    text = re.sub(r",\s*\n\s*(grad_fn|requires_grad)", r", \1", text)
    text = re.sub(r" +", " ", _NUM.sub("#", text))
    return text.replace("[ ", "[")


def copy_weights(src_torch_module, dst_module, device="cpu"):
    """Give an xptorch module exactly the values of a torch module with the same structure."""
    sd = {k: xptorch.tensor(v.detach().numpy()) for k, v in src_torch_module.state_dict().items()}
    dst_module.load_state_dict(sd)
    return dst_module.to(device)


def same_values(x_tensor, t_tensor):
    return np.array_equal(x_tensor.detach().cpu().numpy(), t_tensor.detach().numpy())
