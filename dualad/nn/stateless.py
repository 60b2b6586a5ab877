"""Run a module with other parameters: ``functional_call`` (``torch.func.functional_call``).

>>> import numpy as np
>>> import dualad as da
>>> from dualad import func
>>> lin = da.nn.Linear(2, 1)
>>> params = {"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])}
>>> func.functional_call(lin, params, (da.tensor([[3.0, 4.0]]),)).item()
11.5
>>> g = func.grad(lambda p: func.functional_call(lin, p, (da.tensor([[3.0, 4.0]]),)).sum())
>>> g(params)["weight"]
array([[3., 4.]])
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor, _wrap
from .module import Module

__all__ = ["functional_call", "params_dict"]


def _walk(module: Module, prefix: str, path: set[int]) -> Iterator[tuple[str, Module]]:
    """Every (dotted name, submodule), a module shared under two names listed under both."""
    yield prefix, module
    path = path | {id(module)}
    for name, child in module.__dict__["_modules"].items():
        if child is not None and id(child) not in path:
            yield from _walk(child, f"{prefix}.{name}" if prefix else name, path)


def _slots(module: Module) -> dict[str, tuple[Module, str, str]]:
    """Every parameter and buffer name -> (owning module, attribute, "_parameters" or
    "_buffers"), tied ones under each of their names."""
    out = {}
    for prefix, mod in _walk(module, "", set()):
        for key in ("_parameters", "_buffers"):
            for attr, value in mod.__dict__[key].items():
                if value is not None:
                    out[f"{prefix}.{attr}" if prefix else attr] = (mod, attr, key)
    return out


def _as_value(name: str, v: Any) -> Tensor:
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (np.ndarray, np.generic, int, float)) and not isinstance(v, bool):
        return _wrap(np.asarray(v, dtype=np.result_type(v, np.float64)))
    raise TypeError(f"functional_call: the value for {name!r} is a {type(v).__name__}; give a "
                    "Tensor or a NumPy array")


def _merge(params_and_buffers: Mapping | Sequence[Mapping]) -> dict[str, Any]:
    dicts = [params_and_buffers] if isinstance(params_and_buffers, Mapping) else list(
        params_and_buffers)
    merged: dict[str, Any] = {}
    for d in dicts:
        if not isinstance(d, Mapping):
            raise TypeError("functional_call: params_and_buffers must be a dict of dotted "
                            f"names to values (or a tuple of dicts), got {type(d).__name__}")
        for k, v in d.items():
            if k in merged:
                raise ValueError(f"functional_call: {k!r} appears in more than one of the "
                                 "dicts given")
            merged[k] = v
    return merged


def functional_call(module: Module, params_and_buffers: Mapping | Sequence[Mapping],
                    args: Any = (), kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by
    ``params_and_buffers`` (dotted names, as ``named_parameters`` gives), then restored,
    also when the call raises.

    ``args`` is a tuple of positional arguments (a single non-tuple value is one
    argument). Names missing from the dict keep the module's own values, unless
    ``strict`` (then every parameter and buffer must be given). A name the module does
    not have raises. With ``tie_weights`` (default) a value given for one name of a
    parameter shared under several names replaces it under all of them (giving two
    different values for them raises). The module itself is never changed, so
    ``func.grad(lambda p: loss(functional_call(model, p, (x,))))(params)`` differentiates
    with respect to the dict ``params``.

    >>> import dualad as da
    >>> from dualad import func
    >>> model = da.nn.Linear(3, 1)
    >>> p = func.params_dict(model)
    >>> sorted(p)
    ['bias', 'weight']
    >>> out = func.functional_call(model, p, (da.ones(2, 3),))
    >>> out.shape
    (2, 1)
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: the first argument must be a dualad.nn.Module, got "
                        f"{type(module).__name__}")
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError(f"functional_call: kwargs must be a dict, got {type(kwargs).__name__}")
    given = _merge(params_and_buffers)
    slots = _slots(module)
    unknown = [k for k in given if k not in slots]
    if unknown:
        hints = {k: difflib.get_close_matches(str(k), list(slots), n=1) for k in unknown}
        extra = "".join(f" ({k!r}: did you mean {h[0]!r}?)" for k, h in hints.items() if h)
        raise ValueError(f"functional_call: {type(module).__name__} has no parameter or buffer "
                         f"named {unknown}{extra}; its names are {sorted(slots)}")
    values = {k: _as_value(k, v) for k, v in given.items()}
    if tie_weights:  # a value for one name of a shared tensor goes to each of its names
        names_of: dict[int, list[str]] = {}
        for name, (mod, attr, key) in slots.items():
            names_of.setdefault(id(mod.__dict__[key][attr]), []).append(name)
        for names in names_of.values():
            chosen = [(n, values[n]) for n in names if n in values]
            if len({id(v) for _, v in chosen}) > 1:
                raise ValueError(f"functional_call: {[n for n, _ in chosen]} are one tied "
                                 "parameter (tie_weights=True) but got different values; give "
                                 "one of them, or pass tie_weights=False")
            if chosen:
                for n in names:
                    values.setdefault(n, chosen[0][1])
    if strict:
        missing = sorted(set(slots) - set(values))
        if missing:
            raise ValueError(f"functional_call(strict=True): no value given for {missing}")
    saved = []
    try:
        for name, value in values.items():
            mod, attr, key = slots[name]
            reg = mod.__dict__[key]
            saved.append((reg, attr, reg[attr]))
            reg[attr] = value
        if not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for reg, attr, old in reversed(saved):
            reg[attr] = old


def params_dict(module: Module, buffers: bool = False) -> dict[str, Tensor]:
    """The module's parameters (and buffers with ``buffers=True``) by dotted name, detached:
    a pytree to differentiate through :func:`functional_call`. The tensors share storage with
    the module's (the transforms copy before running, so they never write to it).

    >>> import dualad as da
    >>> from dualad import func
    >>> p = func.params_dict(da.nn.Sequential(da.nn.Linear(2, 3), da.nn.Tanh()))
    >>> {k: v.shape for k, v in p.items()}
    {'0.weight': (3, 2), '0.bias': (3,)}
    """
    if not isinstance(module, Module):
        raise TypeError(f"params_dict: expected a dualad.nn.Module, got {type(module).__name__}")
    out = {k: v.detach() for k, v in module.named_parameters()}
    if buffers:
        out.update({k: v.detach() for k, v in module.named_buffers()})
    return out
