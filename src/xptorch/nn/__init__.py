"""Neural-network building blocks: Module, Parameter, layers, init, functional."""
from .modules import *  # noqa: F401,F403
from .modules import Module, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from . import attention, functional, init, utils  # noqa: F401


def __getattr__(name):
    # nn.parallel pulls in xptorch.distributed: imported on first use, not with xptorch.
    if name == "parallel":
        import importlib

        return importlib.import_module(".parallel", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
