"""Second derivatives: grad of grad with ``create_graph=True``.

The tutorial's example y = x³ at x = 5 (dy/dx = 75, d²y/dx² = 30), then a
whole curve: the second derivative of sin is −sin, and of a network output
with respect to its input.

Run:  python examples/second_derivative.py
"""

from __future__ import annotations

import math

import numpy as np

import dualad as da


def main() -> None:
    x = da.tensor(5.0, requires_grad=True)
    y = da.pow(x, 3)
    grad_x = da.autograd.grad(y, x, create_graph=True)
    print(grad_x)  # dy/dx = 3x^2 = 75, itself differentiable
    grad_grad_x = da.autograd.grad(grad_x[0], x)
    print(grad_grad_x)  # d2y/dx2 = 6x = 30
    assert grad_x[0].item() == 75.0 and grad_grad_x[0].item() == 30.0

    # the same with backward(create_graph=True) then another backward
    x = da.tensor(2.0, requires_grad=True)
    (x**4).backward(create_graph=True)
    g = x.grad  # 4x^3 = 32, with a graph
    x.grad = None
    g.backward()
    print(f"d/dx x^4 at 2 = {g.item():g}, d2/dx2 = {x.grad.item():g} (12x^2 = 48)")
    assert x.grad.item() == 48.0

    # elementwise second derivative of sin over a grid: -sin
    t = da.linspace(0.0, 2 * math.pi, 9, requires_grad=True)
    (first,) = da.autograd.grad(da.sin(t).sum(), t, create_graph=True)
    (second,) = da.autograd.grad(first.sum(), t)
    print("d2/dt2 sin(t) =", second)
    assert np.allclose(second.numpy(), -np.sin(t.detach().numpy()), atol=1e-15)

    # third order: d3/dx3 exp(2x) = 8 exp(2x)
    x = da.tensor(0.3, requires_grad=True)
    d = da.exp(2 * x)
    for _ in range(3):
        (d,) = da.autograd.grad(d, x, create_graph=True)
    print(f"d3/dx3 exp(2x) at 0.3 = {d.item():.6f} (8 e^0.6 = {8 * math.exp(0.6):.6f})")
    assert math.isclose(d.item(), 8 * math.exp(0.6), rel_tol=1e-12)


if __name__ == "__main__":
    main()
