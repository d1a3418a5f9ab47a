"""Flatten parameters into one vector and back (torch.nn.utils.convert_parameters)."""
from ..._tensor import Tensor


def _check_param_device(param, old_param_device):
    """-1 for the CPU, else the CUDA index; all parameters must agree (torch raises TypeError)."""
    here = (param.device.index or 0) if param.device.type == "cuda" else -1
    if old_param_device is None:
        return here
    if here != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return old_param_device


def parameters_to_vector(parameters):
    """One 1-D tensor of all parameters' values, in order (differentiable with respect to them)."""
    from ..._functions import cat

    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec, parameters):
    """Point each parameter's .data at its slice of vec (they share memory with vec afterwards, as in torch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected xptorch.Tensor, but got: {type(vec).__name__}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
