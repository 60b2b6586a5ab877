"""A Jacobian in forward mode: one JVP per input direction, checked against reverse mode.

f(x) = [x0² x1, 5 x0 + sin x1, x0 x1 x2] has the Jacobian
[[2 x0 x1, x0², 0], [5, cos x1, 0], [x1 x2, x0 x2, x0 x1]]. Forward mode
pushes the tangent e_i through f and gets column i; reverse mode pulls e_j
back and gets row j. ``dualad.func.jacfwd`` does the forward loop for you.

Run:  python examples/forward_jacobian.py
"""

from __future__ import annotations

import numpy as np

import dualad as da
from dualad import forward_ad as fwAD

try:  # the functional transforms (dualad.func) may be absent in a partial build
    from dualad import func
except ImportError:
    func = None


def f(x: da.Tensor) -> da.Tensor:
    return da.stack([x[0] ** 2 * x[1], 5 * x[0] + da.sin(x[1]), x[0] * x[1] * x[2]])


def jacobian_forward(fn, x: da.Tensor) -> np.ndarray:
    columns = []
    with fwAD.dual_level():
        for i in range(x.shape[0]):
            direction = da.tensor(np.eye(x.shape[0])[i])
            _, tangent = fwAD.unpack_dual(fn(fwAD.make_dual(x, direction)))
            columns.append(tangent.numpy())
    return np.stack(columns, axis=1)


def jacobian_reverse(fn, x: da.Tensor) -> np.ndarray:
    x = x.detach().requires_grad_()
    y = fn(x)
    rows = [da.autograd.grad(y, x, grad_outputs=da.tensor(np.eye(y.shape[0])[j]),
                             retain_graph=True)[0].numpy() for j in range(y.shape[0])]
    return np.stack(rows)


def main() -> None:
    x = da.tensor([1.0, 2.0, 3.0])
    x0, x1, x2 = x.numpy()
    exact = np.array([[2 * x0 * x1, x0**2, 0.0], [5.0, np.cos(x1), 0.0],
                      [x1 * x2, x0 * x2, x0 * x1]])
    jf = jacobian_forward(f, x)
    jr = jacobian_reverse(f, x)
    print("forward-mode Jacobian (3 JVPs):\n", jf.round(6))
    print("reverse-mode Jacobian (3 VJPs) equal:", np.allclose(jf, jr, rtol=1e-14))
    print("hand-derived Jacobian equal:       ", np.allclose(jf, exact, rtol=1e-14))
    assert np.allclose(jf, exact, rtol=1e-14) and np.allclose(jr, exact, rtol=1e-14)

    # one JVP is one forward pass: J v without forming J
    v = da.tensor([1.0, -1.0, 0.5])
    with fwAD.dual_level():
        _, jv = fwAD.unpack_dual(f(fwAD.make_dual(x, v)))
    print("J v =", jv, " (J @ v =", (exact @ v.numpy()).round(4), ")")
    assert np.allclose(jv.numpy(), exact @ v.numpy())

    if func is not None and hasattr(func, "jacfwd"):
        jac = func.jacfwd(f)(x)
        print("dualad.func.jacfwd(f)(x) equal:    ", np.allclose(np.asarray(jac), exact))
        assert np.allclose(np.asarray(jac), exact, rtol=1e-14)
    else:
        print("(dualad.func is not available in this build: jacfwd skipped)")


if __name__ == "__main__":
    main()
