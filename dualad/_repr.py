"""PyTorch-style repr: ``tensor([1., 2.], requires_grad=True)``.

The layout follows PyTorch's printing rules: 4 digits after the point,
scientific notation when the magnitudes span more than 1000x (or are tiny or
huge), ``1.`` for integral floats, 80-character lines, and ``...`` summaries
above 1000 elements.

>>> import dualad as da
>>> da.tensor([2.0, 0.4, 0.006])
tensor([2.0000, 0.4000, 0.0060])
>>> da.tensor([True, False])
tensor([ True, False])
>>> da.sin(da.tensor(0.5, requires_grad=True))
tensor(0.4794, grad_fn=<SinBackward0>)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_PRECISION = 4
_LINEWIDTH = 80
_THRESHOLD = 1000
_EDGEITEMS = 3


class _Formatter:
    """Chooses one width and notation for all elements of an array (as PyTorch does)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        mags = np.abs(finite)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        for v in finite.tolist():
            if self.sci_mode:
                text = f"{v:.{_PRECISION}e}"
            elif self.int_mode:
                text = f"{v:.0f}."
            else:
                text = f"{v:.{_PRECISION}f}"
            self.width = max(self.width, len(text))

    def format(self, v: float) -> str:
        if not self.floating:
            text = str(v)
        elif self.sci_mode:
            text = f"{v:.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            text = f"{v:.{_PRECISION}f}"
        return text.rjust(self.width)


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements that a summarized print shows (edge items of every dimension)."""
    if data.ndim == 0:
        return data
    if data.shape[0] > 2 * _EDGEITEMS:
        data = np.concatenate([data[:_EDGEITEMS], data[-_EDGEITEMS:]])
    if data.ndim == 1:
        return data
    return np.stack([_summarized(row) for row in data]) if len(data) else data


def _vector(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (_LINEWIDTH - indent) // (fmt.width + 2))
    if summarize and data.shape[0] > 2 * _EDGEITEMS:
        items = ([fmt.format(v) for v in data[:_EDGEITEMS].tolist()] + [" ..."]
                 + [fmt.format(v) for v in data[-_EDGEITEMS:].tolist()])
    else:
        items = [fmt.format(v) for v in data.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector(data, indent, summarize, fmt)
    n = data.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        rows = ([_body(data[i], indent + 1, summarize, fmt) for i in range(_EDGEITEMS)] + ["..."]
                + [_body(data[i], indent + 1, summarize, fmt) for i in range(n - _EDGEITEMS, n)])
    else:
        rows = [_body(data[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_data(data: np.ndarray, indent: int) -> str:
    """The bracketed array text of a tensor repr whose prefix is ``indent`` characters wide."""
    if data.dtype.kind not in "biuf":  # complex and others: NumPy's own layout
        text = np.array2string(data, separator=", ", max_line_width=_LINEWIDTH)
        return text.replace("\n", "\n" + " " * indent)
    if data.size == 0:
        return "[]"
    summarize = data.size > _THRESHOLD
    fmt = _Formatter(_summarized(data) if summarize else data)
    return _body(data, indent, summarize, fmt)


def tensor_repr(t: Tensor) -> str:
    data = t._data
    prefix = "tensor("
    body = format_data(data, len(prefix))
    extras = []
    if data.size == 0 and data.ndim != 1:
        extras.append(f"size={tuple(data.shape)}")
    if data.dtype == np.float32:
        extras.append("dtype=float32")
    elif data.dtype.kind not in "fb" and data.dtype != np.int64:
        extras.append(f"dtype={data.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad_flag:
        extras.append("requires_grad=True")
    if t._tangents:
        extras.append("tangent=" + "; ".join(format_data(v._data, len(prefix))
                                             for v in t._tangents.values()))
    last = len(prefix) + len(body) - (prefix + body).rfind("\n") + 1  # as PyTorch counts it
    for e in extras:
        if last + len(e) + 2 > _LINEWIDTH:
            body += ",\n" + " " * len(prefix) + e
            last = len(prefix) + len(e)
        else:
            body += ", " + e
            last += len(e) + 2
    return f"{prefix}{body})"
