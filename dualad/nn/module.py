"""``Module``: the base class of layers and models (PyTorch's ``nn.Module`` semantics).

Assigning a :class:`Parameter` or a ``Module`` as an attribute registers it;
``parameters()`` and ``named_parameters()`` walk the tree; ``state_dict()``
and ``load_state_dict()`` save and restore the values.

>>> import dualad as da
>>> class Affine(da.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = da.nn.Parameter(da.ones(3))
...         self.shift = da.nn.Parameter(da.zeros(3))
...     def forward(self, x):
...         return x * self.scale + self.shift
>>> m = Affine()
>>> [name for name, _ in m.named_parameters()]
['scale', 'shift']
>>> m(da.tensor([1.0, 2.0, 3.0]))
tensor([1., 2., 3.], grad_fn=<AddBackward0>)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and model: subclass it and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    # ---------------------------------------------------------- registration
    def _registries(self) -> tuple[dict, dict, dict]:
        try:
            return (self.__dict__["_parameters"], self.__dict__["_buffers"],
                    self.__dict__["_modules"])
        except KeyError:
            raise AttributeError(
                f"cannot assign parameters or submodules to {type(self).__name__} before "
                "Module.__init__() has run; call super().__init__() first in __init__") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Parameter, Module)):
            params, buffers, modules = self._registries()
            target = params if isinstance(value, Parameter) else modules
            for d in (params, buffers, modules):
                if d is not target:
                    d.pop(name, None)
            self.__dict__.pop(name, None)
            target[name] = value  # a replaced one keeps its place (and its state_dict key's)
            return
        d = self.__dict__
        params = d.get("_parameters", {})
        if name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(dualad.nn.Parameter or None expected); to change its values in place "
                    f"use 'with dualad.no_grad(): module.{name}.copy_(value)'")
            params[name] = None
            return
        for key in ("_modules", "_buffers"):
            reg = d.get(key, {})
            if name in reg:
                if key == "_modules" and value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                    f"'{name}' (dualad.nn.Module or None expected)")
                if key == "_buffers" and value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"cannot assign '{type(value).__name__}' as buffer "
                                    f"'{name}' (dualad.Tensor or None expected)")
                reg[name] = value
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            reg = d.get(key)
            if reg is not None and name in reg:
                return reg[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            reg = self.__dict__.get(key, {})
            if name in reg:
                del reg[name]
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or ``None``, a declared but absent parameter) under ``name``."""
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (dualad.nn.Parameter or None required)")
        self._registries()[0][name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Register a tensor that is state but not a parameter (saved in ``state_dict``)."""
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (dualad.Tensor or None required)")
        self._registries()[1][name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name``."""
        _check_name(self, name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a dualad.nn.Module subclass")
        self._registries()[2][name] = module

    # ---------------------------------------------------------------- walking
    def named_modules(self, prefix: str = "", memo: set | None = None
                      ) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, each once, with dotted names."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the direct submodules."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, key: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in mod.__dict__[key].items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a shared parameter is listed once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, in registration order (pass it to an optimizer)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` pairs."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every registered buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and its submodules; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``. It does not turn off autograd (use no_grad)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (``False`` freezes the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to ``None``, or to zeros in place)."""
        zero_grads(self.parameters(), set_to_none)

    def to(self, dtype: Any) -> Module:
        """Convert every floating parameter and buffer (and its ``.grad``) to ``dtype``.

        The tensors stay the same objects, so optimizers built earlier still hold
        them; returns self. ``dtype`` must be a floating or complex dtype (as in
        PyTorch: an integer one would truncate the weights).
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Module.to: {dtype!r} is not a dtype; give one such as "
                            "np.float32 or 'float64'") from None
        if dtype.kind not in "fc":
            raise TypeError(f"Module.to only accepts floating point or complex dtypes, but got "
                            f"desired dtype={dtype}")
        with no_grad():
            for t in [*self.parameters(), *self.buffers()]:
                if t.dtype.kind == "f" and t.dtype != dtype:
                    t.data = t.data.astype(dtype)
                    if t._grad is not None:
                        t._grad = t._grad.detach().astype(dtype)
        return self

    def float(self) -> Module:
        """``to("float32")``."""
        return self.to(np.float32)

    def double(self) -> Module:
        """``to("float64")``."""
        return self.to(np.float64)

    # ------------------------------------------------------------------ state
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and buffers by dotted name, detached (sharing storage).

        As in PyTorch: module by module, each module's parameters then its
        buffers, and a shared (tied) tensor or module under every name it has,
        so checkpoints have PyTorch's keys.
        """
        out: OrderedDict = OrderedDict()
        for key in ("_parameters", "_buffers"):
            for name, value in self.__dict__[key].items():
                if value is not None:
                    out[prefix + name] = value if keep_vars else value.detach()
        for name, child in self._modules.items():
            if child is not None:
                out.update(child.state_dict(f"{prefix}{name}.", keep_vars))
        return out

    def load_state_dict(self, state_dict: Mapping, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Every key (with ``strict``), value type, shape and dtype is checked
        before anything is copied, so a bad checkpoint changes nothing. Values
        are Tensors or NumPy arrays; a dtype is copied when NumPy casts it
        within its kind (float64 into float32, int into float), and refused
        when the cast would lose values (complex into real, float into int).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected state_dict to be a dict (name -> "
                            f"Tensor), got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and (missing or unexpected):
            problems.append(f"missing keys {missing}, unexpected keys {unexpected} (pass "
                            "strict=False to ignore missing and unexpected keys)")
        values = {}
        for k, target in own.items():
            if k in state_dict:
                data, problem = _checkpoint_value(k, state_dict[k], target)
                if problem:
                    problems.append(problem)
                values[k] = data
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               + "; ".join(problems) + "; nothing was copied")
        with no_grad():
            for k, data in values.items():
                own[k].copy_(data)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------- call
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module: define it in every subclass."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function: define forward(self, ...) in the subclass')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward``."""
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (override it)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"


def _checkpoint_value(key: str, value: Any, target: Tensor) -> tuple[Any, str]:
    """The checkpoint's ``value`` for ``target`` and what is wrong with it ("" if nothing)."""
    if isinstance(value, Tensor):
        data = value._data
    elif isinstance(value, (np.ndarray, np.generic)):
        data = np.asarray(value)
    else:
        return value, (f"{key}: expected a Tensor or NumPy array in the checkpoint, got "
                       f"{type(value).__name__} (convert it with da.tensor(...))")
    if data.shape != tuple(target.shape):
        return data, (f"size mismatch for {key}: the checkpoint has shape {data.shape}, "
                      f"the model has {tuple(target.shape)}")
    if not np.can_cast(data.dtype, target.dtype, casting="same_kind"):
        return data, (f"dtype mismatch for {key}: the checkpoint has {data.dtype}, which "
                      f"cannot be copied into the model's {target.dtype} without losing "
                      "values; convert it first (e.g. .real, or .astype(...))")
    return data, ""


def _check_name(module: Module, name: str, kind: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name {name!r} must be a non-empty string without '.'")
    if name in module.__dict__ and name not in ("training",):
        raise KeyError(f"attribute '{name}' already exists")


def zero_grads(params: Any, set_to_none: bool = True) -> None:
    """Reset ``.grad`` of each tensor in ``params`` (shared by Module and Optimizer)."""
    for p in params:
        g = p._grad
        if g is None:
            continue
        if set_to_none:
            p._grad = None
            continue
        if g.grad_fn is not None:
            g.detach_()
        else:
            g.requires_grad_(False)
        with no_grad():
            g.zero_()
