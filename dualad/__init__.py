"""dualad: automatic differentiation for NumPy code, in both modes, checked.

>>> import dualad as da
>>> x = da.tensor(2.0, requires_grad=True)
>>> y = da.sin(x) * x
>>> y.backward()
>>> round(x.grad.item(), 6)
0.077004
"""

from . import autograd, forward_ad, ops, registry
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .ops import (
    abs,
    add,
    astype,
    broadcast_to,
    clamp,
    clip,
    clone,
    cos,
    div,
    dot,
    exp,
    log,
    matmul,
    maximum,
    mean,
    minimum,
    mul,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    sum,
    swapaxes,
    tanh,
    transpose,
    where,
)
from .registry import Domain, Kink, Op, register_op
from .tensor import Tensor

float32 = "float32"
float64 = "float64"

absolute = abs
power = pow
multiply = mul
subtract = sub
divide = div
true_divide = div
negative = neg

__version__ = "0.1.0"
