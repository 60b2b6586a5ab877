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


class TwoOutputs(da.autograd.Function):
    """(2x, 3x): the second output's gradient must reach x multiplied by 3, not 2."""

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, ga, gb):
        return ga * 2 + gb * 3

    @staticmethod
    def jvp(ctx, t):
        return t * 2, t * 3
