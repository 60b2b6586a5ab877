"""The registry check on complex inputs, for the ops marked ``accepts_complex``.

The drawn real inputs get imaginary parts (of size 0.2 to 0.6 and random sign: away from
the real axis, where the principal branches of log, sqrt, arcsin... are cut, and from
0, where abs and angle have kinks). An op whose domain has a ``valid`` test gets inputs
that pass it as complex numbers too (a Hermitian matrix from the drawn one must stay
positive definite, eigenvalues apart...): other imaginary parts are drawn, smaller ones
at need, and a draw with none valid is rejected (hypothesis). Then, with PyTorch's convention
(docs/complex-numbers.md), reverse and forward mode are compared with central
differences along every real and every imaginary coordinate (``gradcheck``, which
checks a complex output as its real and imaginary parts), and the recorded rules
(``create_graph=True``) with the raw-array rules the engine runs otherwise.

>>> import numpy as np
>>> from dualad.registry import get
>>> check_complex(get("sin"), (np.array([0.5, 1.0]),), {}, seed=0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import reject

from ..autograd import engine
from ..autograd.grad_mode import enable_grad
from ..check import gradcheck
from ..registry import Op, apply
from ..tensor import Tensor
from .opcheck import ATOL, EPS, EXACT_RTOL, RTOL, _assert_close, _fail, differentiable_inputs


def complex_arrays(op: Op, arrays: tuple, seed: int, scale: float = 1.0) -> tuple:
    """``arrays`` with an imaginary part (``scale`` times 0.2 to 0.6, random sign) added to
    every floating differentiable input."""
    rng = np.random.default_rng(seed)
    out = list(arrays)
    for i in differentiable_inputs(op):
        a = arrays[i]
        if isinstance(a, (np.ndarray, float, np.floating)) and np.asarray(a).dtype.kind == "f":
            a = np.asarray(a, dtype=np.float64)
            imag = rng.uniform(0.2, 0.6, a.shape) * rng.choice([-1.0, 1.0], a.shape)
            out[i] = a + 1j * scale * imag
    return tuple(out)


# the imaginary parts tried, in order, until the op's domain accepts the complex inputs
_SCALES = (1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.1)


def valid_complex_arrays(op: Op, arrays: tuple, params: dict, seed: int) -> tuple | None:
    """Complex ``arrays`` that the op's ``valid`` test accepts (every draw, when it has
    none), or None when no try passes."""
    valid = op.domain.valid if op.domain is not None else None
    for k, scale in enumerate(_SCALES):
        zs = complex_arrays(op, arrays, seed + k, scale)
        if valid is None or valid(*zs, **params):
            return zs
    return None


def check_complex(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """Derivatives on complex inputs against central differences on their real and
    imaginary coordinates, in both modes; recorded and raw-array rules agree."""
    if not op.accepts_complex or not differentiable_inputs(op):
        return
    zs = valid_complex_arrays(op, arrays, params, seed)
    if zs is None:
        reject()  # (hypothesis draws other real inputs)
    diff = [i for i in differentiable_inputs(op) if np.asarray(zs[i]).dtype.kind == "c"]
    if not diff:
        return

    def fn(*xs: Any) -> Tensor:
        args = list(zs)
        for i, x in zip(diff, xs):
            args[i] = x
        return apply(op, *args, **params)

    leaves = [Tensor(np.asarray(zs[i]), requires_grad=True) for i in diff]
    report = gradcheck(fn, leaves, eps=EPS, atol=ATOL, rtol=RTOL, raise_exception=False,
                       fast_mode=False)
    if not report.passed:
        _fail(op, "complex", str(report), zs, params)
    with enable_grad():
        out = fn(*leaves)
        rng = np.random.default_rng(seed + 3)
        u = rng.standard_normal(out.shape)
        if out._data.dtype.kind == "c":
            u = u + 1j * rng.standard_normal(out.shape)
        plain = engine.grad(out, leaves, Tensor(u), retain_graph=True, allow_unused=True)
        recorded = engine.grad(out, leaves, Tensor(u), create_graph=True, allow_unused=True)
    for i, p, r in zip(diff, plain, recorded):
        if (p is None) != (r is None):
            _fail(op, "complex", f"input {i}: one of the recorded and raw-array rules gave no "
                  "gradient", zs, params)
        if p is None:
            continue
        for part in (np.real, np.imag):
            _assert_close(op, "complex", part(r._data), part(p._data), zs, params,
                          f"recorded vs raw-array gradient of input {i} ({part.__name__})",
                          atol=1e-12, rtol=EXACT_RTOL)
