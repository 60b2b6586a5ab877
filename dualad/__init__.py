"""dualad: automatic differentiation for NumPy code, in both modes, checked.

>>> import dualad as da
>>> x = da.tensor(2.0, requires_grad=True)
>>> y = da.sin(x) * x
>>> y.backward()
>>> round(x.grad.item(), 6)
0.077004
"""

from types import ModuleType as _ModuleType

from . import (
    _methods,
    autograd,
    forward_ad,
    func,
    linalg,
    nn,
    nondiff,
    ops,
    optim,
    registry,
    tree,
    vmap_transforms,  # noqa: F401  (the func transforms inside vmap)
)
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .check import gradcheck, gradgradcheck
from .checkpointing import checkpoint
from .creation import (
    arange,
    empty_like,
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
    ValuesIndices,
    abs,
    acos,
    acosh,
    add,
    amax,
    amin,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    argmax,
    argmin,
    around,
    asin,
    asinh,
    astype,
    atan,
    atan2,
    atanh,
    broadcast_to,
    cat,
    ceil,
    clamp,
    clip,
    clone,
    concatenate,
    cos,
    cosh,
    cumsum,
    det,
    diag,
    div,
    dot,
    einsum,
    exp,
    exp2,
    expand,
    expand_dims,
    expm1,
    fft,  # np.fft as dualad.fft
    flatten,
    flip,
    floor,
    hypot,
    inner,
    inv,
    inverse,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logaddexp,
    logsigmoid,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    neg,
    norm,
    outer,
    permute,
    pow,
    prod,
    ravel,
    reciprocal,
    relu,
    reshape,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    softplus,
    solve,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    swapaxes,
    tan,
    tanh,
    trace,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
    where,
)
from .ops.complexmath import (  # complex numbers (docs/complex-numbers.md)
    angle,
    conj,
    conjugate,
    imag,
    iscomplex,
    iscomplexobj,
    isreal,
    real,
)
from .ops.npmath import (  # NumPy's further elementwise math (issue 20)
    average,
    cbrt,
    convolve,
    copysign,
    correlate,
    cumprod,
    deg2rad,
    degrees,
    diff,
    ediff1d,
    float_power,
    floor_divide,
    fmax,
    fmin,
    fmod,
    gradient,
    heaviside,
    logaddexp2,
    mod,
    nan_to_num,
    nanmax,
    nanmean,
    nanmin,
    nanprod,
    nanstd,
    nansum,
    nanvar,
    polyval,
    ptp,
    rad2deg,
    radians,
    remainder,
    sinc,
    trapezoid,
)
from .ops.numpy_index import (  # NumPy's sorting, gathering and padding (issue 20)
    argsort,
    compress,
    divmod,
    extract,
    meshgrid,
    pad,
    partition,
    put_along_axis,
    select,
    sort,
    take,
    take_along_axis,
)
from .ops.numpy_products import cross, kron, tensordot, vdot  # NumPy's products
from .ops.numpy_query import (  # integer and boolean results: no gradient
    allclose,
    argwhere,
    array_equal,
    array_equiv,
    count_nonzero,
    flatnonzero,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    nonzero,
    searchsorted,
    signbit,
    unique,
)
from .ops.numpy_shape import (  # NumPy's stacking, splitting and reordering functions
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    diagflat,
    diagonal,
    dsplit,
    dstack,
    fliplr,
    flipud,
    hsplit,
    hstack,
    moveaxis,
    repeat,
    roll,
    rollaxis,
    rot90,
    tile,
    vsplit,
    vstack,
)
from .ops.numpy_stats import corrcoef, cov, interp, median, percentile, quantile  # statistics
from .registry import Domain, Kink, Op, register_op
from .tensor import ConcretizationTypeError, Tensor

# Tensor's operators and methods call the ops and the engine, layers above dualad.tensor:
# they are put on the class here, once every layer is imported
_methods.install(Tensor)

from . import scipy  # noqa: E402  (SciPy's functions as registry ops; SciPy itself optional)

float16 = "float16"
float32 = "float32"
float64 = "float64"
complex64 = "complex64"
complex128 = "complex128"

absolute = abs
fabs = abs
power = pow
multiply = mul
subtract = sub
divide = div
true_divide = div
negative = neg

__version__ = "0.1.0"


_ON_FIRST_USE = ("symbolic", "testing", "numpy")


def __getattr__(name: str) -> _ModuleType:
    """Submodules imported on first use: ``dualad.symbolic`` needs SymPy (a slow import,
    see ``dualad._sympy``), ``dualad.testing`` needs hypothesis (a test dependency) and
    ``dualad.numpy`` (NumPy's namespace, usually ``import dualad.numpy as np``) is not
    needed by code that does not use it."""
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'dualad' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ON_FIRST_USE))
