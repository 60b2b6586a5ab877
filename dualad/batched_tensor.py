"""The value ``vmap`` hands to the function it vectorizes: one Tensor standing for a batch.

Inside ``func.vmap(f)``, ``f`` sees each batched argument as a
:class:`BatchedTensor`: its shape is one example's shape, while it holds the
whole batch (``_value``, the batch axis first) and the vmap level it belongs to
(``_level``; nested vmaps have increasing levels, and a value batched at several
levels wraps one BatchedTensor in another, the lower level inside). An op on
it runs once on the whole batch through the op's batching rule
(``dualad.ops.vmap_rules``), reached from ``registry.apply``: reading
``_data`` (one example's array, which does not exist) raises
:class:`BatchedDataError`, which ``apply`` turns into a batched call. Anything
else that needs one example's numbers (``float(x)``, ``x.item()``,
``np.asarray(x)``, ``if x > 0:``) raises that error with advice, as JAX does.

>>> import numpy as np
>>> from dualad import func
>>> func.vmap(lambda x: x * x.shape[0])(np.ones((4, 3)))[0]  # x.shape is one example's
array([3., 3., 3.])
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor, _new


class BatchedDataError(TypeError, RuntimeError):
    """One example's data was needed inside ``vmap``, where a value stands for a batch.

    ``args[0]`` says what was tried; the message (with advice) is made when shown, since
    ``registry.apply`` raises and catches one for every op on a BatchedTensor."""

    def __str__(self) -> str:
        return "vmap: " + _ADVICE.format(what=self.args[0] if self.args else "read")


_ADVICE = ("inside func.vmap a Tensor stands for the whole batch, so there is no single "
           "example's value to {what}. Keep per-example logic in dualad ops (da.where(c, a, "
           "b) instead of an if; no float()/.item()/np.asarray() of batched values), or run "
           "the examples in a Python loop")


BACKWARD_IN_VMAP = ("differentiate with .backward() or autograd.grad (the tape holds whole "
                    "batches): call func.grad inside vmap for per-example gradients, "
                    "vmap(func.grad(f)), or differentiate a function that calls vmap")


def batched_error(what: str) -> BatchedDataError:
    """The error for reading one example's data inside vmap (``what``: what was tried)."""
    return BatchedDataError(what)


class BatchedTensor(Tensor):
    """A batch of values, seen as one example (see the module docstring)."""

    __slots__ = ("_value", "_level")
    _value: Tensor  # the batch, batch axis first (a BatchedTensor of a lower level, or a Tensor)
    _level: int

    @property
    def _data(self) -> Any:  # shadows Tensor's slot: there is no one example's array
        raise batched_error("read (an operation that reads a Tensor's array directly, "
                            "float(), .item(), np.asarray(), bool() in an if, or an in-place "
                            "write)")

    @_data.setter
    def _data(self, value: Any) -> None:
        raise batched_error("write into (in-place writes into a batched value are not "
                            "supported inside vmap; compute a new value instead, e.g. "
                            "da.where or da.concatenate)")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape[1:])

    def size(self, dim: int | None = None) -> Any:
        shape = self.shape
        return shape if dim is None else shape[dim]

    @property
    def requires_grad(self) -> bool:
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        raise batched_error("mark as requiring grad (differentiate with func.grad inside "
                            "vmap, or outside it)")

    @property
    def ndim(self) -> int:
        return len(self._value.shape) - 1

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def detach(self) -> Tensor:
        return batched(self._value.detach(), self._level)

    def __repr__(self) -> str:
        return f"BatchedTensor(level={self._level}, batch of {self._value.shape[0]}, " \
               f"example shape {self.shape}):\n{self._value!r}"

    def __hash__(self) -> int:
        return id(self)


def batched(value: Tensor, level: int) -> BatchedTensor:
    """``value`` (batch axis first) as a BatchedTensor of vmap level ``level``."""
    t = _new(BatchedTensor)
    t._value = value
    t._level = level
    t.requires_grad_flag = False
    t.grad_fn = t._grad = t._tangents = t._vc = t._meta = None
    return t
