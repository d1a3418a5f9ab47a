"""xptorch.testing: assert_close and make_tensor as torch.testing has them, for users' own tests.

The pytest plugin in xptorch.testing.pytest_plugin (registered through the pytest11 entry point) adds a
`device` fixture over cpu and every usable cuda:N and a `cuda_benchmark` fixture.
"""
from ._comparison import assert_close
from ._creation import make_tensor

__all__ = ["assert_close", "make_tensor"]
