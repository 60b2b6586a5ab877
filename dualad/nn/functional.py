"""Functional forms of the layers and losses, under PyTorch's names (``torch.nn.functional``).

They are defined once, in :mod:`dualad.ops.nn_functions` (and the op library);
this module only re-exports them, so ``nn.Linear`` and ``F.linear`` share one
definition.

>>> import dualad as da
>>> import dualad.nn.functional as F
>>> F.relu(da.tensor([-1.0, 2.0]))
tensor([0., 2.])
>>> F.mse_loss(da.tensor([1.0, 3.0]), da.tensor([1.0, 1.0]))
tensor(2.)
"""

from ..ops.nn_functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    linear,
    log_softmax,
    mse_loss,
    nll_loss,
    relu,
    sigmoid,
    softmax,
    tanh,
)

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss",
           "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]
