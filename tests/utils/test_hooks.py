"""xptorch.utils.hooks: every hook registration returns its RemovableHandle, which behaves as torch's."""
import pickle
import warnings

import pytest
import torch

import xptorch


def _registrations(m, device):
    """(handle, registry it lives in) for each kind of hook; m is torch or xptorch."""
    lin = m.nn.Linear(2, 2).to(device)
    leaf = m.ones(2, device=device, requires_grad=True)
    mid = leaf * 2
    opt = m.optim.SGD(lin.parameters(), lr=0.1)
    fn = lambda *a, **k: None  # noqa: E731
    return [
        (lin.register_forward_hook(fn), lambda: lin._forward_hooks),
        (lin.register_forward_pre_hook(fn), lambda: lin._forward_pre_hooks),
        (lin.register_full_backward_hook(fn), lambda: lin._backward_hooks),
        (leaf.register_hook(fn), None),
        (mid.register_hook(fn), None),
        (leaf.register_post_accumulate_grad_hook(fn), None),
        (opt.register_step_pre_hook(fn), None),
        (mid.grad_fn.register_hook(fn), None),
    ]


def test_every_registration_returns_the_handle_class(device):
    for (h, _), (th, _) in zip(_registrations(xptorch, device), _registrations(torch, "cpu")):
        assert type(h) is xptorch.utils.hooks.RemovableHandle
        assert type(th) is torch.utils.hooks.RemovableHandle
    assert xptorch.autograd.graph.RemovableHandle is xptorch.utils.hooks.RemovableHandle
    assert torch.autograd.graph.RemovableHandle is torch.utils.hooks.RemovableHandle


@pytest.mark.parametrize("m", [torch, xptorch], ids=["torch", "xptorch"])
def test_ids_increase_and_key_the_registry(m, device):
    dev = "cpu" if m is torch else device
    regs = _registrations(m, dev)
    ids = [h.id for h, _ in regs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert m.utils.hooks.RemovableHandle.next_id == ids[-1] + 1
    for h, store in regs:
        if store is not None:
            assert h.id in store()
            h.remove()
            assert h.id not in store()
            h.remove()  # a second remove does nothing


@pytest.mark.parametrize("m", [torch, xptorch], ids=["torch", "xptorch"])
def test_tensor_hook_removed_and_context_manager(m, device):
    dev = "cpu" if m is torch else device
    calls = []
    x = m.ones(3, device=dev, requires_grad=True)
    h = x.register_hook(lambda g: calls.append("a") or g * 2)
    with x.register_hook(lambda g: calls.append("b")) as h2:
        assert isinstance(h2, m.utils.hooks.RemovableHandle)
        (x * 3).sum().backward()
    h.remove()
    (x * 3).sum().backward()
    assert calls == ["a", "b"]
    assert x.grad.tolist() == [9.0] * 3  # 3 * 2 once, then 3


def _forward_hook(mod, inp, out):
    return out * 0


@pytest.mark.parametrize("m", [torch, xptorch], ids=["torch", "xptorch"])
def test_pickled_with_its_module_the_handle_removes_from_the_copy(m):
    lin = m.nn.Linear(2, 2)
    h = lin.register_forward_hook(_forward_hook)
    lin2, h2 = pickle.loads(pickle.dumps((lin, h)))
    assert h2.id == h.id and h2.id in lin2._forward_hooks
    assert not lin2(m.ones(1, 2)).any()
    h2.remove()
    assert lin2(m.ones(1, 2)).any() and not lin(m.ones(1, 2)).any()
    alone = pickle.loads(pickle.dumps(h))  # its registry dies with the load: remove does nothing
    alone.remove()
    assert h.id in lin._forward_hooks
    m.utils.hooks.RemovableHandle.next_id = 0  # loading never lets new ids reuse a loaded one
    pickle.loads(pickle.dumps(h))
    assert m.utils.hooks.RemovableHandle.next_id == h.id + 1


@pytest.mark.parametrize("m", [torch, xptorch], ids=["torch", "xptorch"])
def test_extra_dict_and_dead_registry(m):
    H = m.utils.hooks
    from collections import OrderedDict

    main, extra1, extra2 = OrderedDict(), OrderedDict(), OrderedDict()
    h = H.RemovableHandle(main, extra_dict=[extra1, extra2])
    main[h.id] = extra1[h.id] = extra2[h.id] = 1
    h.remove()
    assert not main and not extra1 and not extra2
    h = H.RemovableHandle(OrderedDict())  # registry already gone
    h.remove()
    assert pickle.loads(pickle.dumps(h)).hooks_dict_ref() is None
    with pytest.raises(TypeError):
        H.RemovableHandle({})  # a plain dict cannot be held weakly


def _plain(g):
    return None


@pytest.mark.parametrize("m", [torch, xptorch], ids=["torch", "xptorch"])
def test_pickling_a_tensor_with_hooks_warns_unless_unserializable(m):
    x = m.ones(2, requires_grad=True)
    x.register_hook(_plain)
    with pytest.warns(UserWarning, match=r"backward hook <function _plain at .*> on tensor will not be serialized"):
        pickle.dumps(x)
    y = m.ones(2, requires_grad=True)
    marked = m.utils.hooks.unserializable_hook(lambda g: None)
    assert marked.__torch_unserializable__ is True
    y.register_hook(marked)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.dumps(y)
        m.utils.hooks.warn_if_has_hooks(m.ones(2))
