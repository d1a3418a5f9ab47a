"""nn.utils: parameter-tie inspection and gradient clipping."""
from .ties import tied_parameters
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import parametrizations, parametrize, rnn  # noqa: F401

__all__ = ["tied_parameters", "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]
