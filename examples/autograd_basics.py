"""The basics walk-through (Dive into Deep Learning 2.5 and its exercises), with dualad.

y = 2 xᵀx has gradient 4x; gradients accumulate until zeroed; a non-scalar
output needs an explicit ``gradient``; ``detach`` cuts the graph; calling
backward twice without ``retain_graph`` is an error.

Run:  python examples/autograd_basics.py
"""

from __future__ import annotations

import dualad as da


def main() -> None:
    # 2.5.1 a simple function
    x = da.arange(4.0)
    x.requires_grad_(True)
    print(x, x.grad)  # the gradient is None by default
    y = 2 * da.dot(x, x)  # 2 * (0 + 1 + 4 + 9) = 28
    print(y)
    y.backward()
    print(x.grad, x.grad == 4 * x.detach())
    assert (x.grad == 4 * x.detach()).numpy().all()

    # gradients accumulate: clear them before the next one
    x.grad.zero_()
    x.sum().backward()
    print("after zero_, d sum(x)/dx =", x.grad)

    # z = x y + y^2: dz/dx = y = 3, dz/dy = x + 2y = 8
    a = da.tensor(2.0, requires_grad=True)
    b = da.tensor(3.0, requires_grad=True)
    z = a * b + b**2
    z.backward()
    print("dz/dx =", a.grad, " dz/dy =", b.grad)
    assert (a.grad.item(), b.grad.item()) == (3.0, 8.0)

    # 2.5.2 backward for non-scalar variables
    x = da.arange(4.0, requires_grad=True)
    y = x * x
    try:
        y.backward()
    except RuntimeError as exc:
        print("y.backward() on a vector:", exc)
    y.backward(gradient=da.ones(len(y)))  # faster: y.sum().backward()
    print("d sum(x*x)/dx =", x.grad)

    # 2.5.3 detaching computation
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    print("u treated as a constant: x.grad == u ->", x.grad == u)
    assert (x.grad == u).numpy().all()
    x.grad.zero_()
    y.sum().backward()
    print("but y itself still differentiates: x.grad == 2x ->", x.grad == 2 * x.detach())

    # exercise 2: run backward twice
    a = da.tensor([1.0, 3.0, 5.0, 7.0, 9.0], requires_grad=True)
    b = da.tensor([2.0, 4.0, 6.0, 9.0, 10.0], requires_grad=True)
    s = (a * b).sum()
    s.backward()
    print("a.grad =", a.grad)
    try:
        s.backward()
    except RuntimeError as exc:
        print("second backward:", str(exc).split(".")[0] + ".")
    s = (a * b).sum()
    s.backward(retain_graph=True)
    s.backward()  # fine with retain_graph=True the first time
    print("with retain_graph=True, a.grad accumulated three times:", a.grad)
    assert (a.grad == 3 * b.detach()).numpy().all()

    # gradient accumulation, step by step (the Chinese notes' example)
    x = da.ones(2, requires_grad=True)
    for expected in (2.0, 4.0):
        (x * x).sum().backward()
        print("x.grad =", x.grad)
        assert x.grad.tolist() == [expected, expected]
    x.grad.data.zero_()
    (x * x).sum().backward()
    print("after x.grad.data.zero_():", x.grad)


if __name__ == "__main__":
    main()
