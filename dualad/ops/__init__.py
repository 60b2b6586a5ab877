"""The op library: one module per family. Importing it registers every op.

Each public function here wraps one registered op (see ``dualad.registry``).
"""

from .elementwise import (
    abs,
    add,
    clamp,
    clip,
    cos,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from .inplace import copy_from, full_like_op, inplace, setitem_, zeros_like_op
from .linalg import dot, matmul
from .reductions import mean, sum
from .shape import (
    T,
    astype,
    broadcast_to,
    clone,
    getitem,
    index_add,
    permute,
    reshape,
    setitem,
    sum_to,
    swapaxes,
    transpose,
)

__all__ = [
    "abs", "add", "clamp", "clip", "cos", "div", "exp", "log", "maximum", "minimum", "mul",
    "neg", "pow", "relu", "sigmoid", "sign", "sin", "sqrt", "sub", "tanh", "where",
    "copy_from", "full_like_op", "inplace", "setitem_", "zeros_like_op", "dot", "matmul",
    "mean", "sum", "T", "astype", "broadcast_to", "clone", "getitem", "index_add", "permute",
    "reshape", "setitem", "sum_to", "swapaxes", "transpose",
]
