"""Turning autograd off and on: requires_grad, no_grad (block and decorator), enable_grad,
detach, ``.data``, inference_mode, and partial graphs (from the tutorials' notes).

Run:  python examples/grad_modes.py
"""

from __future__ import annotations

import dualad as da


def add_tensors1(x: da.Tensor, y: da.Tensor) -> da.Tensor:
    return x + y


@da.no_grad()
def add_tensors2(x: da.Tensor, y: da.Tensor) -> da.Tensor:
    return x + y


def main() -> None:
    # the requires_grad flag
    a = da.ones(2, 3, requires_grad=True)
    b1 = 2 * a
    print(b1)  # grad_fn=<MulBackward0>
    a.requires_grad = False
    b2 = 2 * a
    print(b2)  # no history
    assert b1.grad_fn is not None and b2.grad_fn is None

    # no_grad as a block and as a decorator
    a = da.ones(2, 3, requires_grad=True) * 2
    b = da.ones(2, 3, requires_grad=True) * 3
    c1 = a + b
    with da.no_grad():
        c2 = a + b
    c3 = a * b
    print(c1.grad_fn.name(), c2.grad_fn, c3.grad_fn.name())
    print(add_tensors1(a, b).requires_grad, add_tensors2(a, b).requires_grad)
    with da.no_grad():
        with da.enable_grad():
            print("enable_grad inside no_grad records again:", (a * 2).requires_grad)

    # detach: same values, no history (what plotting libraries need)
    x = da.rand(5, requires_grad=True)
    y = x.detach()
    print(x)
    print(y)
    try:
        x.numpy()
    except RuntimeError as exc:
        print("x.numpy():", exc)

    # .data: change values without autograd noticing
    x = da.ones(1, requires_grad=True)
    print(x.data, x.data.requires_grad)
    y = 2 * x
    x.data *= 100  # only the value changes; the graph of y is not affected
    y.backward()
    print(x, x.grad)  # tensor([100.]) and grad 2
    try:
        x *= 100
    except RuntimeError as exc:
        print("x *= 100 on a leaf that requires grad:", str(exc).split(".")[0])
    with da.no_grad():
        x += 1  # allowed inside no_grad: the optimizer-update pattern
    print("after x += 1 under no_grad:", x)

    # partial graphs with no_grad (three variants from the notes)
    x = da.ones(1, 10, requires_grad=True)
    z = (x**2) ** 2 + (x**2) ** 2
    z.sum().backward()
    print("both branches recorded:", x.grad[0, 0].item())  # 8
    x = da.ones(1, 10, requires_grad=True)
    y1 = x**2
    with da.no_grad():
        y2 = x**2
    (y1**2 + y2**2).sum().backward()
    print("one branch under no_grad:", x.grad[0, 0].item())  # 4
    x = da.ones(1, 10, requires_grad=True)
    with da.no_grad():
        x += 1
        y2 = x**2
    y1 = x**2
    (y1**2 + y2**2).sum().backward()
    print("x += 1 then one branch under no_grad:", x.grad[0, 0].item())  # 4 x^3 at 2 = 32
    assert x.grad[0, 0].item() == 32.0

    # inference mode: like no_grad, and its tensors cannot join a graph later
    w = da.tensor([1.0, 2.0], requires_grad=True)
    with da.inference_mode():
        t = w * 2
    print("made in inference_mode:", t.requires_grad, t.is_inference())


if __name__ == "__main__":
    main()
