"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

The update (PyTorch's equations), for gradient ``g`` of parameter ``p``::

    g = g + weight_decay * p
    b = g                                    (first step)
    b = momentum * b + (1 - dampening) * g   (later steps)
    g = g + momentum * b   if nesterov   else   g = b      (when momentum != 0)
    p = p - lr * g

>>> import dualad as da
>>> w = da.tensor([1.0, -2.0], requires_grad=True)
>>> opt = da.optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.tolist()
[0.8, -1.6]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and
    weight-decay equations (see the module docstring); ``maximize=True`` ascends.

    ``params`` is an iterable of tensors or of parameter-group dicts. Settings
    are checked on construction (``ValueError`` naming the bad one).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        check_nonnegative(group, "momentum", "dampening", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, p: Tensor, grad: Tensor, state: dict, group: dict) -> None:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1.0 - group["dampening"])
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.sub_(grad, alpha=group["lr"])
