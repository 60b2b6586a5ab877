"""Forward mode: dual numbers. Each tensor may carry one tangent per active dual level.

Levels nest; an op on values from two levels treats the outer one as a
constant of the inner one, so nested forward mode has no perturbation
confusion. Tangents are Tensors, so they can carry a reverse graph or an
outer level's tangent (forward-over-reverse and reverse-over-forward).

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
    """Context manager: a new (nested) dual level; its tangents vanish on exit."""

    def __enter__(self) -> int:
        self.level = next(level_ids)
        state.levels.append(self.level)
        return self.level

    def __exit__(self, *exc: Any) -> None:
        state.levels.remove(self.level)


def _current_level(level: int | None) -> int:
    if not state.levels:
        raise RuntimeError("make_dual/unpack_dual need an active dual level: use them inside "
                           "'with dualad.forward_ad.dual_level():'")
    if level is None:
        return state.levels[-1]
    if level not in state.levels:
        raise RuntimeError(f"dual level {level} is not active")
    return level


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Tensor:
    """A tensor with primal ``tensor`` and ``tangent`` at the (innermost) dual level."""
    lv = _current_level(level)
    primal = tensor if isinstance(tensor, Tensor) else Tensor(tensor)
    tan = tangent if isinstance(tangent, Tensor) else Tensor(tangent)
    if tan.shape != primal.shape:
        raise ValueError(f"make_dual: the tangent has shape {tuple(tan.shape)} but the primal "
                         f"has shape {tuple(primal.shape)}; they must match")
    if primal.dtype.kind not in "fc":
        raise ValueError(f"make_dual: the primal must be floating point, got {primal.dtype}")
    if tan.dtype != primal.dtype:
        tan = _wrap(tan._data.astype(primal.dtype)) if not tan.requires_grad_flag \
            else tan.to(primal.dtype)
    tangents = dict(primal._tangents) if primal._tangents else {}
    tangents[lv] = tan
    return alias(primal, tangents)


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at the level; ``tangent`` is None if it has none."""
    if not state.levels:
        return UnpackedDualTensor(tensor, None)
    lv = _current_level(level)
    tangents = tensor._tangents or {}
    if lv not in tangents:
        return UnpackedDualTensor(tensor, None)
    rest = {k: v for k, v in tangents.items() if k != lv}
    return UnpackedDualTensor(alias(tensor, rest), tangents[lv])
