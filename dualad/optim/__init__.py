"""Optimizers: ``SGD`` and ``Adam`` on parameter groups, PyTorch's update equations.

>>> import dualad as da
>>> w = da.tensor([2.0], requires_grad=True)
>>> opt = da.optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> w.tolist()   # each step multiplies w by 1 - 2 * 0.25
[0.25]
"""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam"]
