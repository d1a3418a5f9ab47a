"""Probability distributions with PyTorch's interface: sampling, log densities, moments, entropy, KL."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multinomial import Multinomial
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Multinomial", "Normal", "Uniform",
           "constraints", "kl_divergence", "register_kl"]
