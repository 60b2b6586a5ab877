"""``dualad.scipy.signal``: n-d convolution and correlation (SciPy's ``convolve``,
``correlate``, ``fftconvolve``, ``convolve2d``, ``correlate2d``), differentiable in both
inputs, in both modes and to any order. No SciPy needed.

The direct method sums shifted copies of the larger input, one per element of the smaller
one; the FFT method multiplies real FFTs (dualad's ``rfftn``/``irfftn``). Modes ``'full'``,
``'same'`` (the size of ``in1``, centred as SciPy) and ``'valid'``.

>>> import dualad as da
>>> from dualad.scipy.signal import convolve
>>> convolve(da.tensor([1.0, 2.0, 3.0]), da.tensor([0.0, 1.0, 0.5])).numpy().tolist()
[0.0, 1.0, 2.5, 4.0, 1.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as _ops
from ..ops import fft as _fft
from ..tensor import Tensor

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d", "fftconvolve"]

_MODES = ("full", "same", "valid")
_DIRECT_LIMIT = 512  # elements of the smaller input up to which 'auto' sums shifted copies


def _t(x: Any) -> Tensor:
    if not isinstance(x, Tensor) and np.iscomplexobj(x):
        raise TypeError("dualad.scipy.signal: complex inputs are not supported")
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))


def _check(name: str, in1: Tensor, in2: Tensor, mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"dualad.scipy.signal.{name}: mode={mode!r}; use 'full', 'same' or "
                         "'valid'")
    if in1.ndim != in2.ndim:
        raise ValueError(f"dualad.scipy.signal.{name}: in1 and in2 must have the same number "
                         f"of dimensions, got {in1.ndim} and {in2.ndim}")
    if 0 in in1.shape or 0 in in2.shape:
        raise ValueError(f"dualad.scipy.signal.{name}: empty inputs are not supported")
    if in1.dtype.kind == "c" or in2.dtype.kind == "c":
        raise TypeError(f"dualad.scipy.signal.{name}: complex inputs are not supported")
    if mode == "valid":
        s1, s2 = np.array(in1.shape), np.array(in2.shape)
        if not (np.all(s1 >= s2) or np.all(s2 >= s1)):
            raise ValueError(f"dualad.scipy.signal.{name}: for 'valid' mode, one input must be "
                             "at least as large as the other in every dimension")


def _crop(full: Tensor, s1: tuple, s2: tuple, mode: str) -> Tensor:
    """The ``'same'`` or ``'valid'`` part of a full convolution of shapes ``s1`` and ``s2``."""
    if mode == "full":
        return full
    if mode == "same":
        target = s1
    else:
        target = tuple(max(a, b) - min(a, b) + 1 for a, b in zip(s1, s2, strict=True))
    index = tuple(slice((f - t) // 2, (f - t) // 2 + t)
                  for f, t in zip(full.shape, target, strict=True))
    return full[index]


def _direct_full(in1: Tensor, in2: Tensor) -> Tensor:
    """The full convolution as a sum of shifted copies of the larger input."""
    big, small = (in1, in2) if in1.numel() >= in2.numel() else (in2, in1)
    out_shape = tuple(a + b - 1 for a, b in zip(big.shape, small.shape, strict=True))
    out: Tensor | None = None
    for k in np.ndindex(*small.shape):
        width = tuple((ki, o - ki - b) for ki, o, b in zip(k, out_shape, big.shape, strict=True))
        term = small[k] * _ops.pad(big, width)
        out = term if out is None else out + term
    assert out is not None
    return out


def _fft_full(in1: Tensor, in2: Tensor) -> Tensor:
    shape = tuple(a + b - 1 for a, b in zip(in1.shape, in2.shape, strict=True))
    axes = tuple(range(in1.ndim))
    prod = _fft.rfftn(in1, s=shape, axes=axes) * _fft.rfftn(in2, s=shape, axes=axes)
    return _fft.irfftn(prod, s=shape, axes=axes)


def fftconvolve(in1: Any, in2: Any, mode: str = "full", axes: Any = None) -> Tensor:
    """The convolution of n-d ``in1`` and ``in2`` by FFTs (SciPy's ``fftconvolve``).

    >>> import dualad as da
    >>> from dualad.scipy.signal import fftconvolve
    >>> out = fftconvolve(da.tensor([1.0, 2.0, 3.0]), da.tensor([1.0, 1.0]), mode="valid")
    >>> out.numpy().round(12).tolist()
    [3.0, 5.0]
    """
    if axes is not None:
        raise TypeError("dualad.scipy.signal.fftconvolve: axes is not supported (every axis "
                        "is convolved)")
    in1, in2 = _t(in1), _t(in2)
    _check("fftconvolve", in1, in2, mode)
    if in1.ndim == 0:
        return in1 * in2
    return _crop(_fft_full(in1, in2), in1.shape, in2.shape, mode)


def convolve(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Tensor:
    """The n-d convolution of ``in1`` and ``in2`` (SciPy's ``convolve``); ``method``
    ``'direct'``, ``'fft'`` or ``'auto'`` (direct when the smaller input has at most 512
    elements).

    >>> import dualad as da
    >>> from dualad.scipy.signal import convolve
    >>> convolve(da.tensor([1.0, 2.0, 3.0]), da.tensor([1.0, 1.0]), mode="same").numpy().tolist()
    [1.0, 3.0, 5.0]
    """
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"dualad.scipy.signal.convolve: method={method!r}; use 'auto', "
                         "'direct' or 'fft'")
    in1, in2 = _t(in1), _t(in2)
    _check("convolve", in1, in2, mode)
    if in1.ndim == 0:
        return in1 * in2
    if method == "fft" or (method == "auto" and min(in1.numel(), in2.numel()) > _DIRECT_LIMIT):
        full = _fft_full(in1, in2)
    else:
        full = _direct_full(in1, in2)
    return _crop(full, in1.shape, in2.shape, mode)


def _reverse(x: Tensor) -> Tensor:
    return _ops.flip(x, axis=tuple(range(x.ndim))) if x.ndim else x


def _valid_swap(s1: tuple, s2: tuple) -> bool:
    """SciPy's 'valid' correlation of a smaller ``in1`` with a larger ``in2`` correlates the
    other way round and reverses the result."""
    return all(a <= b for a, b in zip(s1, s2, strict=True)) and s1 != s2


def correlate(in1: Any, in2: Any, mode: str = "full", method: str = "auto") -> Tensor:
    """The n-d cross-correlation (SciPy's ``correlate``): ``z[k] = sum_l in1[l] in2[l - k +
    N - 1]`` for the full output.

    >>> import dualad as da
    >>> from dualad.scipy.signal import correlate
    >>> correlate(da.tensor([1.0, 2.0, 3.0]), da.tensor([0.0, 1.0])).numpy().tolist()
    [1.0, 2.0, 3.0, 0.0]
    """
    in1, in2 = _t(in1), _t(in2)
    _check("correlate", in1, in2, mode)
    if mode == "valid" and _valid_swap(in1.shape, in2.shape):
        return _reverse(convolve(in2, _reverse(in1), mode, method))
    return convolve(in1, _reverse(in2), mode, method)


def _check2d(name: str, in1: Tensor, in2: Tensor, boundary: str) -> None:
    if in1.ndim != 2 or in2.ndim != 2:
        raise ValueError(f"dualad.scipy.signal.{name}: in1 and in2 must be 2-d, got shapes "
                         f"{in1.shape} and {in2.shape}")
    if boundary != "fill":
        raise ValueError(f"dualad.scipy.signal.{name}: boundary={boundary!r} is not supported; "
                         "only 'fill' (pad with fillvalue)")


def convolve2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill",
               fillvalue: Any = 0) -> Tensor:
    """The 2-d convolution (SciPy's ``convolve2d``) with ``boundary='fill'``: ``in1`` is
    padded with ``fillvalue`` (differentiable too).

    >>> import dualad as da
    >>> from dualad.scipy.signal import convolve2d
    >>> out = convolve2d(da.tensor([[1.0, 2.0]]), da.tensor([[1.0], [1.0]]), fillvalue=1.0)
    >>> out.numpy().tolist()
    [[2.0, 3.0], [2.0, 3.0]]
    """
    in1, in2 = _t(in1), _t(in2)
    _check2d("convolve2d", in1, in2, boundary)
    # outside in1 the padded input is fillvalue: conv(in1 - c) + c * sum(in2)
    if mode != "valid" and (isinstance(fillvalue, Tensor) or fillvalue != 0):
        return convolve(in1 - fillvalue, in2, mode) + fillvalue * _ops.sum(in2)
    return convolve(in1, in2, mode)


def correlate2d(in1: Any, in2: Any, mode: str = "full", boundary: str = "fill",
                fillvalue: Any = 0) -> Tensor:
    """The 2-d cross-correlation (SciPy's ``correlate2d``) with ``boundary='fill'``; its
    ``'same'`` output is centred as SciPy's (which differs from ``correlate``'s for even
    kernel sizes).

    >>> import dualad as da
    >>> from dualad.scipy.signal import correlate2d
    >>> out = correlate2d(da.tensor([[1.0, 2.0, 3.0]]), da.tensor([[1.0, 0.0]]), mode="valid")
    >>> out.numpy().tolist()
    [[1.0, 2.0]]
    """
    in1, in2 = _t(in1), _t(in2)
    _check2d("correlate2d", in1, in2, boundary)
    if mode == "valid" and _valid_swap(in1.shape, in2.shape):
        return _reverse(convolve2d(in2, _reverse(in1), mode, boundary, fillvalue))
    if mode == "same":  # SciPy centres correlate2d's 'same' output at in2's shape // 2
        full = convolve2d(in1, _reverse(in2), "full", boundary, fillvalue)
        return full[tuple(slice(k // 2, k // 2 + n) for k, n in zip(in2.shape, in1.shape,
                                                                    strict=True))]
    return convolve2d(in1, _reverse(in2), mode, boundary, fillvalue)
