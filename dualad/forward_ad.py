"""Forward mode: dual numbers. Each tensor may carry one tangent per active dual level.

Levels nest; an op on values from two levels treats the outer one as a
constant of the inner one, so nested forward mode has no perturbation
confusion. Tangents are Tensors, so they can carry a reverse graph or an
outer level's tangent (forward-over-reverse and reverse-over-forward).

A level opened with ``batch_size=B`` carries ``B`` tangents at once: the
tangent of a value of shape ``S`` has shape ``(B,) + S`` and every op pushes
all ``B`` of them in one call (this is how ``dualad.func.jacfwd`` builds a
whole Jacobian in one pass).

>>> import dualad as da
>>> from dualad import forward_ad as fwAD
>>> with fwAD.dual_level():
...     x = fwAD.make_dual(da.tensor(0.5), da.tensor(1.0))
...     p, t = fwAD.unpack_dual(da.sin(x))
>>> round(t.item(), 6) == round(float(__import__("math").cos(0.5)), 6)
True
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ._state import level_ids, state
from .registry import alias
from .tensor import Tensor, _wrap


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


class dual_level:
    """Context manager: a new (nested) dual level; its tangents vanish on exit.

    ``batch_size=B`` makes a batched level: tangents have a leading axis of
    size ``B`` (``B`` directional derivatives pushed at once).

    >>> import dualad as da
    >>> with dual_level(batch_size=2):
    ...     x = make_dual(da.tensor([1.0, 2.0]), da.tensor([[1.0, 0.0], [0.0, 1.0]]))
    ...     unpack_dual(x * x).tangent
    tensor([[2., 0.],
            [0., 4.]])
    """

    def __init__(self, *, batch_size: int | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, int)
                                       or isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"dual_level: batch_size must be a positive int or None, got "
                             f"{batch_size!r}")
        self.batch_size = batch_size
        self.level: int | None = None  # while entered

    def __enter__(self) -> int:
        if self.level is not None:
            raise RuntimeError("dual_level: this dual_level is already entered; open a new "
                               "level with a new 'with dual_level():'")
        self.level = next(level_ids)
        state.levels.append(self.level)
        if self.batch_size is not None:
            state.level_batch[self.level] = self.batch_size
        return self.level

    def __exit__(self, *exc: Any) -> None:
        level = self.level
        if level is None or level not in state.levels:
            what = "was never entered or was already exited" if level is None else \
                "is not active in this thread"
            raise RuntimeError(f"dual_level: exiting a dual level that {what}; enter and exit "
                               "each level once, with 'with dual_level():'")
        self.level = None
        state.levels.remove(level)
        state.level_batch.pop(level, None)


def _current_level(level: int | None, what: str) -> int:
    if not state.levels:
        raise RuntimeError(f"{what} needs an active dual level: use it inside "
                           "'with dualad.forward_ad.dual_level():'")
    if level is None:
        return state.levels[-1]
    if level not in state.levels:
        raise RuntimeError(f"{what}: dual level {level} is not active (the active levels are "
                           f"{list(state.levels)})")
    return level


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Tensor:
    """A tensor with primal ``tensor`` and ``tangent`` at the (innermost) dual level.

    The tangent must have the primal's shape (``(B,) + shape`` at a level
    opened with ``batch_size=B``); it is cast to the primal's dtype.
    """
    lv = _current_level(level, "make_dual")
    primal = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
    tan = tangent if isinstance(tangent, Tensor) else Tensor(tangent)
    if primal.dtype.kind not in "fc":
        raise ValueError(f"make_dual: the primal must be floating point, got {primal.dtype}; "
                         "convert it first, e.g. x.double()")
    batch = state.level_batch.get(lv)
    want = tuple(primal.shape) if batch is None else (batch,) + tuple(primal.shape)
    if tuple(tan.shape) != want:
        extra = "" if batch is None else f" (a batch of {batch} tangents at this level)"
        raise ValueError(f"make_dual: the tangent has shape {tuple(tan.shape)} but the primal "
                         f"has shape {tuple(primal.shape)}; the tangent must have shape "
                         f"{want}{extra}")
    if tan.dtype != primal.dtype:
        tan = _wrap(tan._data.astype(primal.dtype)) if not tan.requires_grad_flag \
            else tan.to(primal.dtype)
    tangents = dict(primal._tangents) if primal._tangents else {}
    tangents[lv] = tan
    return alias(primal, tangents)


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at the level; ``tangent`` is None if it has none."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual expects a Tensor, got {type(tensor).__name__}")
    if not state.levels:
        return UnpackedDualTensor(tensor, None)
    lv = _current_level(level, "unpack_dual")
    tangents = tensor._tangents or {}
    if lv not in tangents:
        return UnpackedDualTensor(tensor, None)
    rest = {k: v for k, v in tangents.items() if k != lv}
    return UnpackedDualTensor(alias(tensor, rest), tangents[lv])


def batch_size(level: int | None = None) -> int | None:
    """The batch size of a dual level (None for an ordinary level)."""
    return state.level_batch.get(_current_level(level, "batch_size"))
