"""PyTorch-style repr: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np


def _format_data(data: np.ndarray) -> str:
    if data.dtype.kind == "f":
        text = np.array2string(data, separator=", ", precision=4, suppress_small=False,
                               floatmode="maxprec_equal", max_line_width=80)
    else:
        text = np.array2string(data, separator=", ", max_line_width=80)
    return text.replace("\n", "\n       ")


def tensor_repr(t) -> str:
    data = t._data
    body = _format_data(data)
    extras = []
    if data.dtype == np.float32:
        extras.append("dtype=float32")
    elif data.dtype.kind not in "fb" and data.dtype != np.int64:
        extras.append(f"dtype={data.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad_flag:
        extras.append("requires_grad=True")
    if t._tangents:
        extras.append("tangent=" + "; ".join(_format_data(v._data) for v in t._tangents.values()))
    suffix = "".join(", " + e for e in extras)
    return f"tensor({body}{suffix})"
