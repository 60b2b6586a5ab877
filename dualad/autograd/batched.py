"""Reverse mode for a batch of cotangents at once, on raw arrays: the rows of a Jacobian.

``jacrev`` pulls back every basis cotangent of an output. When the graph is
made of registered ops that have batched array rules (every elementwise op
with ``array_vjp``, and ``sum``, ``mean``, ``matmul``), the cotangents travel
together as one array with a leading batch axis, and each node runs its rules
once, on arrays. Otherwise :func:`pull_back_batched` returns None and the
caller takes the general way (a batched dual level through the Tensor rules).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import batched_rules
from ..tensor import Tensor
from .engine import _arrays_allowed, _BatchedArrayRules, _Pass, _prepare
from .node import AccumulateGrad, OpNode, edge_node, edge_of


def pull_back_batched(output: Tensor, cotangents: np.ndarray,
                      inputs: list[Tensor]) -> list[np.ndarray] | None:
    """``cotangents[b] . d output / d x`` for every ``b`` and input ``x``, stacked on axis 0.

    ``cotangents`` has shape ``(B,) + output.shape``; each result has shape
    ``(B,) + x.shape`` (zeros for an input the output does not depend on).
    The graph is kept (it can be pulled back again). Returns None, having
    changed nothing, when some node on the way has no batched rule or has
    hooks, or a mode needs Tensors.

    >>> import numpy as np, dualad as da
    >>> x = da.tensor([1.0, 2.0], requires_grad=True)
    >>> pull_back_batched(x ** 2, np.eye(2), [x])[0]
    array([[2., 0.],
           [0., 4.]])
    """
    if not _arrays_allowed(False):  # a mode needs Tensors
        return None
    batch = cotangents.shape[0]
    result = [np.zeros((batch,) + x._data.shape, x._data.dtype) for x in inputs]
    if not output.requires_grad_flag:
        return result
    targets: dict[Any, list[int]] = {}  # node -> the inputs it stands for (one may repeat)
    for i, x in enumerate(inputs):
        if x.requires_grad_flag:
            targets.setdefault(edge_node(edge_of(x)), []).append(i)  # type: ignore[arg-type]
    root: Any = edge_of(output)  # (not None: the output requires grad)
    need, order = _prepare([edge_node(root)], targets)  # (raises if the graph is stale)
    # give up (having changed nothing) on a node with hooks (they would see batched
    # gradients) or without batched rules
    for node in need:  # type: ignore[union-attr]  # (a set: targets are given)
        if node._extras is not None:
            return None
        if type(node) is not OpNode or batched_rules(node.op) is None:
            if node not in targets or not isinstance(node, AccumulateGrad):
                return None
    run = _Pass(_BatchedArrayRules, need, order, targets, False, False)
    run.start([root], [cotangents], True, keep_grad_mode=True)  # (no user code runs)
    for node, g in run.captured.items():
        g = g._data
        for k, i in enumerate(targets[node]):  # (one input may be given twice)
            result[i] = g if k == 0 and g.flags.writeable else g.copy()
    return result
