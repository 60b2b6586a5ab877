"""What a recorded graph keeps alive: only the values its rules read (as PyTorch).

Large arrays that a node needs only for their shape (an input no rule reads, an
output no rule reads) are replaced by stand-ins that hold no memory; the
registry suite's ``saved_values`` check shows that no rule reads them.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np

import dualad as da

N = 100_000  # 800 kB per float64 array: above the size a node holds just for its shape


def _held_by_graph(build, low: float = -2.0) -> tuple[float, da.Tensor, da.Tensor]:
    """Bytes still allocated after ``build(x)`` returns (its temporaries freed), in arrays;
    ``x`` is N points from ``low`` to 2."""
    x = da.tensor(np.linspace(low, 2.0, N), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = build(x)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held / (8 * N), x, y


def test_the_graph_keeps_only_what_the_rules_read():
    # sum(sin(x) * exp(-x**2)): mul reads sin(x) and exp(...), exp reads its output, sin and
    # pow read x (the leaf); x**2, its negation and the product are read by no rule
    arrays, x, y = _held_by_graph(lambda x: (da.sin(x) * da.exp(-x ** 2)).sum())
    assert 2.0 <= arrays < 2.5
    y.backward()
    xs = np.linspace(-2.0, 2.0, N)
    np.testing.assert_allclose(x.grad.numpy(),
                               (np.cos(xs) - 2 * xs * np.sin(xs)) * np.exp(-xs ** 2),
                               rtol=1e-13, atol=1e-15)


def test_pow_keeps_its_output_only_when_the_exponent_is_differentiated():
    arrays, _, _ = _held_by_graph(lambda x: (x ** 3).sum())
    assert arrays < 0.5
    e = da.tensor(2.0, requires_grad=True)
    arrays, x, y = _held_by_graph(lambda x: (x ** e).sum(), low=0.5)
    assert 1.0 <= arrays < 1.5
    y.backward()
    xs = np.linspace(0.5, 2.0, N)
    np.testing.assert_allclose(x.grad.numpy(), 2 * xs, rtol=1e-15)
    # d/de sum(x**e) at e = 2
    np.testing.assert_allclose(e.grad.numpy(), np.sum(xs ** 2 * np.log(xs)), rtol=1e-12)


def test_an_intermediate_no_rule_reads_is_freed_with_its_tensor():
    x = da.tensor(np.linspace(-1.0, 1.0, N), requires_grad=True)
    h = x * 2.0
    data = weakref.ref(h._data)
    y = da.tanh(h).sum()  # tanh's rule reads its output, not its input
    del h
    gc.collect()
    assert data() is None
    y.backward()
    xs = np.linspace(-1.0, 1.0, N)
    np.testing.assert_allclose(x.grad.numpy(), 2.0 / np.cosh(2 * xs) ** 2, rtol=1e-12)


def test_small_arrays_and_graph_answers_are_unaffected_by_stand_ins():
    # the same graph on 3 elements (held as they are) and on N (stand-ins) gives the same
    # gradient at the shared points, through create_graph too
    for n in (3, N):
        x = da.tensor(np.linspace(0.5, 1.5, n), requires_grad=True)
        y = ((x * 3.0).exp() / (x + 1.0)).sum()
        (g,) = da.autograd.grad(y, x, create_graph=True)
        (h,) = da.autograd.grad(g.sum(), x)
        xs = np.linspace(0.5, 1.5, n)
        e = np.exp(3 * xs)
        np.testing.assert_allclose(g.detach().numpy(), e * (3 / (xs + 1) - 1 / (xs + 1) ** 2),
                                   rtol=1e-12)
        want = e * (9 / (xs + 1) - 6 / (xs + 1) ** 2 + 2 / (xs + 1) ** 3)
        np.testing.assert_allclose(h.numpy(), want, rtol=1e-12)


def test_the_same_holds_under_saved_tensor_hooks():
    packed = []

    def pack(t):
        packed.append(t.shape)
        return t

    def build(x):
        with da.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            return (da.sin(x) * da.exp(-x ** 2)).sum()

    arrays, x, y = _held_by_graph(build)
    assert 2.0 <= arrays < 2.5
    assert len(packed) == 5  # sin: x; pow: x; exp: its output; mul: both factors
    y.backward()
    xs = np.linspace(-2.0, 2.0, N)
    np.testing.assert_allclose(x.grad.numpy(),
                               (np.cos(xs) - 2 * xs * np.sin(xs)) * np.exp(-xs ** 2),
                               rtol=1e-13, atol=1e-15)
