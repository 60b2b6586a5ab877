"""``Variable``: PyTorch's old wrapper, kept so that old tutorials run unchanged.

Since PyTorch 0.4 ``Variable(t, requires_grad=...)`` simply returns a tensor;
here it returns a new leaf tensor holding ``data``.

>>> import dualad as da
>>> from dualad.autograd import Variable
>>> Variable(da.ones(1, 2), requires_grad=True)
tensor([[1., 1.]], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


def Variable(data: Any, requires_grad: bool = False) -> Tensor:  # noqa: N802 (PyTorch's name)
    """A leaf tensor with ``data`` (shared storage if ``data`` is a Tensor)."""
    if isinstance(data, Tensor):
        out = data.detach()
        return out.requires_grad_(requires_grad) if requires_grad else out
    return Tensor(data, requires_grad=requires_grad)
