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

from .._fperr import quiet_off, quiet_on
from .._state import state
from ..registry import batched_rules, fit_batched_array_to
from ..tensor import Tensor
from .engine import _walk
from .node import OpNode, edge_node, edge_of


def _raw_mode_allowed() -> bool:
    """No dual level, anomaly mode, kink tracker or non-default policy needs Tensors."""
    return not (state.levels or state.anomaly or state.kink_trackers or state.strong_zero
                or state.kink_policy != "subgradient")


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
    if not _raw_mode_allowed():
        return None
    batch = cotangents.shape[0]
    result = [np.zeros((batch,) + x._data.shape, x._data.dtype) for x in inputs]
    if not output.requires_grad_flag:
        return result
    targets: dict[Any, list[int]] = {}  # node -> the inputs it stands for (one may repeat)
    for i, x in enumerate(inputs):
        if x.requires_grad_flag:
            targets.setdefault(edge_node(edge_of(x)), []).append(i)
    root = edge_node(edge_of(output))
    order, need, stale = _walk([root], targets)
    for node in order:  # fail (or give up) before any work
        if node not in need or node in targets:
            continue
        if type(node) is not OpNode or node._extras is not None \
                or batched_rules(node.op) is None:
            return None
    for node in stale:
        if node in need and node not in targets:
            node.check_versions()
    buffers: dict[Any, Any] = {root: cotangents}  # nodes hash by identity
    prev = state.array_rules
    state.array_rules = True
    quiet = quiet_on()  # inf/nan follow the conventions, as in the engine
    try:
        for node in order:
            g = buffers.pop(node, None)
            if g is None or node not in need:
                continue
            if node in targets:
                g = np.asarray(g)  # already fitted to the input by the node that fed it
                for i in targets[node]:
                    result[i] = g.copy() if i != targets[node][0] or not g.flags.writeable \
                        else g
                continue
            _pull_through(node, g, buffers, need)
    finally:
        quiet_off(quiet)
        state.array_rules = prev
    return result


def _pull_through(node: OpNode, g: np.ndarray, buffers: dict, need: set) -> None:
    """Run ``node``'s batched rules on ``g`` and add the results into the next buffers."""
    inputs = node.raw_inputs(False)  # versions were checked before the pass
    out = node.out_data if node.op.hints.saves_output else None
    params = node.params
    rules = batched_rules(node.op)
    for i, edge in enumerate(node.next_edges):
        if edge is None or rules[i] is None:
            continue
        nxt = edge_node(edge)
        if nxt not in need:
            continue
        c = rules[i](g, out, *inputs, **params)
        if c is None:
            continue
        shape, dtype = node.input_meta(i)
        c = fit_batched_array_to(c._data if isinstance(c, Tensor) else c, shape, dtype)
        old = buffers.get(nxt)
        buffers[nxt] = c if old is None else old + c
