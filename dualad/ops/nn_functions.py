"""Loss and layer functions of ``dualad.nn.functional``, with PyTorch's signatures.

``linear``, ``mse_loss`` and ``cross_entropy`` are built from registered ops
(they need no rules of their own); ``binary_cross_entropy`` is one registered
op so that it clamps its logarithms at -100 and keeps PyTorch's finite
gradient where a probability is exactly 0 or 1.

>>> import dualad as da
>>> from dualad.ops.nn_functions import cross_entropy
>>> logits = da.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
>>> loss = cross_entropy(logits, da.tensor([0]))
>>> round(loss.item(), 6)   # log(1 + 2 exp(-2))
0.239545
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sympy import sp
from ..batched_tensor import BatchedTensor
from ..registry import Domain, Kink, Op, apply, register_op
from ..tensor import Tensor, shape_of
from ._define import kink_adjust, scale
from .elementwise import log, maximum, relu, sigmoid, tanh, where
from .linalg import matmul
from .math import log1p
from .reductions import log_softmax, mean, softmax
from .reductions import sum as _sum
from .shape import getitem, permute, reshape, transpose
from .vmap_rules import any_true

_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch clamps the logarithms of binary_cross_entropy here
_EPS = 1e-12


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return _sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction={reduction!r} is not one of {_REDUCTIONS}")


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``; ``weight`` has shape ``(out_features, in_features)``."""
    out = matmul(input, transpose(weight, -1, -2) if len(shape_of(weight)) > 1 else weight)
    return out if bias is None else out + bias


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean (or summed, or unreduced) squared error ``(input - target) ** 2``."""
    if shape_of(input) != shape_of(target):
        raise ValueError(f"mse_loss: input shape {shape_of(input)} and target shape "
                         f"{shape_of(target)} differ; PyTorch would broadcast with a warning, "
                         "dualad asks for equal shapes")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def _class_last(x: Tensor) -> Tensor:
    """Logits ``(N, C, d1, ...)`` as ``(N*d1*..., C)``; ``(C,)`` as ``(1, C)``."""
    shape = shape_of(x)
    if len(shape) == 1:
        return reshape(x, (1, shape[0]))
    if len(shape) > 2:
        x = permute(x, (0,) + tuple(range(2, len(shape))) + (1,))
    return reshape(x, (-1, shape[1]))


def _data_of(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _check_smoothing(label_smoothing: float, name: str) -> None:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1] (the share of the target "
                         f"spread over all classes), got {label_smoothing!r}")


def _class_targets(name: str, target: np.ndarray, shape: tuple, ignore_index: int) -> tuple:
    """Check integer class targets against the input's ``shape``: flat classes and a keep mask.

    ``target`` must have the input's shape without the class axis (axis 1, or
    0 for a single sample) and hold classes in ``[0, C)`` or ``ignore_index``.
    """
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: class targets must be integers, got dtype {target.dtype}; "
                        "convert them (e.g. dualad.tensor(target, dtype='int64'))")
    if target.shape != expected:
        raise ValueError(f"{name}: target shape {target.shape} does not match input shape "
                         f"{shape}: class targets need shape {expected} (the input without "
                         "its class axis)")
    classes = target.reshape(-1).astype(np.int64)
    keep = classes != ignore_index
    bad = keep & ((classes < 0) | (classes >= n_classes))
    if bad.any():
        raise IndexError(f"{name}: target {classes[bad][0]} is out of range: class indices "
                         f"must lie in [0, {n_classes - 1}] or equal ignore_index "
                         f"({ignore_index})")
    return classes, keep


def _nll(logp: Tensor, classes: np.ndarray, keep: np.ndarray, weight: np.ndarray | None,
         out_shape: tuple, reduction: str, label_smoothing: float = 0.0) -> Tensor:
    """Negative log-likelihood of rows of log-probabilities ``logp`` ``(M, C)`` at ``classes``.

    Ignored rows (``keep`` False) contribute 0; ``reduction='mean'`` divides by
    the summed class weights of the kept rows, as PyTorch does (nan if none is
    kept). ``label_smoothing`` mixes in the weighted mean over all classes.
    """
    n_classes = logp.shape[-1]
    safe = np.where(keep, classes, 0)
    picked = getitem(logp, (np.arange(classes.size), safe))
    cw = np.ones(classes.size) if weight is None else weight[safe]
    cw = np.where(keep, cw, 0.0).astype(logp.dtype)
    nll = -picked * cw
    if label_smoothing:
        wl = np.ones(n_classes, dtype=logp.dtype) if weight is None else weight
        smooth = -_sum(logp * wl, dim=-1) / n_classes * keep
        nll = nll * (1.0 - label_smoothing) + smooth * label_smoothing
    if reduction == "mean":  # every target ignored: 0 / 0, nan as in PyTorch
        return _sum(nll) / np.sum(cw)
    return _reduce(reshape(nll, out_shape), reduction, "nll")


def _batched_nll(name: str, logp: Tensor, target: BatchedTensor, shape: tuple,
                 weight: np.ndarray | None, ignore_index: int, reduction: str,
                 label_smoothing: float = 0.0) -> Tensor:
    """:func:`_nll` inside vmap, for class targets that differ between examples: the
    picked log-probabilities through a one-hot mask (the same sum, one term nonzero)."""
    n_classes = logp.shape[-1]
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: class targets must be integers, got dtype {target.dtype}")
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: target shape {tuple(target.shape)} does not match input "
                         f"shape {shape}: class targets need shape {expected}")
    classes = reshape(target, (-1,))
    keep = classes != ignore_index
    if any_true(keep & ((classes < 0) | (classes >= n_classes))):
        raise IndexError(f"{name}: a target is out of range: class indices must lie in "
                         f"[0, {n_classes - 1}] or equal ignore_index ({ignore_index})")
    # (an ignored target picks class 0 with weight 0, as _nll does: the same nan when all are)
    onehot = reshape(where(keep, classes, 0), (-1, 1)) == np.arange(n_classes)
    picked = _sum(where(onehot, logp, 0.0), dim=-1)
    cw = where(keep, 1.0 if weight is None else _sum(where(onehot, weight, 0.0), dim=-1), 0.0)
    nll = -picked * cw
    if label_smoothing:
        wl = np.ones(n_classes, dtype=logp.dtype) if weight is None else weight
        smooth = where(keep, -_sum(logp * wl, dim=-1) / n_classes, 0.0)
        nll = nll * (1.0 - label_smoothing) + smooth * label_smoothing
    if reduction == "mean":
        return _sum(nll) / _sum(cw)
    return _reduce(reshape(nll, expected), reduction, name)


def _class_weights(weight: Any, n_classes: int, dtype: Any, name: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = np.asarray(_data_of(weight), dtype=dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: weight needs one entry per class, shape ({n_classes},); "
                         f"got shape {w.shape}")
    return w


def _class_input(name: str, input: Any) -> tuple:  # noqa: A002
    shape = shape_of(input)
    if not shape:
        raise ValueError(f"{name}: input needs a class axis (shape (C,) or (N, C, ...))")
    return shape, (shape[0] if len(shape) == 1 else shape[1])


def cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` (class axis 1, or 0 for a single sample).

    ``target`` holds class indices (an integer tensor, shape ``input`` without
    the class axis; ``ignore_index`` marks entries to skip) or class
    probabilities (a float tensor shaped like ``input``). ``weight`` rescales
    each class; with ``reduction='mean'`` the result is divided by the summed
    weights of the non-ignored targets, as in PyTorch. ``label_smoothing`` in
    ``[0, 1]`` mixes the target with the uniform distribution.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction={reduction!r} is not one of {_REDUCTIONS}")
    _check_smoothing(label_smoothing, "cross_entropy")
    shape, n_classes = _class_input("cross_entropy", input)
    logp = _class_last(input if isinstance(input, Tensor) else Tensor(input))
    logp = log_softmax(logp, dim=-1)
    w = _class_weights(weight, n_classes, logp.dtype, "cross_entropy")
    if isinstance(target, BatchedTensor) and target.dtype.kind in "iu":
        return _batched_nll("cross_entropy", logp, target, shape, w, ignore_index,
                            reduction, label_smoothing)
    tdata = _data_of(target)
    if tdata.dtype.kind == "f":
        if tdata.shape != shape:
            raise ValueError(f"cross_entropy: a floating target holds class probabilities and "
                             f"needs the input's shape {shape}, got shape {tdata.shape}; for "
                             "class indices pass an integer tensor (e.g. "
                             "dualad.tensor(target, dtype='int64'))")
        probs = _class_last(target if isinstance(target, Tensor) else Tensor(tdata))
        if label_smoothing:
            probs = probs * (1.0 - label_smoothing) + label_smoothing / n_classes
        terms = -(logp * probs) if w is None else -(logp * probs * w)
        loss = _sum(terms, dim=-1)
        out_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
        loss = reshape(loss, out_shape)
        return _reduce(loss, reduction, "cross_entropy")
    classes, keep = _class_targets("cross_entropy", tdata, shape, ignore_index)
    return _nll(logp, classes, keep, w, tdata.shape, reduction, label_smoothing)


def nll_loss(input: Any, target: Any, weight: Any = None,  # noqa: A002
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at integer class ``target``.

    Shapes, ``weight``, ``ignore_index`` (default -100, as in PyTorch) and the
    weighted mean over the non-ignored targets are those of
    :func:`cross_entropy`, which is ``nll_loss(log_softmax(input, 1), target)``.

    >>> import dualad as da
    >>> logp = da.log(da.tensor([[0.5, 0.5], [0.25, 0.75]]))
    >>> nll_loss(logp, da.tensor([1, -100])).item()  # -log 0.5: the second is ignored
    0.6931471805599453
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"nll_loss: reduction={reduction!r} is not one of {_REDUCTIONS}")
    shape, n_classes = _class_input("nll_loss", input)
    logp = _class_last(input if isinstance(input, Tensor) else Tensor(input))
    w = _class_weights(weight, n_classes, logp.dtype, "nll_loss")
    if isinstance(target, BatchedTensor):
        return _batched_nll("nll_loss", logp, target, shape, w, ignore_index, reduction)
    tdata = _data_of(target)
    classes, keep = _class_targets("nll_loss", tdata, shape, ignore_index)
    return _nll(logp, classes, keep, w, tdata.shape, reduction)


# --------------------------------------------------------- binary cross entropy
def _bce_forward(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.maximum(np.log(p), _LOG_FLOOR)
        l1p = np.maximum(np.log1p(-p), _LOG_FLOOR)
    return -(t * lp + (1.0 - t) * l1p)


def _bce_dp(g: Any, out: Any, p: Any, t: Any, mode: str = "backward") -> Tensor:
    d = (p - t) / maximum(p * (1.0 - p), _EPS)
    return scale(g, kink_adjust(_BCE, 0, d, (p, t), {}, mode))


def _bce_dt(g: Any, out: Any, p: Any, t: Any, mode: str = "backward") -> Tensor:
    d = maximum(log1p(-p), _LOG_FLOOR) - maximum(log(p), _LOG_FLOOR)
    return scale(g, kink_adjust(_BCE, 1, d, (p, t), {}, mode))


_BCE = register_op(Op(
    name="binary_cross_entropy", forward=_bce_forward, vjp=(_bce_dp, _bce_dt),
    jvp=(lambda g, out, p, t: _bce_dp(g, out, p, t, "jvp"),
         lambda g, out, p, t: _bce_dt(g, out, p, t, "jvp")),
    sympy=lambda p, t: -(t * sp.log(p) + (1 - t) * sp.log(1 - p)),
    domain=Domain(ranges=(((0.05, 0.95),), ((0.0, 1.0),))),
    kinks=(Kink("p == 0 (the clamped logarithm), target 0", ((0.0, 0.0),), (0.0, 100.0), 4,
                "log p is clamped at -100; the derivative (p - t) / max(p (1 - p), 1e-12) "
                "tends to 0 with a matching target (JAX has no clamped BCE: its column is the "
                "textbook formula in jax.numpy)", pytorch=(0.0, np.inf), jax=(np.nan, np.inf),
                at=lambda p, t: np.broadcast_to(p == 0, np.broadcast(p, t).shape)),
           Kink("p == 1 (the clamped logarithm), target 1", ((1.0, 1.0),), (0.0, -100.0), 4,
                "log(1 - p) is clamped at -100; the derivative in p tends to 0 with a "
                "matching target", pytorch=(0.0, -np.inf), jax=(np.nan, -np.inf),
                at=lambda p, t: np.broadcast_to(p == 1, np.broadcast(p, t).shape))),
    elementwise=True))


def _check_unit_interval(x: Any, what: str, hint: str) -> None:
    """PyTorch's check: every element of a probability (or its target) lies in [0, 1]."""
    data = _data_of(x)
    outside = ~((data >= 0) & (data <= 1))  # nan is outside too
    if np.any(outside):
        where_ = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(f"binary_cross_entropy: every element of {what} must lie in [0, 1]; "
                         f"found {data[where_].item()!r} at index {where_}{hint}")


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """``-(t log p + (1 - t) log(1 - p))`` for probabilities ``input``; logs clamped at -100."""
    if shape_of(input) != shape_of(target):
        raise ValueError(f"binary_cross_entropy: input shape {shape_of(input)} and target shape "
                         f"{shape_of(target)} must be equal")
    _check_unit_interval(input, "input", "; for logits use binary_cross_entropy_with_logits")
    _check_unit_interval(target, "target", "")
    loss = apply(_BCE, input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Any, target: Any,  # noqa: A002
                                     reduction: str = "mean") -> Tensor:
    """Binary cross entropy of ``sigmoid(input)``, computed stably from the logits."""
    from .math import softplus

    return _reduce(softplus(input) - input * target, reduction,
                   "binary_cross_entropy_with_logits")


__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss",
           "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "where"]
