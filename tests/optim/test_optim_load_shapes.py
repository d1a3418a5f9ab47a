"""A loaded optimizer state whose buffers do not fit the parameters is refused at load, as a
RuntimeError (torch's type, which torch raises later, at step), and changes nothing."""
import numpy as np
import pytest

import xptorch
from xptorch import nn, optim


def stepped(cls, **kw):
    xptorch.manual_seed(0)
    p = nn.Parameter(xptorch.ones(3))
    opt = cls([p], lr=0.1, **kw)
    p.grad = xptorch.ones(3)
    opt.step()
    return p, opt


@pytest.mark.parametrize(
    "cls, kw, key",
    [(optim.Adam, {}, "exp_avg"), (optim.Adam, {"amsgrad": True}, "max_exp_avg_sq"),
     (optim.AdamW, {}, "exp_avg_sq"), (optim.SGD, {"momentum": 0.9}, "momentum_buffer")],
)
def test_wrong_state_shape_is_refused_and_changes_nothing(cls, kw, key):
    _, src = stepped(cls, **kw)
    sd = src.state_dict()
    sd["state"][0][key] = xptorch.ones(5)
    p, opt = stepped(cls, **kw)
    before = {k: v.cpu().numpy().copy() for k, v in opt.state[p].items()}
    groups = opt.param_groups
    with pytest.raises(RuntimeError, match=rf"loaded optimizer state '{key}' of parameter 0 has shape \[5\], "
                                           r"but the parameter has shape \[3\]"):
        opt.load_state_dict(sd)
    assert opt.param_groups is groups
    for k, v in opt.state[p].items():
        np.testing.assert_array_equal(v.cpu().numpy(), before[k])
    p.grad = xptorch.ones(3)
    opt.step()  # still usable


def test_matching_state_still_loads():
    p, src = stepped(optim.Adam)
    q, opt = stepped(optim.Adam, amsgrad=False)
    opt.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(opt.state[q]["exp_avg"].cpu().numpy(), src.state[p]["exp_avg"].cpu().numpy())
