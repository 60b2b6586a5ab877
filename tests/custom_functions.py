"""Custom autograd.Functions shared by the reverse-mode, forward-mode and higher-order tests."""

import dualad as da


class Cube(da.autograd.Function):
    """x**3 with a hand-written backward that uses its saved input, and a jvp."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.x = x
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2

    @staticmethod
    def jvp(ctx, t):
        return t * 3 * ctx.x ** 2
