"""Backward is iterative (no recursion) and holds O(n) memory on deep graphs."""

import tracemalloc

import pytest

import dualad as da


def _chain(x, n):
    y = x
    for i in range(n):
        y = y * 1.000001 if i % 2 else y + 0.5
    return y


def test_a_million_op_chain_backpropagates():
    n = 1_000_000
    x = da.tensor(1.0, requires_grad=True)
    y = _chain(x, n)
    y.backward()
    expected = 1.000001 ** (n // 2)  # d/dx of the chain: product of the multipliers
    assert x.grad.item() == pytest.approx(expected, rel=1e-9)


def _peak_bytes(n):
    x = da.tensor(1.0, requires_grad=True)
    tracemalloc.start()
    try:
        y = _chain(x, n)
        y.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_memory_grows_linearly_with_chain_length():
    small, large = 5_000, 20_000
    p_small, p_large = _peak_bytes(small), _peak_bytes(large)
    per_op = p_large / large
    assert per_op < 4096, f"{per_op:.0f} bytes per op"
    # linear: four times the ops, about four times the memory (quadratic would be 16x)
    assert p_large / p_small < 4 * 1.5, (p_small, p_large)
