"""Neural-network building blocks: ``Module``, ``Parameter``, layers and losses.

>>> import dualad as da
>>> da.manual_seed(0)
>>> model = da.nn.Sequential(da.nn.Linear(2, 8), da.nn.Tanh(), da.nn.Linear(8, 1))
>>> sum(p.numel() for p in model.parameters())
33
"""

from . import functional
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .loss import CrossEntropyLoss, MSELoss
from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Tanh", "Sigmoid", "Sequential",
           "MSELoss", "CrossEntropyLoss", "functional"]
