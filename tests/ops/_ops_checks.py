"""Independent oracles for the op tests: central differences in float64.

The gradient of a scalar function is compared with central differences of
its forward values (reverse mode and forward mode both), and second
derivatives with central differences of the gradient. None of this reads
the op's rules.
"""

from __future__ import annotations

import numpy as np

import dualad as da
from dualad import forward_ad as fwAD

EPS = 1e-6


def numeric_grad(f, x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central differences of the scalar ``f(array)`` at ``x``, one coordinate at a time."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def value(fn, x: np.ndarray) -> float:
    return float(fn(da.tensor(x)).item())


def reverse_grad(fn, x: np.ndarray) -> np.ndarray:
    t = da.tensor(x, requires_grad=True)
    fn(t).backward()
    return t.grad.numpy()


def forward_directional(fn, x: np.ndarray, v: np.ndarray) -> float:
    with fwAD.dual_level():
        y = fn(fwAD.make_dual(da.tensor(x), da.tensor(v)))
        return float(fwAD.unpack_dual(y).tangent.item())


def check_gradients(fn, x, rtol: float = 1e-5, atol: float = 1e-7, second: bool = False,
                    seed: int = 0) -> None:
    """Reverse mode, forward mode (and optionally the Hessian) of ``fn`` against differences."""
    x = np.asarray(x, dtype=np.float64)
    expected = numeric_grad(lambda a: value(fn, a), x)
    np.testing.assert_allclose(reverse_grad(fn, x), expected, rtol=rtol, atol=atol,
                               err_msg="reverse mode vs central differences")
    v = np.random.default_rng(seed).normal(size=x.shape)
    np.testing.assert_allclose(forward_directional(fn, x, v), float(np.sum(expected * v)),
                               rtol=rtol, atol=atol, err_msg="forward mode vs differences")
    if second:
        def grad_dot_v(a):
            t = da.tensor(a, requires_grad=True)
            (g,) = da.autograd.grad(fn(t), t, create_graph=True)
            return g

        t = da.tensor(x, requires_grad=True)
        (g,) = da.autograd.grad(fn(t), t, create_graph=True)
        (hv,) = da.autograd.grad((g * da.tensor(v)).sum(), t)
        numeric_hv = numeric_grad(lambda a: float((grad_dot_v(a).detach().numpy() * v).sum()),
                                  x, eps=1e-5)
        np.testing.assert_allclose(hv.numpy(), numeric_hv, rtol=1e-4, atol=1e-6,
                                   err_msg="second derivative (create_graph) vs differences")


def weights_like(shape: tuple, seed: int = 1) -> np.ndarray:
    """Fixed random weights, to turn a tensor-valued function into a scalar one."""
    return np.random.default_rng(seed).normal(size=shape)


def output_parts(out):
    """The outputs of a function that returns one tensor or several (the split functions)."""
    return list(out) if isinstance(out, (list, tuple)) else [out]


def joined(out):
    """One tensor holding every output."""
    return da.concatenate([da.ravel(p) for p in output_parts(out)])
