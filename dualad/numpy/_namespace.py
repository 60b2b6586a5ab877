"""How ``dualad.numpy`` (and its ``linalg`` and ``fft``) resolve a NumPy name.

A name of a NumPy module falls in one category, decided from NumPy's own object
and the interop tables (``dualad.ops.interop.FUNCTIONS``/``UFUNCS``: the same
entries that ``np.sin(t)`` dispatches through, so the namespace stays in sync as
ops are added):

1. **metadata** (``shape``, ``ndim``, ``result_type``, printing options...): NumPy's
   function, given the Tensors' data; the result is not a value to differentiate;
2. **differentiable**: a NumPy function or ufunc with an interop entry: that entry,
   under NumPy's name, signature and semantics; lists of Tensors become arrays;
3. **from a dualad module** (``dualad.linalg``, ``dualad.fft``, when they exist): a
   function of that module with the NumPy name;
4. **no gradient** (``isnan``, ``argsort``, ``allclose``, ``nonzero``...): integer- or
   boolean-valued, so the derivative is zero wherever it exists: NumPy's function on
   the Tensors' data, arrays in the result returned as Tensors (only functions whose
   results are integers or booleans whatever the inputs: a float result could depend
   on a differentiated argument);
   Arrays read from files, buffers or iterables (``loadtxt``, ``fromiter``...) and
   made from sizes alone (``tri``, ``hanning``...): NumPy's function, as Tensors;
5. **forwarded as is**: classes and dtypes (``float64``, ``finfo``, ``errstate``),
   constants (``pi``, ``inf``, ``newaxis``) and the submodules in ``SUBMODULES``;
6. anything else NumPy has (a function with no dualad op): an ``AttributeError``
   naming it and saying it is not differentiable in dualad yet.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops import interop
from ..tensor import Tensor, _wrap
from . import _creation, _ufunc
from ._creation import holds_tensor

# 1. NumPy functions about shapes, dtypes and printing: no values involved
METADATA = frozenset({
    "shape", "ndim", "size", "isscalar", "result_type", "promote_types", "can_cast",
    "min_scalar_type", "common_type", "issubdtype", "isdtype", "iscomplexobj", "isrealobj",
    "isfortran", "broadcast_shapes", "set_printoptions", "get_printoptions", "printoptions",
    "seterr", "geterr", "seterrcall", "geterrcall", "format_float_positional",
    "format_float_scientific", "array2string", "array_repr", "array_str", "may_share_memory",
    "shares_memory", "iterable", "typename", "mintypecode", "get_include", "show_config",
    "show_runtime", "info", "einsum_path", "base_repr", "binary_repr", "getbufsize",
    "setbufsize",
})

# 4b. arrays made from files, buffers, iterables or sizes alone: NumPy's function as it
# is (a value being differentiated given to it is refused as it converts), its arrays
# returned as Tensors
FROM_DATA = frozenset({
    "loadtxt", "genfromtxt", "load", "fromfile", "frombuffer", "fromiter", "fromstring",
    "fromregex", "tri", "bartlett", "blackman", "hamming", "hanning",
})

# 4. integer- or boolean-valued NumPy functions: no gradient to lose
NO_GRADIENT = frozenset({
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "iscomplex", "isreal",
    "isclose", "allclose", "array_equal", "array_equiv", "argsort", "argpartition", "lexsort",
    "searchsorted", "nonzero", "flatnonzero", "argwhere", "count_nonzero", "digitize", "any",
    "all", "logical_and", "logical_or", "logical_not", "logical_xor", "unravel_index",
    "ravel_multi_index", "indices", "tril_indices", "triu_indices", "diag_indices",
    "tril_indices_from", "triu_indices_from", "diag_indices_from", "nanargmax", "nanargmin",
    "ix_", "isin", "mask_indices",
    # integer inputs and results
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert", "invert",
    "bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift",
    "bitwise_count", "gcd", "lcm", "packbits", "unpackbits",
    # np.linalg
    "matrix_rank",
})

# 5. submodules forwarded unchanged (no values of a differentiated function pass through
# them: random numbers, test assertions, dtype classes)
SUBMODULES = frozenset({"random", "testing", "exceptions", "dtypes", "typing"})

# parameters that hold a sequence of arrays (np.stack(arrays), np.vstack(tup), ...)
_SEQUENCE_PARAMS = ("arrays", "tup")
# parameters that take an array, by the names NumPy gives them (an ``*arys`` or
# ``*operands`` takes arrays too)
_ARRAY_PARAMS = frozenset({
    "a", "b", "v", "m", "A", "x", "y", "p", "f", "x1", "x2", "ary", "arr", "array", "arys",
    "operands", "values", "weights", "prepend", "append", "to_end", "to_begin", "condition",
    "a_min", "a_max", "min", "max", "prototype", "xp", "fp",
})
_MISSING = object()


def _raw(obj: Any) -> Any:
    """``obj`` with every Tensor (also inside lists and tuples) replaced by its data."""
    if isinstance(obj, Tensor):
        return obj._data
    if isinstance(obj, (list, tuple)) and holds_tensor(obj):
        return type(obj)(_raw(o) for o in obj)
    return obj


def _as_tensors(obj: Any) -> Any:
    """NumPy arrays and scalars in a result (also inside a tuple) as Tensors."""
    if isinstance(obj, (np.ndarray, np.generic)):
        return _wrap(np.asarray(obj))
    if isinstance(obj, tuple):
        return tuple(_as_tensors(o) for o in obj)
    return obj


def _argument_kinds(np_func: Any) -> tuple[list[str | None], dict[str, str | None], str | None]:
    """Which of ``np_func``'s parameters take an array ("array") or a sequence of arrays
    ("sequence"), read from NumPy's signature: by position, by keyword, and for ``*args``."""
    try:
        params = list(inspect.signature(np_func).parameters.values())
    except (TypeError, ValueError):
        return [], {}, None
    positional: list[str | None] = []
    keyword: dict[str, str | None] = {}
    varargs: str | None = None
    for p in params:
        kind = "sequence" if p.name in _SEQUENCE_PARAMS else \
            "array" if p.name in _ARRAY_PARAMS else None
        if p.kind is p.VAR_POSITIONAL:
            varargs = kind
        elif p.kind is not p.VAR_KEYWORD:
            if p.kind is not p.KEYWORD_ONLY:
                positional.append(kind)
            if p.kind is not p.POSITIONAL_ONLY:
                keyword[p.name] = kind
    return positional, keyword, varargs


def _name_it(fn: Callable[..., Any], name: str, np_func: Any, what: str) -> Callable[..., Any]:
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` for dualad: {what}. See NumPy's documentation."
    fn.__wrapped__ = np_func  # type: ignore[attr-defined]  # (NumPy's signature for help())
    return fn


def _metadata(name: str, np_func: Any) -> Callable[..., Any]:
    def fn(*args: Any, **kwargs: Any) -> Any:
        return np_func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})

    return _name_it(fn, name, np_func, "NumPy's function on the values (no derivative "
                                       "involved)")


def _no_gradient(name: str, np_func: Any) -> Callable[..., Any]:
    def fn(*args: Any, **kwargs: Any) -> Any:
        return _as_tensors(np_func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()}))

    return _name_it(fn, name, np_func, "integer- or boolean-valued, so it carries no "
                                       "gradient; arrays come back as Tensors")


def _from_data(name: str, np_func: Any) -> Callable[..., Any]:
    def fn(*args: Any, **kwargs: Any) -> Any:
        return _as_tensors(np_func(*args, **kwargs))

    return _name_it(fn, name, np_func, "NumPy's function, its arrays returned as Tensors")


def _differentiable(name: str, np_func: Any) -> Callable[..., Any]:
    """The interop entry of ``np_func`` under its NumPy name; a list or tuple holding Tensors
    where NumPy takes an array becomes one (``dualad.numpy.asarray``), so gradients flow."""
    positional, keyword, varargs = _argument_kinds(np_func)

    def fn(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_convert(a, positional[i] if i < len(positional) else varargs)
                     for i, a in enumerate(args))
        kwargs = {k: _convert(v, keyword.get(k)) for k, v in kwargs.items()}
        return interop.array_function(np_func, (Tensor,), args, kwargs)

    return _name_it(fn, name, np_func, "differentiable, NumPy's semantics")


def _convert(arg: Any, kind: str | None) -> Any:
    """An argument as NumPy would see it, where that matters for the gradient: a list or
    tuple where NumPy takes an array becomes a Tensor (``dualad.numpy.asarray``), and so
    does each list in a sequence of arrays; elsewhere, only a list holding Tensors."""
    if not isinstance(arg, (list, tuple)):
        return arg
    if kind == "array" or (kind is None and holds_tensor(arg)):
        return _creation.asarray(arg)
    if kind == "sequence":
        return type(arg)(_creation.asarray(a) if isinstance(a, (list, tuple)) else a
                         for a in arg)
    return arg


def not_differentiable(module: str, name: str) -> AttributeError:
    return AttributeError(
        f"{module}.{name}: numpy{module[len('dualad.numpy'):]}.{name} is not differentiable "
        "in dualad yet (dualad has no op for it), so dualad.numpy does not offer it: calling "
        "NumPy's would drop the derivative. Write it with the functions dualad.numpy has, "
        "or call NumPy's on x.detach().numpy() if you do not need the derivative. See "
        "docs/numpy-code.md.")


class Namespace:
    """Resolves the names of the NumPy module ``np_module`` for ``module`` (a dualad.numpy
    module), with ``explicit`` definitions first and ``dualad_module`` (imported on first
    use, if it exists) as a source of NumPy-named functions the tables lack."""

    def __init__(self, module: str, np_module: types.ModuleType, explicit: dict[str, Any],
                 dualad_module: str | None = None) -> None:
        self.module = module
        self.np_module = np_module
        self.explicit = explicit
        self.dualad_module = dualad_module

    @functools.cached_property
    def _dualad(self) -> types.ModuleType | None:
        if self.dualad_module is None:
            return None
        try:
            return importlib.import_module(self.dualad_module)
        except ImportError:  # (not written yet: the tables alone)
            return None

    def _kind(self, name: str) -> tuple[str, Any]:
        """What ``name`` stands for, as (category, object), without building anything;
        raises AttributeError for a name that is not offered."""
        if name in self.explicit:
            return "explicit", self.explicit[name]
        if name.startswith("_"):
            raise AttributeError(f"module {self.module!r} has no attribute {name!r}")
        np_obj = vars(self.np_module).get(name, _MISSING)
        if np_obj is _MISSING:
            if name in SUBMODULES and name in dir(self.np_module):
                return "submodule", None  # (not imported yet: numpy imports it on access)
            raise AttributeError(f"module {self.module!r} has no attribute {name!r}"
                                 + (f": numpy{self.module[12:]}.{name} is not offered"
                                    if name in dir(self.np_module) else ""))
        if name in METADATA:
            return "metadata", np_obj
        if _hashable(np_obj) and (np_obj in interop.UFUNCS or np_obj in interop.FUNCTIONS):
            return ("ufunc" if isinstance(np_obj, np.ufunc) else "function"), np_obj
        dualad_fn = getattr(self._dualad, name, None)
        if callable(dualad_fn) and not isinstance(np_obj, type):
            return "dualad", dualad_fn
        if name in NO_GRADIENT:
            return "no gradient", np_obj
        if name in FROM_DATA:
            return "from data", np_obj
        if isinstance(np_obj, type) or not callable(np_obj):
            if isinstance(np_obj, types.ModuleType) and name not in SUBMODULES:
                raise AttributeError(f"{self.module}.{name}: the NumPy submodule "
                                     f"numpy.{name} is not offered by dualad.numpy")
            return "numpy", np_obj  # classes, dtypes, constants, index helpers (np.s_)
        raise not_differentiable(self.module, name)

    def resolve(self, name: str) -> Any:
        """The object ``name`` stands for, or raise AttributeError."""
        kind, obj = self._kind(name)
        if kind == "submodule":
            return getattr(self.np_module, name)
        if kind == "metadata":
            return _metadata(name, obj)
        if kind == "ufunc":
            return _ufunc.Ufunc(name, obj)
        if kind == "function":
            return _differentiable(name, obj)
        if kind == "no gradient":
            return _no_gradient(name, obj)
        if kind == "from data":
            return _from_data(name, obj)
        return obj

    def public_names(self) -> list[str]:
        """Every name that resolves (the module's ``__all__`` and ``dir()``)."""
        names = set(self.explicit) | (SUBMODULES & set(dir(self.np_module)))
        for name in vars(self.np_module):
            try:
                self._kind(name)
            except AttributeError:
                continue
            names.add(name)
        return sorted(n for n in names if not n.startswith("_"))


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def module_getattr(namespace: Namespace, globals_: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that resolves through ``namespace`` and keeps the result
    in the module (so the next access is an ordinary attribute lookup)."""
    @functools.wraps(namespace.resolve)
    def __getattr__(name: str) -> Any:
        value = namespace.resolve(name)
        if not name.startswith("__"):
            globals_[name] = value
        return value

    return __getattr__
