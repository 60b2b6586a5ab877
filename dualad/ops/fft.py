"""Discrete Fourier transforms: NumPy's ``np.fft`` on Tensors, differentiable in both modes.

Two registry ops carry everything: ``fft_c2c`` (the complex transform along some axes,
forward or inverse, with NumPy's ``norm``) and ``fft_resize`` (cropping or zero-padding
along axes: NumPy's ``n``/``s``). Both are linear; with PyTorch's convention for
complex numbers (docs/complex-numbers.md) the vjp of a linear map ``A`` is ``A^H g``:
for the transform, ``conj(T(conj(g)))`` (the DFT matrix is symmetric), with the same
``norm``; for a crop, zero-padding, and the reverse. The real transforms are
composites of these, which gives their adjoints (the Hermitian weighting of the
``rfft``/``irfft`` adjoints included) without a rule of their own:

- ``rfftn`` is the complex transform of the real input with the last axis cropped to
  ``n // 2 + 1``;
- ``irfftn`` is the inverse complex transform along all but the last axis, then along
  the last one of the Hermitian extension ``X[k] = conj(X[n - k])``, real part taken
  (the imaginary parts of the zero and Nyquist frequencies are ignored, as by NumPy);
- ``hfft(a) = irfft(conj(a))`` and ``ihfft(a) = conj(rfft(a))`` with ``norm`` swapped
  ("backward" for "forward"), as NumPy defines them.

>>> import numpy as np
>>> import dualad as da
>>> x = da.tensor([1.0, 2.0, 0.5, -1.0], requires_grad=True)
>>> (da.abs(da.fft.rfft(x)) ** 2).sum().backward()
>>> np.round(x.grad.numpy(), 6)
array([ 7., 10.,  5., -2.])
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._sympy import sp
from ..registry import LINEAR, Domain, Hints, Op, apply, register_op
from ..tensor import Tensor, _wrap, ndim_of, shape_of
from .complexmath import conj, real
from .numpy_shape import roll
from .shape import concatenate, flip

_NORMS = ("backward", "ortho", "forward")


# ------------------------------------------------------------------- the two ops

def _c2c_forward(x: Any, axes: tuple, norm: str, inverse: bool) -> np.ndarray:
    transform: Any = np.fft.ifftn if inverse else np.fft.fftn
    return transform(x, axes=axes, norm=norm)


def _c2c_vjp(g: Any, out: Any, x: Any, axes: tuple, norm: str, inverse: bool) -> Tensor:
    # A^H g for A = c * F (F the symmetric DFT matrix): conj(A conj(g))
    return conj(apply(_C2C, conj(g), axes=axes, norm=norm, inverse=inverse))


def _scale(norm: str, n: int, inverse: bool) -> Any:
    """The factor NumPy's ``norm`` puts on the sum ``sum_j x_j w^{jk}``."""
    if norm == "ortho":
        return 1 / sp.sqrt(n)
    return sp.Integer(1) / n if (norm == "backward") == inverse else sp.Integer(1)


def _sym_c2c(x: Any, axes: tuple, norm: str, inverse: bool) -> np.ndarray:
    """The transform as exact sums (SymPy): one axis at a time."""
    out = np.asarray(x, dtype=object)
    for ax in axes:
        n = out.shape[ax]
        sign = 1 if inverse else -1
        w = np.empty((n, n), dtype=object)
        for j in range(n):
            for k in range(n):
                w[j, k] = sp.exp(sign * 2 * sp.pi * sp.I * ((j * k) % n) / n)
        moved = np.moveaxis(out, ax, -1)
        summed = np.empty(moved.shape, dtype=object)
        for idx in np.ndindex(moved.shape[:-1]):
            row = moved[idx]
            summed[idx] = [_scale(norm, n, inverse) * sp.Add(*[row[j] * w[j, k] for j in range(n)])
                           for k in range(n)]
        out = np.moveaxis(summed, -1, ax)
    return out


_C2C = register_op(Op(
    name="fft_c2c", forward=_c2c_forward, vjp=(_c2c_vjp,), jvp=(LINEAR,), sympy=_sym_c2c,
    domain=Domain(ranges=(((-2.0, 2.0),),), shapes=[
        (((5,),), {"axes": (0,), "norm": "backward", "inverse": False}),
        (((4,),), {"axes": (0,), "norm": "ortho", "inverse": True}),
        (((2, 3),), {"axes": (0, 1), "norm": "forward", "inverse": False}),
        (((3, 4),), {"axes": (1,), "norm": "backward", "inverse": True})]),
    node_name="FftC2CBackward0", accepts_complex=True, hints=Hints(saves=()),
    doc="The complex DFT along ``axes`` (inverse: NumPy's ifftn), with NumPy's ``norm``."))


def _resize_forward(x: Any, axes: tuple, sizes: tuple) -> np.ndarray:
    """``x`` cropped or zero-padded at the end along ``axes`` to ``sizes`` (NumPy's ``n``)."""
    x = np.asarray(x)
    crop = [slice(None)] * x.ndim
    pad = [(0, 0)] * x.ndim
    for ax, n in zip(axes, sizes):
        have = x.shape[ax]
        if n < have:
            crop[ax] = slice(0, n)
        elif n > have:
            pad[ax] = (0, n - have)
    out = x[tuple(crop)]
    return np.pad(out, pad) if any(p != (0, 0) for p in pad) else np.array(out, copy=True)


def _resize_vjp(g: Any, out: Any, x: Any, axes: tuple, sizes: tuple) -> Tensor:
    shape = shape_of(x)
    return apply(_RESIZE, g, axes=axes, sizes=tuple(shape[a] for a in axes))


def _sym_resize(x: Any, axes: tuple, sizes: tuple) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    out = _resize_forward(np.zeros(x.shape), axes, sizes).astype(object)
    out[...] = sp.Integer(0)
    region = tuple(slice(0, min(x.shape[a], sizes[axes.index(a)])) if a in axes
                   else slice(None) for a in range(x.ndim))
    out[region] = x[region]
    return out


_RESIZE = register_op(Op(
    name="fft_resize", forward=_resize_forward, vjp=(_resize_vjp,), jvp=(LINEAR,),
    sympy=_sym_resize,
    domain=Domain(ranges=(((-2.0, 2.0),),), shapes=[
        (((5,),), {"axes": (0,), "sizes": (3,)}),
        (((3,),), {"axes": (0,), "sizes": (6,)}),
        (((2, 3),), {"axes": (0, 1), "sizes": (4, 2)})]),
    node_name="FftResizeBackward0", accepts_complex=True, hints=Hints(saves=()),
    doc="Crop or zero-pad at the end along ``axes`` to ``sizes`` (NumPy's ``n`` and ``s``)."))


# ------------------------------------------------------------------- arguments

def _norm(name: str, norm: Any) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(f"fft.{name}: norm={norm!r} is not one of None, 'backward', 'ortho', "
                         "'forward'")
    return str(norm)


def _swap(norm: str) -> str:
    return {"backward": "forward", "forward": "backward"}.get(norm, norm)


def _count(name: str, n: Any, what: str = "n") -> int:
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"fft.{name}: {what} must be an int, got {n!r} (n of the 1-d "
                        "transforms is s of the n-d ones)") from None
    if n < 1:
        raise ValueError(f"fft.{name}: invalid number of data points ({n}) specified; "
                         f"{what} must be at least 1")
    return n


def _axes_sizes(name: str, a: Any, s: Any, axes: Any) -> tuple[tuple, list]:
    """NumPy's ``s``/``axes`` of an n-d transform: the axes (normalized) and the sizes
    (``s``, with -1 or None for an axis's own length; by default the input's lengths)."""
    ndim, shape = ndim_of(a), shape_of(a)
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    axes = tuple(int(ax) for ax in axes)
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise np.exceptions.AxisError(f"fft.{name}: axis {ax} is out of bounds for a "
                                          f"tensor of dimension {ndim}")
    axes = tuple(ax % ndim for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"fft.{name}: repeated axes {axes} are not supported")
    if s is None:
        return axes, [shape[ax] for ax in axes]
    s = tuple(s) if isinstance(s, (tuple, list)) else (s,)
    if len(s) != len(axes):
        raise ValueError(f"fft.{name}: s={s} and axes={axes} must have the same length")
    sizes = [shape[ax] if n is None or n == -1 else _count(name, n, "s") for ax, n in
             zip(axes, s)]
    return axes, sizes


def _resize(x: Any, axes: Sequence[int], sizes: Sequence[int]) -> Any:
    shape = shape_of(x)
    pairs = [(a, n) for a, n in zip(axes, sizes) if shape[a] != n]
    if not pairs:
        return x
    return apply(_RESIZE, x, axes=tuple(a for a, _ in pairs), sizes=tuple(n for _, n in pairs))


def _real_input(name: str, a: Any) -> None:
    data = a._data if isinstance(a, Tensor) else np.asarray(a)
    if data.dtype.kind == "c":
        raise TypeError(f"fft.{name}: the input is complex ({data.dtype}) but {name} takes a "
                        "real input; use fft.fft/fftn for complex inputs, or da.real(x)")


def _empty_check(name: str, a: Any, axes: tuple) -> None:
    shape = shape_of(a)
    for ax in axes:
        if shape[ax] < 1:
            raise ValueError(f"fft.{name}: invalid number of data points (0) along axis {ax}")


# --------------------------------------------------------------- the transforms

def _as_tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else _wrap(np.asarray(a))


def _c2c(name: str, a: Any, s: Any, axes: Any, norm: Any, inverse: bool) -> Tensor:
    a = _as_tensor(a)
    axes, sizes = _axes_sizes(name, a, s, axes)
    norm = _norm(name, norm)
    _empty_check(name, a, axes)
    return apply(_C2C, _resize(a, axes, sizes), axes=axes, norm=norm, inverse=inverse)


def fft(a: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.fft``: the DFT along ``axis`` (``n`` crops or zero-pads).

    >>> import dualad as da
    >>> da.fft.fft(da.tensor([1.0, 0.0, -1.0, 0.0])).numpy().real.tolist()
    [0.0, 2.0, 0.0, 2.0]
    """
    return _c2c("fft", a, None if n is None else (n,), (axis,), norm, False)


def ifft(a: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.ifft``: the inverse DFT along ``axis``."""
    return _c2c("ifft", a, None if n is None else (n,), (axis,), norm, True)


def fftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.fftn``: the DFT along ``axes`` (all by default), sizes ``s``."""
    return _c2c("fftn", a, s, axes, norm, False)


def ifftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.ifftn``."""
    return _c2c("ifftn", a, s, axes, norm, True)


def fft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.fft2``: :func:`fftn` over the last two axes."""
    return _c2c("fft2", a, s, axes, norm, False)


def ifft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.ifft2``."""
    return _c2c("ifft2", a, s, axes, norm, True)


def _rfftn(name: str, a: Any, s: Any, axes: Any, norm: Any) -> Tensor:
    _real_input(name, a)
    a = _as_tensor(a)
    axes, sizes = _axes_sizes(name, a, s, axes)
    norm = _norm(name, norm)
    _empty_check(name, a, axes)
    full = apply(_C2C, _resize(a, axes, sizes), axes=axes, norm=norm, inverse=False)
    return _resize(full, (axes[-1],), (sizes[-1] // 2 + 1,))


def rfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.rfft``: the DFT of a real input, frequencies ``0..n//2``.

    >>> import dualad as da
    >>> da.fft.rfft(da.tensor([1.0, 2.0, 3.0])).numpy().round(6).tolist()
    [(6+0j), (-1.5+0.866025j)]
    """
    return _rfftn("rfft", a, None if n is None else (n,), (axis,), norm)


def rfftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.rfftn``: the last axis halved as by :func:`rfft`."""
    return _rfftn("rfftn", a, s, axes, norm)


def _hermitian(x: Any, axis: int, n: int) -> Any:
    """The full spectrum of length ``n`` along ``axis`` from its first ``n // 2 + 1``
    entries: ``X[k] = conj(X[n - k])`` for the rest."""
    m = n // 2 + 1
    rest = n - m
    if rest == 0:
        return x
    index = [slice(None)] * ndim_of(x)
    index[axis] = slice(1, rest + 1)
    tail = conj(flip(x[tuple(index)], axis=axis))
    return concatenate([x, tail], axis=axis)


def _irfftn(name: str, a: Any, s: Any, axes: Any, norm: Any) -> Tensor:
    a = _as_tensor(a)
    axes, sizes = _axes_sizes(name, a, s, axes)
    norm = _norm(name, norm)
    _empty_check(name, a, axes)
    if s is None:
        sizes[-1] = 2 * (shape_of(a)[axes[-1]] - 1)
    if sizes[-1] < 1:
        raise ValueError(f"fft.{name}: invalid number of data points ({sizes[-1]}) "
                         "specified for the output; give n (or s) >= 1")
    last, n = axes[-1], sizes[-1]
    x = _resize(a, axes, sizes[:-1] + [n // 2 + 1])
    if len(axes) > 1:
        x = apply(_C2C, x, axes=axes[:-1], norm=norm, inverse=True)
    return real(apply(_C2C, _hermitian(x, last, n), axes=(last,), norm=norm, inverse=True))


def irfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.irfft``: the real signal of length ``n`` (default ``2 (m - 1)``)
    whose :func:`rfft` is ``a``."""
    return _irfftn("irfft", a, None if n is None else (n,), (axis,), norm)


def irfftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.irfftn``."""
    return _irfftn("irfftn", a, s, axes, norm)


def hfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.hfft``: the real spectrum of a Hermitian-symmetric signal given by
    its first half (``irfft(conj(a))`` with ``norm`` swapped)."""
    norm = _norm("hfft", norm)
    return _irfftn("hfft", conj(a), None if n is None else (n,), (axis,), _swap(norm))


def ihfft(a: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Tensor:
    """NumPy's ``np.fft.ihfft``: the inverse of :func:`hfft` (``conj(rfft(a))`` with
    ``norm`` swapped), for a real input."""
    norm = _norm("ihfft", norm)
    return conj(_rfftn("ihfft", a, None if n is None else (n,), (axis,), _swap(norm)))


def _shift(name: str, x: Any, axes: Any, sign: int) -> Tensor:
    x = _as_tensor(x)
    shape = shape_of(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    axes = tuple(axes)
    if not axes:
        return roll(x, 0, 0) if shape else x
    return roll(x, tuple(sign * (shape[ax] // 2) for ax in axes), axes)


def fftshift(x: Any, axes: Any = None) -> Tensor:
    """NumPy's ``np.fft.fftshift``: the zero frequency moved to the centre.

    >>> import dualad as da
    >>> da.fft.fftshift(da.tensor([0.0, 1.0, 2.0, -2.0, -1.0])).tolist()
    [-2.0, -1.0, 0.0, 1.0, 2.0]
    """
    return _shift("fftshift", x, axes, 1)


def ifftshift(x: Any, axes: Any = None) -> Tensor:
    """NumPy's ``np.fft.ifftshift``: the inverse of :func:`fftshift`."""
    return _shift("ifftshift", x, axes, -1)


# np.fft.<name>(tensor) dispatches here (ops/interop.py)
FUNCTIONS = {
    np.fft.fft: fft, np.fft.ifft: ifft, np.fft.fftn: fftn, np.fft.ifftn: ifftn,
    np.fft.fft2: fft2, np.fft.ifft2: ifft2, np.fft.rfft: rfft, np.fft.irfft: irfft,
    np.fft.rfftn: rfftn, np.fft.irfftn: irfftn, np.fft.hfft: hfft, np.fft.ihfft: ihfft,
    np.fft.fftshift: fftshift, np.fft.ifftshift: ifftshift,
}

__all__ = ["fft", "fft2", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn", "ifftshift",
           "ihfft", "irfft", "irfftn", "rfft", "rfftn"]
