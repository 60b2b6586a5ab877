"""A kink report: which nondifferentiable points a computation hit, and what was used there.

relu, abs and max have points where no derivative exists; dualad uses a
documented value there (relu'(0) = 0, abs'(0) = 0, ties share the gradient)
and ``dualad.nondiff.track()`` tells you when it happened. The same gradient
is then shown under the other policies ("pytorch", "jax", "nan", "raise").

Run:  python examples/kink_report.py
"""

from __future__ import annotations

import dualad as da

try:  # the nondifferentiable-points module may be absent in a partial build
    from dualad import nondiff
except ImportError:
    nondiff = None


def loss_fn(x: da.Tensor) -> da.Tensor:
    return da.relu(x).sum() + da.abs(x).sum()


def main() -> None:
    if nondiff is None:
        print("(dualad.nondiff is not available in this build: no kink report)")
        return
    x = da.tensor([-1.0, 0.0, 0.0, 2.0], requires_grad=True)
    with nondiff.track() as hits:
        loss_fn(x).backward()
    print("x      =", x)
    print("x.grad =", x.grad, " (relu'(0) = 0 and abs'(0) = 0: minimum-norm subgradients)")
    print("\nkinks hit:")
    print(hits.summary())
    assert hits.count("relu", mode="backward") == 2 and hits.count("abs", mode="backward") == 2

    print("\nthe conventions behind those values:")
    for row in nondiff.conventions():
        if row.op in ("relu", "abs"):
            print(f"  {row.op:5s} at {row.where}: {row.value} (rule {row.rule}: {row.rule_text});"
                  f" PyTorch {row.pytorch}, JAX {row.jax}")

    print("\nthe same gradient under each policy:")
    for name in ("subgradient", "pytorch", "jax", "nan", "raise"):
        x.grad = None
        try:
            with nondiff.policy(name):
                loss_fn(x).backward()
            print(f"  {name:12s} x.grad = {x.grad.numpy()}")
        except Exception as exc:  # "raise" names the op and the element
            print(f"  {name:12s} {type(exc).__name__}: {str(exc).splitlines()[0]}")

    # no kink, no report
    y = da.tensor([1.0, 2.0], requires_grad=True)
    with nondiff.track() as quiet:
        loss_fn(y).backward()
    print("\naway from the kinks:", quiet.summary())
    assert len(quiet) == 0


if __name__ == "__main__":
    main()
