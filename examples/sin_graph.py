"""The tutorial's first walk-through: sin on [0, 2π], the graph behind it, and its derivative.

Builds b = sin(a), c = 2b, d = c + 1, out = sum(d); walks the graph from
``d.grad_fn`` down to the leaf through ``next_functions``; runs backward and
checks that a.grad = 2 cos(a). With matplotlib installed it also draws sin
and the autograd derivative next to cos (``--out DIR``, default ./figures).

Run:  python examples/sin_graph.py [--out DIR]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import dualad as da
from dualad._plot import save_figure


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="directory for the PNG")
    args = parser.parse_args(argv)

    a = da.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    print(a)
    b = da.sin(a)
    print(b)  # grad_fn=<SinBackward0>: b remembers how it was made
    c = 2 * b
    d = c + 1
    out = d.sum()
    print(out)

    print("\nwalking the graph from d down to the leaf a:")
    print("d:", d.grad_fn.name())
    print(d.grad_fn.next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions)
    print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
    leaf_node = d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    print(leaf_node.next_functions)  # AccumulateGrad has no inputs: ()
    print("c:", c.grad_fn.name(), " b:", b.grad_fn.name(), " a:", a.grad_fn)

    out.backward()
    print("\na.grad =", a.grad)
    expected = 2 * np.cos(a.detach().numpy())
    err = float(np.abs(a.grad.numpy() - expected).max())
    print(f"max |a.grad - 2 cos(a)| = {err:.2e}")
    assert err < 1e-12, "the derivative of 2 sin(a) + 1 should be 2 cos(a)"

    # the d2l exercise: plot f = sin and df/dx without using the formula f' = cos
    x = da.linspace(0.0, 2.0 * math.pi, 100, requires_grad=True)
    f = da.sin(x)
    f.backward(da.ones_like(x))  # f is not a scalar: pass d(out)/d(f) explicitly
    xs = x.detach().numpy()
    print(f"100 points: max |df/dx - cos(x)| = {np.abs(x.grad.numpy() - np.cos(xs)).max():.1e}")
    save_figure(f"{args.out}/sin_derivative.png", [
        (xs, f.detach().numpy(), "f(x) = sin(x)"),
        (xs, x.grad.numpy(), "df/dx by autograd", "--"),
        (xs, np.cos(xs), "cos(x)", ":"),
    ], title="sin and its derivative", xlabel="x", ylabel="y")


if __name__ == "__main__":
    main()
