"""Q = 3a³ − b²: gradients of a vector output, and who is excluded from the graph.

From the autograd tutorial: Q is a vector, so ``backward`` needs the
gradient of the final scalar with respect to Q (here ones, i.e. dQ/dQ = 1);
the results are compared with the hand derivatives dQ/da = 9a² and
dQ/db = −2b. Then: an op's output requires grad if any input does.

Run:  python examples/q_equation.py
"""

from __future__ import annotations

import dualad as da


def main() -> None:
    a = da.tensor([2.0, 3.0], requires_grad=True)
    b = da.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    print("Q =", Q)

    external_grad = da.tensor([1.0, 1.0])
    Q.backward(gradient=external_grad)  # same as Q.sum().backward()
    print("a.grad =", a.grad, " 9a^2 =", 9 * a.detach() ** 2)
    print("b.grad =", b.grad, " -2b  =", -2 * b.detach())
    print(9 * a.detach() ** 2 == a.grad)
    print(-2 * b.detach() == b.grad)
    assert (9 * a.detach() ** 2 == a.grad).numpy().all()
    assert (-2 * b.detach() == b.grad).numpy().all()

    # a vector-Jacobian product: backward with v computes J^T v
    a.grad = None
    Q = 3 * a**3 - b**2
    Q.backward(gradient=da.tensor([1.0, 0.1]))
    print("J^T v with v = [1, 0.1]:", a.grad, "(= [36, 8.1])")

    # exclusion from the DAG
    x, y = da.rand(5, 5), da.rand(5, 5)
    z = da.rand(5, 5, requires_grad=True)
    print(f"Does `x + y` require gradients? : {(x + y).requires_grad}")
    print(f"Does `x + z` require gradients? : {(x + z).requires_grad}")


if __name__ == "__main__":
    main()
