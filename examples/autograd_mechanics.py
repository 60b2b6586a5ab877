"""Autograd mechanics (from the PyTorch notes): saved tensors, leaves and non-leaves,
in-place correctness checks, the ``gradient`` argument, and what is and is not a leaf.

Run:  python examples/autograd_mechanics.py
"""

from __future__ import annotations

import warnings

import dualad as da


def main() -> None:
    # saved tensors: x ** 2 saves its input, exp saves its result
    x = da.randn(5, requires_grad=True)
    y = x.pow(2)
    print("pow saved x:", x.equal(y.grad_fn._saved_self))
    y = x.exp()
    print("exp saved its result:", y.equal(y.grad_fn._saved_result))

    # only leaves get .grad (non-leaves warn, unless retain_grad())
    x = da.ones(1, 2, requires_grad=True)
    y = x**2
    c = x + 1
    z = y**2
    z.sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        print("z.grad, y.grad, c.grad:", z.grad, y.grad, c.grad)
    print(f"({len(caught)} warnings: they are not leaves)")
    print("x.grad =", x.grad, "(z = x^4, dz/dx = 4x^3 = 4)")
    c.sum().backward()
    print("without zeroing, another backward adds 1:", x.grad)
    print("x: requires_grad", x.requires_grad, "is_leaf", x.is_leaf,
          "| z: requires_grad", z.requires_grad, "is_leaf", z.is_leaf)

    # retain_grad on a non-leaf
    y = x**2
    y.retain_grad()
    (y * 3).sum().backward()
    print("y.grad after retain_grad():", y.grad)

    # in-place correctness: modifying a saved tensor is caught at backward
    x = da.ones(1, 10, requires_grad=True)
    y1 = x**2  # saves x
    with da.no_grad():
        x += 1
    try:
        (y1**2).sum().backward()
    except RuntimeError as exc:
        print("modified after saving:", str(exc).split("Hint")[0].strip())

    # the gradient argument: backward(v) computes v^T J
    x = da.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = da.add(da.pow(x, 2), x)
    y.backward(da.ones(2, 3))
    print("d(x^2 + x)/dx = 2x + 1:", x.grad)
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    da.pow(x, 2).backward(da.tensor([1.0, 0.1, 0.001]))
    print("weighted: [2, 0.4, 0.006] ->", x.grad)

    # .data assignment replaces values, the leaf stays a leaf
    x = da.ones(1, 2, requires_grad=True)
    x.data = x.data + 1
    print(x.sum(), x.requires_grad, x.is_leaf)


if __name__ == "__main__":
    main()
