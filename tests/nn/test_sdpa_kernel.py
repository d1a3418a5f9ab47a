"""nn.attention.sdpa_kernel and SDPBackend against torch: flags set and restored, and attention refusing
(with torch's errors and warnings) where the selection leaves no backend that can run."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch.nn.attention import SDPBackend as TB
from torch.nn.attention import sdpa_kernel as t_sdpa_kernel

import xptorch
import xptorch.nn.functional as XF
from devices import check
from xptorch.nn.attention import SDPBackend as XB
from xptorch.nn.attention import sdpa_kernel as x_sdpa_kernel

FLAGS = ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled")


def _flags(m):
    return [getattr(m.backends.cuda, f)() for f in FLAGS]


def test_enum_like_torch():
    assert list(XB.__members__) == list(TB.__members__)
    for name in TB.__members__:
        t, x = getattr(TB, name), getattr(XB, name)
        assert (int(x), x.name, x.value, str(x), repr(x)) == (int(t), t.name, t.value, str(t), repr(t))
    assert XB.MATH != 0 and TB.MATH != 0


@pytest.mark.parametrize("backends", [[], "MATH", ["FLASH_ATTENTION", "CUDNN_ATTENTION"],
                                      ["EFFICIENT_ATTENTION", "OVERRIDEABLE", "EFFICIENT_ATTENTION"]])
def test_flags_inside_and_restored(backends):
    def pick(B):
        return getattr(B, backends) if isinstance(backends, str) else [getattr(B, b) for b in backends]

    before = _flags(xptorch)
    with x_sdpa_kernel(pick(XB)) as xc, t_sdpa_kernel(pick(TB)) as tc:
        assert _flags(xptorch) == _flags(torch) and xc == tc == {}
    assert _flags(xptorch) == before == _flags(torch)
    with x_sdpa_kernel(pick(XB), set_priority=True):
        with t_sdpa_kernel(pick(TB), set_priority=True):
            assert xptorch.backends.cuda._sdp_priority == torch._C._get_sdp_priority_order()
    assert xptorch.backends.cuda._sdp_priority == torch._C._get_sdp_priority_order()


def test_bad_argument_like_torch():
    for f in (x_sdpa_kernel, t_sdpa_kernel):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or a list of SDPBackend "
                                                 "instances, got str"):
            with f("math"):
                pass


def test_deprecated_sdp_kernel_like_torch():
    for m in (torch, xptorch):
        with pytest.warns(FutureWarning, match=r"`torch.backends.cuda.sdp_kernel\(\)` is deprecated"):
            with m.backends.cuda.sdp_kernel(enable_math=False, enable_cudnn=False) as c:
                assert c == {} and _flags(m) == [True, True, False, False]
        assert _flags(m) == [True] * 4


def _qkv(shape_q=(2, 3, 4, 8), shape_kv=(2, 3, 5, 8)):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in (shape_q, shape_kv, shape_kv)]


@pytest.mark.parametrize("chosen", [["MATH"], ["MATH", "EFFICIENT_ATTENTION"], ["FLASH_ATTENTION"]])
def test_attention_runs_where_torch_does(device, chosen):
    if device != "cpu" and chosen == ["FLASH_ATTENTION"]:
        chosen = ["MATH", "FLASH_ATTENTION"]  # on CUDA only the math backend is xptorch's
    q, k, v = _qkv()
    with x_sdpa_kernel([getattr(XB, c) for c in chosen]), t_sdpa_kernel([getattr(TB, c) for c in chosen]):
        check(device, [q, k, v], lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, is_causal=True),
              lambda a, b, c: XF.scaled_dot_product_attention(a, b, c, is_causal=True),
              check_grad_fn="FLASH_ATTENTION" not in chosen)  # torch's flash kernel has its own backward node


def _errors(m, F, B, kernel, chosen, device, kwargs, shapes):
    q, k, v = (m.tensor(a, device=device) for a in _qkv(*shapes))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError) as e:
            with kernel([getattr(B, c) for c in chosen]):
                F.scaled_dot_product_attention(q, k, v, **kwargs)
    return str(e.value), [str(w.message).split(" (Triggered internally")[0] for w in rec]


@pytest.mark.parametrize("chosen,kwargs,shapes", [
    ([], {}, ()),
    (["EFFICIENT_ATTENTION", "CUDNN_ATTENTION", "OVERRIDEABLE"], {}, ()),
    (["FLASH_ATTENTION"], {"dropout_p": 0.5}, ()),
    (["FLASH_ATTENTION"], {}, ((3, 4, 8), (3, 5, 8))),
    (["FLASH_ATTENTION"], {}, ((2, 3, 4, 8), (2, 3, 5, 6))),
])
def test_cpu_refusals_like_torch(chosen, kwargs, shapes):
    got = _errors(xptorch, XF, XB, x_sdpa_kernel, chosen, "cpu", kwargs, shapes)
    want = _errors(torch, TF, TB, t_sdpa_kernel, chosen, "cpu", kwargs, shapes)
    assert got == want


def test_cuda_refuses_without_math(simulated_cuda):
    q = xptorch.ones(1, 1, 2, 4, device="cuda")
    with x_sdpa_kernel([XB.FLASH_ATTENTION, XB.CUDNN_ATTENTION]):
        with pytest.warns(UserWarning) as rec, pytest.raises(RuntimeError, match=r"^No available kernel\. Aborting "
                                                                                 r"execution\.$"):
            XF.scaled_dot_product_attention(q, q, q)
    texts = [str(w.message) for w in rec]
    assert texts[0::2] == ["Memory efficient kernel not used because:", "Flash attention kernel not used because:",
                           "CuDNN attention kernel not used because:"]
    assert texts[1] == "Memory Efficient attention has been runtime disabled."
    with x_sdpa_kernel(XB.OVERRIDEABLE), pytest.raises(RuntimeError, match="No viable backend"):
        XF.scaled_dot_product_attention(q, q, q)
    assert XF.scaled_dot_product_attention(q, q, q).shape == (1, 1, 2, 4)  # restored
