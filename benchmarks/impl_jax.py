"""The workloads in JAX (eager, float64, CPU), as a peer column.

Not installed on the machine the suite was written on: the column appears
only where ``import jax`` works. Eager (no ``jit``), like the other peers.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
NAME = "jax"
VERSION = jax.__version__


def _chain(x, reps):
    for _ in range(reps):
        x = jnp.tanh(jnp.sin(x) * 1.0001 + 0.1)
    return jnp.sum(x)


def w1(d: dict):
    x, reps = jnp.asarray(d["x"]), d["reps"]
    g = jax.grad(lambda x: _chain(x, reps))
    return lambda: g(x).block_until_ready()


def w2(d: dict):
    X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])
    params = tuple(jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2"))

    def loss(ps):
        W1, b1, W2, b2 = ps
        h = jnp.tanh(X @ W1 + b1)
        return jnp.mean((h @ W2 + b2 - Y) ** 2)
    g = jax.grad(loss)
    return lambda: jax.block_until_ready(g(params))


def _f3(x):
    return jnp.sum(jnp.sin(x) * jnp.exp(-x ** 2))


def w3_grad(d: dict):
    x, g = jnp.asarray(d["x"]), jax.grad(_f3)
    return lambda: g(x).block_until_ready()


def w3_jvp(d: dict):
    x, v = jnp.asarray(d["x"]), jnp.asarray(d["v"])
    return lambda: jax.block_until_ready(jax.jvp(_f3, (x,), (v,)))


def _w4(kind: str):
    def build(d: dict):
        W, x = jnp.asarray(d["W"]), jnp.asarray(d["x"])
        j = getattr(jax, kind)(lambda x: jnp.tanh(W @ x) + x ** 3)
        return lambda: j(x).block_until_ready()
    return build


def w5(d: dict):
    A, x = jnp.asarray(d["A"]), jnp.asarray(d["x"])
    h = jax.hessian(lambda x: jnp.sum(x ** 4) + x @ A @ x)
    return lambda: h(x).block_until_ready()


def w6(d: dict):
    x, steps = jnp.asarray(d["x"]), d["steps"]

    def f(x):
        for _ in range(steps):
            x = x * 1.0000001 + 1e-9
        return x
    g = jax.grad(f)
    return lambda: g(x).block_until_ready()


def w8(d: dict):
    f = lambda x: jnp.sin(x) * jnp.exp(x)
    for _ in range(4):
        f = jax.grad(f)
    x = jnp.asarray(d["x"])
    return lambda: f(x).block_until_ready()


CASES = {"w1.scalar": w1, "w1.vector": w1, "w2": w2, "w3.grad": w3_grad, "w3.jvp": w3_jvp,
         "w4.jacfwd": _w4("jacfwd"), "w4.jacrev": _w4("jacrev"), "w5.n50": w5, "w5.n200": w5,
         "w6": w6, "w8.autograd": w8, "w8.func": w8}


def to_numpy(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return [to_numpy(v) for v in x]
    return np.asarray(x)
