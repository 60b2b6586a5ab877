"""Layers: ``Linear``, the activations ``ReLU``/``Tanh``/``Sigmoid``, and ``Sequential``.

>>> import dualad as da
>>> da.manual_seed(0)
>>> model = da.nn.Sequential(da.nn.Linear(3, 4), da.nn.ReLU(), da.nn.Linear(4, 1))
>>> model
Sequential(
  (0): Linear(in_features=3, out_features=4, bias=True)
  (1): ReLU()
  (2): Linear(in_features=4, out_features=1, bias=True)
)
>>> model(da.ones(5, 3)).shape
(5, 1)
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, overload

from .. import ops
from ..autograd.grad_mode import no_grad
from ..creation import rand
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter


def _uniform(shape: tuple, bound: float, dtype: Any) -> Parameter:
    """U(-bound, bound) from dualad's seeded generator (``dualad.manual_seed``)."""
    with no_grad():
        values = (rand(*shape, dtype=dtype) * 2.0 - 1.0) * bound
    return Parameter(values)


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"Linear: {what} must be a positive int, got {value!r}")
    return value


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    Initialised as PyTorch does (Kaiming-uniform with ``a=sqrt(5)``): weight and
    bias are drawn from ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

    >>> import dualad as da
    >>> layer = da.nn.Linear(4, 2)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 4), (2,))
    >>> float(abs(layer.weight).max()) <= 0.5
    True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        bound = 1.0 / math.sqrt(in_features)
        self.weight = _uniform((out_features, in_features), bound, dtype)
        if bias:
            self.bias = _uniform((out_features,), bound, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear expects inputs whose last dimension is in_features="
                             f"{self.in_features}, got an input of shape {tuple(x.shape)}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    """``max(x, 0)`` elementwise (derivative 0 at 0, see ``dualad.nondiff``)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class Sequential(Module):
    """Modules applied one after another; built from modules or an ``OrderedDict``.

    >>> import dualad as da
    >>> seq = da.nn.Sequential(da.nn.Tanh(), da.nn.Sigmoid())
    >>> len(seq), type(seq[1]).__name__
    (2, 'Sigmoid')
    """

    @overload
    def __init__(self, *modules: Module) -> None: ...

    @overload
    def __init__(self, modules: OrderedDict[str, Module], /) -> None: ...

    def __init__(self, *modules: Any) -> None:  # anything else is refused by add_module
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        try:
            return items[index][1]
        except (IndexError, TypeError):
            raise IndexError(f"index {index!r} is out of range for a Sequential of "
                             f"{len(items)} modules") from None

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x
