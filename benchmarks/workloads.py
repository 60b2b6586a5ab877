"""The workloads w1-w8: inputs, the NumPy floor, the hand-written NumPy derivative, targets.

A :class:`Case` is one timed computation. Its ``inputs`` are plain NumPy
arrays made from a fixed seed; ``floor`` is the forward computation in NumPy
(the time every ratio is relative to); ``hand`` is the derivative written out
by hand in NumPy and is also the oracle every library's answer is checked
against (closed forms, independent of any AD code).

>>> case = CASES["w8.autograd"]
>>> inp = case.inputs(case.size(quick=True))
>>> float(case.hand(inp)) == float(-4 * np.exp(0.7) * np.sin(0.7))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Target:
    """A target of issue 8: a ratio to the floor, or a time with PyTorch's reference time.

    ``kind`` is ``"floor"`` (dualad time / floor <= value) or ``"time"``
    (seconds). A time target is judged relative to PyTorch when PyTorch ran:
    the allowed time is ``value * torch_here / torch_ref``, since the reference
    figures came from another machine.
    """

    kind: str
    value: float
    torch_ref: float | None = None
    text: str = ""
    memory: float | None = None  # peak bytes, judged like a time (scaled by PyTorch's peak)
    torch_memory: float | None = None


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    inputs: Callable[[dict], dict]
    floor: Callable[[dict], Any] | None
    hand: Callable[[dict], Any]
    sizes: dict = field(default_factory=dict)  # {"full": {...}, "quick": {...}}
    per: Callable[[dict], int] | None = None  # divide times by this (µs per op)
    target: Target | None = None
    memory: bool = False
    rtol: float = 1e-7
    hand_timed: bool = False  # time ``hand`` as the hand-written NumPy derivative column

    @property
    def workload(self) -> str:
        return self.id.split(".")[0]

    def size(self, quick: bool) -> dict:
        return dict(self.sizes["quick" if quick else "full"])


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ------------------------------------------------------------------- w1 chain
def _w1_inputs(p: dict) -> dict:
    x = np.array(0.5) if p["shape"] == () else _rng().uniform(-1.0, 1.0, p["shape"])
    return {"x": x, "reps": p["reps"]}


def _w1_floor(d: dict) -> Any:
    x = d["x"]
    for _ in range(d["reps"]):
        x = np.tanh(np.sin(x) * 1.0001 + 0.1)
    return x.sum()


def _w1_hand(d: dict) -> Any:
    x = d["x"]
    g = np.ones_like(x)
    for _ in range(d["reps"]):
        y = np.tanh(np.sin(x) * 1.0001 + 0.1)
        g = g * (1.0 - y * y) * 1.0001 * np.cos(x)
        x = y
    return g


# --------------------------------------------------------------------- w2 MLP
def _w2_inputs(p: dict) -> dict:
    r = _rng()
    b, i, h, o = p["batch"], p["inp"], p["hidden"], p["out"]
    return {"X": r.standard_normal((b, i)), "Y": r.standard_normal((b, o)),
            "W1": r.standard_normal((i, h)) / np.sqrt(i), "b1": np.zeros(h),
            "W2": r.standard_normal((h, o)) / np.sqrt(h), "b2": np.zeros(o)}


def _w2_floor(d: dict) -> Any:
    h = np.tanh(d["X"] @ d["W1"] + d["b1"])
    out = h @ d["W2"] + d["b2"]
    return np.mean((out - d["Y"]) ** 2)


def _w2_hand(d: dict) -> tuple:
    h = np.tanh(d["X"] @ d["W1"] + d["b1"])
    out = h @ d["W2"] + d["b2"]
    d_out = 2.0 * (out - d["Y"]) / out.size
    du = (d_out @ d["W2"].T) * (1.0 - h * h)
    return d["X"].T @ du, du.sum(0), h.T @ d_out, d_out.sum(0)


# ---------------------------------------------------------- w3 big elementwise
def _w3_inputs(p: dict) -> dict:
    r = _rng()
    return {"x": r.standard_normal(p["n"]), "v": r.standard_normal(p["n"])}


def _w3_floor(d: dict) -> Any:
    x = d["x"]
    return np.sum(np.sin(x) * np.exp(-x ** 2))


def _w3_grad(d: dict) -> Any:
    x = d["x"]
    e = np.exp(-x ** 2)
    return (np.cos(x) - 2.0 * x * np.sin(x)) * e


def _w3_jvp(d: dict) -> tuple:
    x, v = d["x"], d["v"]
    s, e = np.sin(x), np.exp(-x ** 2)
    ds, de = np.cos(x) * v, e * (-2.0 * x * v)
    return np.sum(s * e), np.sum(ds * e + s * de)


# ------------------------------------------------------------- w4 Jacobians
def _w4_inputs(p: dict) -> dict:
    r = _rng()
    n = p["n"]
    return {"W": r.standard_normal((n, n)) / np.sqrt(n), "x": r.standard_normal(n)}


def _w4_floor(d: dict) -> Any:
    return np.tanh(d["W"] @ d["x"]) + d["x"] ** 3


def _w4_hand(d: dict) -> Any:
    t = np.tanh(d["W"] @ d["x"])
    return (1.0 - t * t)[:, None] * d["W"] + np.diag(3.0 * d["x"] ** 2)


# -------------------------------------------------------------- w5 Hessian
def _w5_inputs(p: dict) -> dict:
    r = _rng()
    n = p["n"]
    return {"A": r.standard_normal((n, n)) / n, "x": r.standard_normal(n)}


def _w5_floor(d: dict) -> Any:
    x = d["x"]
    return np.sum(x ** 4) + x @ d["A"] @ x


def _w5_hand(d: dict) -> Any:
    return np.diag(12.0 * d["x"] ** 2) + d["A"] + d["A"].T


# ------------------------------------------------------------ w6 deep chain
W6_A, W6_B = 1.0000001, 1e-9


def _w6_inputs(p: dict) -> dict:
    return {"x": np.array(1.0), "steps": p["steps"]}


def _w6_floor(d: dict) -> Any:
    x = d["x"]
    for _ in range(d["steps"]):
        x = x * W6_A + W6_B
    return x


def _w6_hand(d: dict) -> Any:
    return np.array(W6_A ** d["steps"])


# --------------------------------------------------------------- w7 SymPy
def _w7_inputs(p: dict) -> dict:
    return {"x": _rng().uniform(-1.0, 1.0, p["n"])}


def _w7_value(d: dict) -> Any:
    x = d["x"]
    return np.sum(np.sin(x[:-1]) * x[1:])


def _w7_grad(d: dict) -> Any:
    x = d["x"]
    g = np.zeros_like(x)
    g[:-1] += np.cos(x[:-1]) * x[1:]
    g[1:] += np.sin(x[:-1])
    return g


# ------------------------------------------------------------- w8 4th derivative
def _w8_inputs(p: dict) -> dict:
    return {"x": np.array(0.7)}


def _w8_floor(d: dict) -> Any:
    return np.sin(d["x"]) * np.exp(d["x"])


def _w8_hand(d: dict) -> Any:
    # d^n/dx^n e^x sin x = 2^(n/2) e^x sin(x + n pi/4); n = 4 gives -4 e^x sin x
    return -4.0 * np.exp(d["x"]) * np.sin(d["x"])


# ---------------------------------------------- w2.per_sample: per-sample gradients
def _w2ps_floor(d: dict) -> Any:  # the batched forward pass: per-example losses
    h = np.tanh(d["X"] @ d["W1"] + d["b1"])
    return (((h @ d["W2"] + d["b2"]) - d["Y"]) ** 2).sum(axis=1)


def _w2ps_hand(d: dict) -> tuple:
    """The gradient of each example's loss sum((tanh(x@W1+b1)@W2+b2 - y)**2), stacked."""
    h = np.tanh(d["X"] @ d["W1"] + d["b1"])
    d_out = 2.0 * (h @ d["W2"] + d["b2"] - d["Y"])
    du = (d_out @ d["W2"].T) * (1.0 - h * h)
    return (np.einsum("bi,bh->bih", d["X"], du), du, np.einsum("bh,bo->bho", h, d_out), d_out)


def _ops(p: dict) -> int:
    return 4 * p["reps"]


_W5 = dict(inputs=_w5_inputs, floor=_w5_floor, hand=_w5_hand)
_W3 = dict(inputs=_w3_inputs, floor=_w3_floor, hand_timed=True)
_W4 = dict(inputs=_w4_inputs, floor=_w4_floor, hand=_w4_hand,
           sizes={"full": {"n": 100}, "quick": {"n": 8}})

_ALL = [
    Case("w1.scalar", "1,000-op chain tanh(sin(x)*1.0001+0.1), 0-d, fwd+bwd, per op",
         _w1_inputs, _w1_floor, _w1_hand, per=_ops, hand_timed=True,
         sizes={"full": {"shape": (), "reps": 250}, "quick": {"shape": (), "reps": 10}},
         target=Target("time", 3.8e-6, 4.8e-6, "<= 3.8 us/op (torch 4.8)")),
    Case("w1.vector", "the same chain on a 1000-vector, per op",
         _w1_inputs, _w1_floor, _w1_hand, per=_ops, hand_timed=True,
         sizes={"full": {"shape": (1000,), "reps": 250}, "quick": {"shape": (50,), "reps": 10}},
         target=Target("floor", 3.0, None, "<= 3.0x floor (torch 3.4x)")),
    Case("w2", "MLP 784-256-10, batch 128, tanh, MSE: all weight gradients",
         _w2_inputs, _w2_floor, _w2_hand, hand_timed=True,
         sizes={"full": {"batch": 128, "inp": 784, "hidden": 256, "out": 10},
                "quick": {"batch": 8, "inp": 20, "hidden": 16, "out": 3}},
         target=Target("floor", 2.2, None, "<= 2.2x floor (torch 2.0x)")),
    Case("w2.per_sample", "per-sample gradients of an MLP 32-64-4 (tanh, squared error), "
         "batch 128: vmap(grad(loss), in_dims=(None, 0, 0))",
         _w2_inputs, _w2ps_floor, _w2ps_hand, hand_timed=True,
         sizes={"full": {"batch": 128, "inp": 32, "hidden": 64, "out": 4},
                "quick": {"batch": 8, "inp": 5, "hidden": 8, "out": 2}},
         target=Target("time", 7.7e-3, 7.7e-3, "<= torch.func vmap(grad) (7.7 ms)")),
    Case("w3.grad", "sum(sin(x)*exp(-x**2)), 10^6 elements: reverse gradient",
         hand=_w3_grad, sizes={"full": {"n": 10**6}, "quick": {"n": 1000}},
         target=Target("floor", 2.2, None, "<= 2.2x floor (torch 1.4x)"), **_W3),
    Case("w3.jvp", "the same, forward-mode JVP (value and tangent)",
         hand=_w3_jvp, sizes={"full": {"n": 10**6}, "quick": {"n": 1000}},
         target=Target("floor", 2.9, None, "<= 2.9x floor (torch 1.6x)"), **_W3),
    Case("w4.jacfwd", "Jacobian of tanh(W@x) + x**3, R^100 -> R^100, jacfwd", **_W4,
         target=Target("time", 250e-6, 444e-6, "<= 250 us (torch 444)")),
    Case("w4.jacrev", "the same by jacrev", **_W4,
         target=Target("time", 250e-6, 391e-6, "<= 250 us (torch 391)")),
    Case("w5.n50", "Hessian of sum(x**4) + x@A@x, n = 50", **_W5,
         sizes={"full": {"n": 50}, "quick": {"n": 5}}),
    Case("w5.n200", "the same, n = 200", **_W5,
         sizes={"full": {"n": 200}, "quick": {"n": 10}},
         target=Target("time", 3.0e-3, 3.8e-3, "<= 3.0 ms (torch 3.8)")),
    Case("w6", "100,000 steps x = x*1.0000001 + 1e-9 (200,000 nodes): fwd+bwd",
         _w6_inputs, _w6_floor, _w6_hand, memory=True, rtol=1e-9,
         sizes={"full": {"steps": 100_000}, "quick": {"steps": 500}},
         target=Target("time", 1.2, 1.6, "<= 1.2 s (torch 1.6), <= 150 MB (torch 180)",
                       memory=150e6, torch_memory=180e6)),
    Case("w6.checkpoint", "the same chain, dualad.checkpoint every sqrt(n) = 316 steps: "
         "fwd+bwd (activations recomputed, not stored)",
         _w6_inputs, _w6_floor, _w6_hand, memory=True, rtol=1e-9,
         sizes={"full": {"steps": 100_000}, "quick": {"steps": 500}}),
    Case("w7.export", "sum(sin(x[i]) * x[i+1]), n = 200: to_sympy", _w7_inputs, None, _w7_value,
         sizes={"full": {"n": 200}, "quick": {"n": 6}},
         target=Target("time", 50e-3, None, "<= 50 ms")),
    Case("w7.gradient", "the same: exact symbolic gradient", _w7_inputs, None, _w7_grad,
         sizes={"full": {"n": 200}, "quick": {"n": 6}},
         target=Target("time", 50e-3, None, "<= 50 ms (SymPy diff over 200 vars: 960 ms)")),
    Case("w8.autograd", "4th derivative of sin(x)*exp(x) at a scalar, autograd.grad nested",
         _w8_inputs, _w8_floor, _w8_hand, sizes={"full": {}, "quick": {}},
         target=Target("time", 400e-6, 431e-6, "<= 400 us (torch 431)")),
    Case("w8.func", "the same with func.grad nested four times",
         _w8_inputs, _w8_floor, _w8_hand, sizes={"full": {}, "quick": {}},
         target=Target("time", 400e-6, 431e-6, "<= 400 us (torch 431)")),
]

CASES: dict[str, Case] = {c.id: c for c in _ALL}
WORKLOADS = sorted({c.workload for c in _ALL})
