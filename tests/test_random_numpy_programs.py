"""Random NumPy programs mixing the newer NumPy functions (roll, tile, repeat, cumprod,
diff, fmax, logaddexp2, convolve, polyval, ...) and what only ``dualad.numpy`` makes
differentiable (np.array of Tensors, np.empty then assignment, r_, ufunc methods,
vectorize, piecewise) with the older ops, written once against a module ``np`` (issue 20).

Each program runs with NumPy (the values, and central differences: the oracle) and with
``dualad.numpy`` (the same values; jacrev, jacfwd and the Hessian in both orders of the
modes). Inputs come from a seeded normal generator, so ties and kinks (fmax, ptp, where)
have probability zero; operands of ops that could grow without bound are squashed by tanh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import dualad as da
import dualad.numpy as dnp
from dualad import func

SHAPE = (2, 3)


def _t(np: Any, a: Any) -> Any:
    return np.tanh(a)


def _empty_then_assign(np: Any, a: Any, b: Any) -> Any:
    out = np.empty(SHAPE)
    out[0] = a[0] * b[1]
    out[1, :2] = np.sin(b[0, 1:])
    out[1, 2] = a[1, 0] - b[0, 0]
    return out


# name -> program of (np, a) giving a (2, 3) array
UNARY: dict[str, Callable[[Any, Any], Any]] = {
    "sin": lambda np, a: np.sin(a),
    "exp tanh": lambda np, a: np.exp(_t(np, a)),
    "log1p square": lambda np, a: np.log1p(a * a),
    "cbrt": lambda np, a: np.cbrt(a * a + 1.0),
    "sinc": lambda np, a: np.sinc(a),
    "roll axis 1": lambda np, a: np.roll(a, 1, axis=1),
    "roll flat": lambda np, a: np.roll(a, -2),
    "tile then crop": lambda np, a: np.tile(a, (1, 2))[:, 1:4],
    "repeat then stride": lambda np, a: np.repeat(a, 2, axis=1)[:, 1::2],
    "cumprod": lambda np, a: np.cumprod(_t(np, a) + 0.5, axis=1),
    "cumsum axis 0": lambda np, a: np.cumsum(a, axis=0),
    "diff prepend": lambda np, a: np.diff(a, axis=1, prepend=0.5),
    "flip": lambda np, a: np.flip(a, axis=0),
    "rot90 twice": lambda np, a: np.rot90(a, 2),
    "fliplr": lambda np, a: np.fliplr(a),
    "vstack rows": lambda np, a: np.vstack([a[1], a[0]]),
    "hstack columns": lambda np, a: np.hstack([a[:, 2:], a[:, :2]]),
    "transpose reshape": lambda np, a: np.reshape(np.transpose(a), SHAPE),
    "deg2rad": lambda np, a: np.deg2rad(a) * 30.0,
    "softplus by logaddexp": lambda np, a: np.logaddexp(a, 0.0),
    "centre rows": lambda np, a: a - np.mean(a, axis=1, keepdims=True),
    "scale by var": lambda np, a: a * np.var(a, axis=1, keepdims=True),
    "trapezoid": lambda np, a: a + np.expand_dims(np.trapezoid(a, axis=1), 1),
    "polyval": lambda np, a: np.polyval([0.5, -1.0, 2.0], _t(np, a)),
    "ptp": lambda np, a: a * np.ptp(a, axis=0),
    "nanmean": lambda np, a: a - np.nanmean(a, axis=0),
    "max keepdims": lambda np, a: a - np.max(a, axis=1, keepdims=True),
    "square": lambda np, a: np.square(_t(np, a)),
    "logaddexp.reduce": lambda np, a: a - np.logaddexp.reduce(a, axis=1, keepdims=True),
    "hypot.accumulate": lambda np, a: np.hypot.accumulate(a, axis=1),
    "maximum.accumulate": lambda np, a: np.maximum.accumulate(a, axis=0),
    "multiply.reduce": lambda np, a: a * np.multiply.reduce(_t(np, a), axis=0),
    "r_ rotate": lambda np, a: np.reshape(np.r_[np.ravel(a)[1:], np.ravel(a)[:1]], SHAPE),
    "apply_along_axis": lambda np, a: np.apply_along_axis(lambda v: v * v[0], 1, a),
    "vectorize": lambda np, a: np.vectorize(lambda t: t * t if t > 0 else np.sin(t))(a),
    "piecewise": lambda np, a: np.piecewise(a, [a < 0], [np.sin, lambda v: v * v]),
}

# name -> program of (np, a, b) giving a (2, 3) array
BINARY: dict[str, Callable[[Any, Any, Any], Any]] = {
    "add": lambda np, a, b: a + b,
    "multiply": lambda np, a, b: _t(np, a) * _t(np, b),
    "hypot": lambda np, a, b: np.hypot(a, b),
    "fmax": lambda np, a, b: np.fmax(a, b),
    "fmin": lambda np, a, b: np.fmin(a, b),
    "maximum": lambda np, a, b: np.maximum(a, b),
    "logaddexp2": lambda np, a, b: np.logaddexp2(a, b),
    "float_power": lambda np, a, b: np.float_power(1.0 + a * a, _t(np, b)),
    "arctan2": lambda np, a, b: np.arctan2(a, b),
    "where": lambda np, a, b: np.where(a > b, a * b, a - b),
    "matmul chain": lambda np, a, b: np.matmul(np.matmul(_t(np, a), np.transpose(_t(np, b))),
                                               _t(np, a)),
    "convolve rows": lambda np, a, b: a + np.convolve(a[0], b[1], mode="same"),
    "outer": lambda np, a, b: np.transpose(np.outer(a[0], b[:, 1])) * 0.5,
    "stack and sum": lambda np, a, b: np.sum(np.stack([a, b]), axis=0),
    "average": lambda np, a, b: np.average(np.stack([a, b]), axis=0, weights=[0.3, 0.7]),
    "array of rows": lambda np, a, b: np.array([a[0] * b[1], b[0]]),
    "concatenate": lambda np, a, b: np.concatenate([a[:, :1], b[:, 1:]], axis=1),
    "empty then assign": _empty_then_assign,
    "subtract.outer": lambda np, a, b: np.transpose(np.subtract.outer(a[0], b[:, 2])),
    "fill_diagonal": lambda np, a, b: _fill_diagonal(np, a, b),
}


def _fill_diagonal(np: Any, a: Any, b: Any) -> Any:
    out = np.zeros(SHAPE)
    np.fill_diagonal(out, a[0] * b[1])
    return out + b


@st.composite
def programs(draw: Any) -> list[tuple[str, tuple[int, ...]]]:
    """Steps ``(name, operand indices)``; values 0 and 1 are the inputs."""
    steps = []
    for k in range(draw(st.integers(2, 6))):
        last = k + 1
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))), (last,)))
        else:
            other = draw(st.integers(0, last))
            steps.append((draw(st.sampled_from(sorted(BINARY))), (last, other)))
    return steps


def run(np: Any, program: list, x: Any, y: Any) -> Any:
    values = [x, y]
    for name, operands in program:
        fn: Callable[..., Any] = UNARY[name] if name in UNARY else BINARY[name]
        values.append(fn(np, *[values[i] for i in operands]))
    return values[-1]


def _numpy(t: Any) -> numpy.ndarray:
    return t.detach().numpy() if isinstance(t, da.Tensor) else numpy.asarray(t)


def _fd_jacobian(f: Callable[[numpy.ndarray], numpy.ndarray], z: numpy.ndarray,
                 h: float = 1e-6) -> numpy.ndarray:
    out = f(z)
    jac = numpy.zeros(out.shape + z.shape)
    for i in range(z.size):
        e = numpy.zeros_like(z)
        e[i] = h
        jac[..., i] = (f(z + e) - f(z - e)) / (2 * h)
    return jac


EXAMPLES = max(20, settings().max_examples)


@settings(max_examples=EXAMPLES, deadline=None,
          phases=[p for p in Phase if p is not Phase.explain],
          suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), seed=st.integers(0, 2 ** 32 - 1))
def test_random_numpy_programs_agree_with_numpy_and_differences(program: list,
                                                                 seed: int) -> None:
    rng = numpy.random.default_rng(seed)
    z = rng.normal(size=2 * SHAPE[0] * SHAPE[1])  # x and y, flattened together
    weights = rng.normal(size=SHAPE)

    def split(np: Any, v: Any) -> tuple[Any, Any]:
        return np.reshape(v[:6], SHAPE), np.reshape(v[6:], SHAPE)

    def vector(np: Any) -> Callable[[Any], Any]:
        return lambda v: np.ravel(run(np, program, *split(np, v)))

    def scalar(np: Any) -> Callable[[Any], Any]:
        return lambda v: np.sum(np.sin(run(np, program, *split(np, v))) * weights)

    where = " -> ".join(name for name, _ in program)
    expected = vector(numpy)(z)
    numpy.testing.assert_allclose(_numpy(vector(dnp)(z)), expected, rtol=1e-12, atol=1e-12,
                                  err_msg=where)

    rev = _numpy(func.jacrev(vector(dnp))(z))
    fwd = _numpy(func.jacfwd(vector(dnp))(z))
    numpy.testing.assert_allclose(fwd, rev, rtol=1e-10, atol=1e-10, err_msg=where)
    fd = _fd_jacobian(lambda v: numpy.asarray(vector(numpy)(v), dtype=float), z)
    numpy.testing.assert_allclose(rev, fd, rtol=1e-5, atol=1e-6, err_msg=where)

    # second order: reverse over reverse, forward over reverse, differences of the gradient
    hess = _numpy(func.hessian(scalar(dnp))(z))
    numpy.testing.assert_allclose(_numpy(func.jacfwd(func.grad(scalar(dnp)))(z)), hess,
                                  rtol=1e-9, atol=1e-9, err_msg=where)
    grad_fd = _fd_jacobian(lambda v: _numpy(func.grad(scalar(dnp))(v)), z, h=1e-5)
    numpy.testing.assert_allclose(hess, grad_fd, rtol=1e-4, atol=1e-5, err_msg=where)


def test_every_step_runs_alone_with_numpys_values() -> None:
    """Each function of the pool once, so a broken one is named (not only found in a
    random chain)."""
    rng = numpy.random.default_rng(7)
    a, b = rng.normal(size=SHAPE), rng.normal(size=SHAPE)
    for name, fn in UNARY.items():
        numpy.testing.assert_allclose(_numpy(fn(dnp, dnp.asarray(a))), fn(numpy, a),
                                      rtol=1e-13, atol=1e-15, err_msg=name)
    for name, fn2 in BINARY.items():
        numpy.testing.assert_allclose(_numpy(fn2(dnp, dnp.asarray(a), dnp.asarray(b))),
                                      fn2(numpy, a, b), rtol=1e-13, atol=1e-15, err_msg=name)

