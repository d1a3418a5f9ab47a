"""Neural-network building blocks: Module, Parameter, layers, init, functional."""
from .modules import *  # noqa: F401,F403
from .modules import Module, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
from .parameter import Buffer, Parameter
from . import functional, init, utils  # noqa: F401
