"""NumPy interop: ``np.sin(t)`` and ``np.sum(t)`` on Tensors dispatch to dualad ops.

A NumPy function without a dualad op raises a clear error naming it, rather
than converting silently and dropping the gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops as F
from ..tensor import Tensor, _wrap, ndim_of
from . import fft as _fft
from . import linalg_decomp as LD
from . import linalg_eig as LE
from .vmap_rules import raw_elementwise

UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: F.add, np.subtract: F.sub, np.multiply: F.mul, np.true_divide: F.div,
    np.divide: F.div, np.power: F.pow, np.negative: F.neg, np.exp: F.exp, np.log: F.log,
    np.sin: F.sin, np.cos: F.cos, np.tanh: F.tanh, np.sqrt: F.sqrt, np.absolute: F.abs,
    np.sign: F.sign, np.maximum: F.maximum, np.minimum: F.minimum, np.matmul: F.matmul,
    np.tan: F.tan, np.sinh: F.sinh, np.cosh: F.cosh, np.arcsin: F.arcsin, np.arccos: F.arccos,
    np.arctan: F.arctan, np.arctan2: F.arctan2, np.expm1: F.expm1, np.log1p: F.log1p,
    np.log2: F.log2, np.log10: F.log10, np.square: F.square, np.reciprocal: F.reciprocal,
    np.floor: F.floor, np.ceil: F.ceil, np.rint: F.round, np.fabs: F.abs,
    np.positive: lambda x: x, np.arcsinh: F.arcsinh, np.arccosh: F.arccosh,
    np.arctanh: F.arctanh, np.exp2: F.exp2, np.logaddexp: F.logaddexp, np.hypot: F.hypot,
    # NumPy's further elementwise math (ops/npmath.py; np.mod is np.remainder)
    np.cbrt: F.cbrt, np.deg2rad: F.deg2rad, np.radians: F.deg2rad, np.rad2deg: F.rad2deg,
    np.degrees: F.rad2deg, np.copysign: F.copysign, np.fmax: F.fmax, np.fmin: F.fmin,
    np.heaviside: F.heaviside, np.remainder: F.remainder, np.fmod: F.fmod,
    np.floor_divide: F.floor_divide, np.float_power: F.float_power,
    np.logaddexp2: F.logaddexp2,
    np.divmod: lambda x, y: (F.floor_divide(x, y), F.remainder(x, y)),
    np.isnan: F.isnan, np.isfinite: F.isfinite, np.isinf: F.isinf, np.signbit: F.signbit,
    # comparisons carry no gradient: plain boolean tensors
    np.greater: lambda a, b: _compare(np.greater, a, b),
    np.greater_equal: lambda a, b: _compare(np.greater_equal, a, b),
    np.less: lambda a, b: _compare(np.less, a, b),
    np.less_equal: lambda a, b: _compare(np.less_equal, a, b),
    np.equal: lambda a, b: _compare(np.equal, a, b),
    np.not_equal: lambda a, b: _compare(np.not_equal, a, b),
    # complex numbers (ops/complexmath.py)
    np.conjugate: F.conj,
}


def _compare(ufunc: Any, a: Any, b: Any) -> Tensor:
    return raw_elementwise(ufunc, a, b)


def _np_var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
            keepdims: bool = False) -> Tensor:
    _no_out("var", dtype, out)
    return F.var(a, axis=axis, ddof=ddof, keepdims=keepdims)


def _np_std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
            keepdims: bool = False) -> Tensor:
    _no_out("std", dtype, out)
    return F.std(a, axis=axis, ddof=ddof, keepdims=keepdims)


def _no_out(name: str, dtype: Any = None, out: Any = None) -> None:
    if out is not None or dtype is not None:
        raise TypeError(f"numpy.{name} on a dualad Tensor does not support out= or dtype=")


def _np_extremum(reduce: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def fn(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Tensor:
        _no_out(reduce.__name__, None, out)
        return reduce(a, axis=axis, keepdims=keepdims)

    return fn




def _np_concatenate(arrays: Any, axis: Any = 0) -> Tensor:
    if axis is None:
        return F.concatenate([F.ravel(a) for a in arrays], axis=0)
    return F.concatenate(arrays, axis=axis)


def _np_trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    if (axis1, axis2) != (0, 1) or ndim_of(a) != 2:
        raise TypeError("numpy.trace on a dualad Tensor supports 2-d tensors with the default "
                        "axes only")
    return F.trace(a) if offset == 0 else F.sum(F.diag(a, offset))


def _np_outer(a: Any, b: Any) -> Tensor:
    return F.outer(F.ravel(a), F.ravel(b))


def _np_like(fill: Any) -> Callable[..., Tensor]:
    """``numpy.zeros_like`` and friends on a tensor: a new tensor with no gradient."""
    def fn(prototype: Any, dtype: Any = None, order: str = "K", subok: bool = True,
           shape: Any = None, **kw: Any) -> Tensor:
        raw = prototype._data if isinstance(prototype, Tensor) else np.asarray(prototype)
        return _wrap(np.asarray(fill(raw, dtype=dtype, order=order, shape=shape, **kw)))

    return fn


def _np_full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K",
                  subok: bool = True, shape: Any = None, **kw: Any) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value._data
    return _np_like(lambda raw, **p: np.full_like(raw, fill_value, **p))(a, dtype, order,
                                                                         subok, shape, **kw)


FUNCTIONS: dict = {
    np.sum: F.sum, np.mean: F.mean, np.where: F.where, np.matmul: F.matmul, np.dot: F.np_dot,
    np.reshape: F.reshape, np.transpose: lambda a, axes=None: F.T(a) if axes is None
    else F.permute(a, axes), np.clip: F.clip, np.broadcast_to: F.broadcast_to,
    np.swapaxes: F.swapaxes,
    np.prod: lambda a, axis=None, keepdims=False: F.prod(a, axis=axis, keepdims=keepdims),
    np.var: _np_var, np.std: _np_std,
    np.max: _np_extremum(F.amax), np.amax: _np_extremum(F.amax),
    np.min: _np_extremum(F.amin), np.amin: _np_extremum(F.amin),
    np.argmax: lambda a, axis=None, keepdims=False: F.argmax(a, axis=axis, keepdims=keepdims),
    np.argmin: lambda a, axis=None, keepdims=False: F.argmin(a, axis=axis, keepdims=keepdims),
    np.linalg.norm: LD.norm, np.linalg.det: F.det, np.linalg.inv: F.inv,
    np.linalg.solve: F.solve, np.trace: _np_trace, np.outer: _np_outer, np.inner: F.inner,
    np.diag: lambda v, k=0: F.diag(v, k), np.tril: lambda m, k=0: F.tril(m, k),
    np.triu: lambda m, k=0: F.triu(m, k),
    np.squeeze: lambda a, axis=None: F.squeeze(a, axis=axis), np.expand_dims: F.expand_dims,
    np.ravel: lambda a: F.ravel(a), np.concatenate: _np_concatenate,
    np.stack: lambda arrays, axis=0: F.stack(arrays, axis), np.split: F.np_split,
    np.cumsum: lambda a, axis=None: F.cumsum(a, axis=axis), np.flip: lambda m, axis=None:
    F.flip(m, axis=axis),
    np.round: F.round, np.around: F.round, np.einsum: F.einsum,
    # NumPy's stacking, splitting and reordering functions (ops/numpy_shape.py)
    np.vstack: F.vstack, np.hstack: F.hstack, np.dstack: F.dstack,
    np.column_stack: F.column_stack, np.array_split: F.array_split, np.hsplit: F.hsplit,
    np.vsplit: F.vsplit, np.dsplit: F.dsplit, np.append: F.append, np.atleast_1d: F.atleast_1d,
    np.atleast_2d: F.atleast_2d, np.atleast_3d: F.atleast_3d, np.repeat: F.repeat,
    np.tile: F.tile, np.roll: F.roll, np.fliplr: F.fliplr, np.flipud: F.flipud,
    np.rot90: F.rot90, np.moveaxis: F.moveaxis, np.rollaxis: F.rollaxis,
    np.diagonal: F.diagonal, np.diagflat: F.diagflat,
    # new tensors shaped like a tensor: no gradient
    np.zeros_like: _np_like(np.zeros_like), np.ones_like: _np_like(np.ones_like),
    np.empty_like: _np_like(np.zeros_like), np.full_like: _np_full_like,
    # NumPy's further elementwise math (ops/npmath.py)
    np.sinc: F.sinc, np.nan_to_num: F.nan_to_num, np.diff: F.diff, np.ediff1d: F.ediff1d,
    np.nansum: F.nansum, np.nanprod: F.nanprod, np.nanmean: F.nanmean, np.nanmax: F.nanmax,
    np.nanmin: F.nanmin, np.nanvar: F.nanvar, np.nanstd: F.nanstd, np.average: F.average,
    np.trapezoid: F.trapezoid, np.polyval: F.polyval, np.gradient: F.gradient,
    np.convolve: F.convolve, np.correlate: F.correlate,
    np.ptp: F.ptp, np.cumprod: lambda a, axis=None, dtype=None: F.cumprod(a, axis=axis,
                                                                        dtype=dtype),
    # NumPy's sorting, gathering, padding, products and statistics (ops/numpy_index.py,
    # ops/numpy_products.py, ops/numpy_stats.py)
    np.sort: F.np_sort, np.partition: F.partition, np.take: F.take,
    np.take_along_axis: F.take_along_axis, np.put_along_axis: F.put_along_axis,
    np.compress: F.compress, np.extract: F.extract, np.select: F.select,
    np.meshgrid: F.np_meshgrid, np.pad: F.pad, np.kron: F.kron, np.cross: F.cross,
    np.tensordot: F.tensordot, np.vdot: F.vdot, np.interp: F.interp, np.cov: F.cov,
    np.corrcoef: F.corrcoef, np.median: F.np_median, np.percentile: F.percentile,
    np.quantile: F.quantile, np.linspace: F.np_linspace,
    # integer and boolean results: no gradient (ops/numpy_query.py)
    np.argsort: F.np_argsort, np.searchsorted: F.np_searchsorted, np.nonzero: F.np_nonzero,
    np.flatnonzero: F.flatnonzero, np.argwhere: F.argwhere,
    np.count_nonzero: F.np_count_nonzero, np.allclose: F.allclose, np.isclose: F.isclose,
    np.array_equal: F.array_equal, np.array_equiv: F.array_equiv, np.unique: F.np_unique,
    np.isposinf: F.isposinf, np.isneginf: F.isneginf,
    # np.linalg's decompositions, norms and least squares (ops/linalg_decomp.py)
    np.linalg.slogdet: LD.slogdet, np.linalg.pinv: LD.pinv, np.linalg.lstsq: LD.lstsq,
    np.linalg.matrix_power: LD.matrix_power, np.linalg.cholesky: LD.cholesky,
    np.linalg.qr: LD.qr, np.linalg.eigh: LD.eigh, np.linalg.eigvalsh: LD.eigvalsh,
    np.linalg.svd: LD.svd, np.linalg.svdvals: LD.svdvals, np.linalg.cond: LD.cond,
    np.linalg.multi_dot: LD.multi_dot, np.linalg.matrix_rank: LD.matrix_rank,
    np.linalg.matrix_norm: LD.matrix_norm, np.linalg.vector_norm: LD.vector_norm,
    np.linalg.eig: LE.eig, np.linalg.eigvals: LE.eigvals, np.linalg.matmul: F.matmul,
    np.linalg.matrix_transpose: lambda x: F.swapaxes(x, -1, -2),
    # metadata: no values involved, nothing to differentiate
    np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim, np.size: lambda a: a.numel(),
    # complex numbers (ops/complexmath.py)
    np.real: F.real, np.imag: F.imag, np.angle: lambda z, deg=False: _np_angle(z, deg),
    np.iscomplex: F.iscomplex, np.isreal: F.isreal, np.iscomplexobj: F.iscomplexobj,
    np.isrealobj: lambda x: not F.iscomplexobj(x),
}


FUNCTIONS.update(_fft.FUNCTIONS)  # np.fft (ops/fft.py)


def _np_angle(z: Any, deg: bool = False) -> Tensor:
    return F.angle(z) * (180.0 / np.pi) if deg else F.angle(z)


def _unsupported(name: str) -> TypeError:
    return TypeError(f"numpy.{name} has no dualad op, so it cannot be applied to a dualad "
                     "Tensor without losing the gradient. Use the dualad function of the same "
                     "name if there is one, or call it on t.detach().numpy() if you do not "
                     "need the gradient.")


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None or kwargs.get("out") is not None:
        raise _unsupported(f"{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"))
    extra = {k: v for k, v in kwargs.items() if k not in ("dtype",)}
    if extra:
        raise TypeError(f"numpy.{ufunc.__name__} on a dualad Tensor does not support the "
                        f"keyword arguments {sorted(extra)}")
    if kwargs.get("dtype") is not None:
        inputs = _cast_inputs(ufunc, inputs, np.dtype(kwargs["dtype"]))
    return fn(*inputs)


def _cast_inputs(ufunc: Any, inputs: tuple, dtype: np.dtype) -> tuple:
    """NumPy's ``dtype=`` of a ufunc: the inputs cast to ``dtype`` (``same_kind``, as NumPy
    casts them) before the op runs, so it computes in that precision. Floating and complex
    dtypes only (an integer or boolean one would drop the derivative)."""
    name = ufunc.__name__
    if dtype.kind not in "fc":
        raise TypeError(f"numpy.{name} on a dualad Tensor: dtype={dtype} is not supported; "
                        "give a floating or complex dtype, or cast the result (x.astype(...)) "
                        "where no derivative is needed")
    out = []
    for x in inputs:
        have = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
        if isinstance(x, Tensor) or isinstance(x, np.ndarray):
            if not np.can_cast(have, dtype, casting="same_kind"):
                raise TypeError(f"numpy.{name}: cannot cast ufunc {name!r} input from {have} "
                                f"to {dtype} with casting rule 'same_kind' (as NumPy)")
        out.append(F.astype(x, dtype) if isinstance(x, Tensor) else
                   np.asarray(x, dtype=dtype))
    return tuple(out)


def array_function(func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    fn = FUNCTIONS.get(func)
    if fn is None:
        raise _unsupported(func.__name__)
    return fn(*args, **kwargs)
