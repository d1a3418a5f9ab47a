"""Flatten parameters into one vector and back."""


def parameters_to_vector(parameters):
    from ..._functions import cat

    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    from ...autograd.grad_mode import no_grad

    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset:offset + n].view_as(p))
            offset += n
