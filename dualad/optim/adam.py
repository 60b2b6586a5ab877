"""Adam (Kingma & Ba), with PyTorch's bias correction, L2 weight decay and AMSGrad.

For gradient ``g`` of parameter ``p`` at step ``t`` (from 1)::

    g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    v_max = max(v_max, v)                       (amsgrad=True; then v_max replaces v below)
    p = p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

>>> import dualad as da
>>> w = da.tensor([3.0], requires_grad=True)
>>> opt = da.optim.Adam([w], lr=0.5)
>>> (w * w).sum().backward()
>>> opt.step()
>>> round(w.item(), 6)   # the first Adam step moves each coordinate by about lr
2.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import ops
from ..creation import zeros_like
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class Adam(Optimizer):
    """Adam with bias-corrected moments and L2 ``weight_decay`` (PyTorch's ``Adam``, not
    ``AdamW``); the per-parameter state holds ``step``, ``exp_avg`` and ``exp_avg_sq``, and
    with ``amsgrad=True`` also ``max_exp_avg_sq``, the running maximum that then takes the
    place of ``exp_avg_sq`` in the step (Reddi et al.; PyTorch's ``amsgrad``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonnegative(group, "eps", "weight_decay")
        betas = group["betas"]
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or not all(isinstance(b, (int, float)) and 0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"Invalid betas: {betas!r} (need two numbers in [0, 1), e.g. "
                             "(0.9, 0.999))")

    def _update(self, p: Tensor, grad: Tensor, state: dict, group: dict) -> None:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        v.mul_(beta2).add_(grad * grad, alpha=1.0 - beta2)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"].copy_(ops.maximum(state["max_exp_avg_sq"], v))
        denom = ops.sqrt(v) / math.sqrt(1.0 - beta2 ** t) + group["eps"]
        p.sub_(m / denom, alpha=group["lr"] / (1.0 - beta1 ** t))
