"""dualad.nondiff: the conventions table and its docs page, track(), strong_zero()."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad import nondiff, registry

PAGE = Path(__file__).resolve().parent.parent / "docs" / "nondifferentiable.md"
KINKS = [(op, k) for op in registry.ops() for k in op.kinks]
IDS = [f"{op.name}:{k.where}" for op, k in KINKS]


# ------------------------------------------------------------------ the table

def test_conventions_lists_every_declared_kink():
    rows = {(c.op, c.where) for c in nondiff.conventions()}
    assert rows == {(op.name, k.where) for op, k in KINKS}
    assert {"relu", "abs", "sign", "maximum", "minimum", "clamp", "sqrt", "log", "pow"} <= {
        op for op, _ in rows}


def test_relu_row_as_data():
    (row,) = [c for c in nondiff.conventions() if c.op == "relu"]
    assert (row.where, row.value, row.rule, row.pytorch, row.jax) == (
        "x == 0", (0.0,), 2, (0.0,), (0.0,))
    assert row.rule_text.startswith("min-norm subgradient")


@pytest.mark.parametrize("op,kink", KINKS, ids=IDS)
def test_every_kink_is_complete(op, kink):
    """Each kink gives both libraries' values; a nondifferentiable one also its mask."""
    assert kink.rule in (1, 2, 3, 4, 5)
    assert kink.pytorch is not None and kink.jax is not None, (
        f"{op.name} ({kink.where}): declare pytorch=(...) and jax=(...)")
    assert len(kink.grads) == op.arity == len(kink.pytorch) == len(kink.jax)
    if kink.rule >= 2:
        assert kink.at is not None, (
            f"{op.name} ({kink.where}): declare at=... (the mask of elements at this kink) so "
            "that the policies and track() see it")
        scalar = all(np.ndim(v) == 0 for p in kink.points for v in p)
        for point in kink.points:
            mask = kink.at(*[np.asarray(p) for p in point], **kink.params)
            assert (np.all if scalar else np.any)(mask), (
                f"{op.name}: at() marks no element at its own declared point {point}")


def _page_rows(text: str) -> set:
    rows = set()
    for line in text.splitlines():
        m = re.match(r"\| `([^`]+)` \| (.*?) \| ", line)
        if m:
            rows.add((m.group(1), m.group(2).replace("\\|", "|")))
    return rows


def test_docs_page_lists_every_kink():
    text = PAGE.read_text(encoding="utf-8")
    missing = {(op.name, k.where) for op, k in KINKS} - _page_rows(text)
    assert not missing, (f"docs/nondifferentiable.md lacks the kinks {sorted(missing)}; run "
                         "python -c 'import dualad; dualad.nondiff.write_docs()'")


def test_docs_page_table_is_generated_and_current():
    text = PAGE.read_text(encoding="utf-8")
    assert text == nondiff.render_page(text), (
        "docs/nondifferentiable.md is stale; regenerate it with "
        "python -c 'import dualad; dualad.nondiff.write_docs()'")


def test_markdown_marks_differences_from_dualad():
    table = nondiff.conventions_markdown()
    (abs_row,) = [ln for ln in table.splitlines() if ln.startswith("| `abs` | x == 0 |")]
    cells = [c.strip() for c in abs_row.strip("|").split("|")]
    assert cells[3:7] == ["0", "2 (min-norm subgradient (convex))", "0", "**1**"]


def test_render_page_without_markers_is_a_clear_error():
    with pytest.raises(ValueError, match="markers"):
        nondiff.render_page("# a page with no table\n")


@pytest.mark.parametrize("index", range(len(re.findall(r"```python\n", PAGE.read_text()))))
def test_docs_code_blocks_run(index):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    exec(compile(blocks[index], f"{PAGE.name}[block {index}]", "exec"), {})


# ---------------------------------------------------------------------- track

def _linear_relu_linear(x: np.ndarray, w1, b1, w2, b2):
    """The tutorials' TinyModel from plain ops: x @ W1.T + b1, relu, @ W2.T + b2."""
    h = da.tensor(x) @ w1.T + b1
    return h, da.relu(h) @ w2.T + b2


def test_track_counts_exact_zeros_of_a_tiny_model():
    rng = np.random.default_rng(0)
    # small integers make many pre-activations exactly 0, and exact in floating point
    x = rng.integers(-2, 3, size=(16, 4)).astype(float)
    w1 = da.tensor(rng.integers(-1, 2, size=(8, 4)).astype(float), requires_grad=True)
    b1 = da.tensor(rng.integers(-1, 2, size=8).astype(float), requires_grad=True)
    w2 = da.tensor(rng.standard_normal((3, 8)), requires_grad=True)
    b2 = da.tensor(rng.standard_normal(3), requires_grad=True)
    pre = x @ w1.detach().numpy().T + b1.detach().numpy()  # independent NumPy count
    zeros = int(np.sum(pre == 0))
    assert 10 < zeros < pre.size
    with nondiff.track() as hits:
        h, out = _linear_relu_linear(x, w1, b1, w2, b2)
        (out ** 2).sum().backward()
    assert hits.count("relu", mode="forward") == zeros
    assert hits.count("relu", mode="backward") == zeros
    assert hits.ops() == ["relu"]
    (fwd,) = [h for h in hits if h.mode == "forward"]
    assert fwd.location == f"{__file__}:{_linear_relu_linear.__code__.co_firstlineno + 3}"
    (bwd,) = [h for h in hits if h.mode == "backward"]
    assert (bwd.value, bwd.input, bwd.location) == (0.0, 0, fwd.location)


def test_track_reports_jvp_hits_and_the_value_used():
    with nondiff.track() as hits, fwAD.dual_level():
        x = fwAD.make_dual(da.tensor([0.0, 1.0, 0.0]), da.tensor([1.0, 1.0, 1.0]))
        da.abs(x)
        with nondiff.policy("jax"):
            da.abs(x)
    jvps = [h for h in hits if h.mode == "jvp"]
    assert [(h.op, h.count, h.value) for h in jvps] == [("abs", 2, 0.0), ("abs", 2, 1.0)]
    assert hits.count(mode="forward") == 4


def test_track_sees_nothing_away_from_kinks_and_stops_on_exit():
    x = da.tensor([1e-300, -1e-300, 2.0], requires_grad=True)
    with nondiff.track() as hits:
        da.relu(x).sum().backward()
    assert len(hits) == 0 and hits.summary() == "no kinks were hit"
    da.relu(da.tensor(0.0))
    assert len(hits) == 0


def test_track_warns_once_per_op():
    x = da.tensor([0.0, 0.0], requires_grad=True)
    with pytest.warns(nondiff.KinkWarning) as record, nondiff.track(warn=True):
        for _ in range(3):
            (da.relu(x) + da.abs(x)).sum().backward()
    messages = [str(w.message) for w in record if issubclass(w.category, nondiff.KinkWarning)]
    assert len(messages) == 2
    assert any("relu" in m for m in messages) and any("abs" in m for m in messages)
    assert all(w.filename == __file__ for w in record)


def test_track_is_silent_without_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with nondiff.track():
            da.relu(da.tensor(0.0, requires_grad=True)).backward()


def test_nested_trackers_both_record():
    with nondiff.track() as outer:
        with nondiff.track() as inner:
            da.sign(da.tensor([0.0, 0.0]))
        da.sign(da.tensor(0.0))
    assert (outer.count("sign"), inner.count("sign")) == (3, 2)


def test_track_counts_ties_of_maximum_per_input():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = da.tensor([1.0, 0.0, 3.0], requires_grad=True)
    with nondiff.track() as hits:
        da.maximum(x, y).sum().backward()
    assert hits.count("maximum", mode="forward") == 2
    assert hits.count("maximum", mode="backward", input=0) == 2
    assert hits.count("maximum", mode="backward", input=1) == 2
    assert {h.value for h in hits if h.mode == "backward"} == {0.5}


# ---------------------------------------------------------------- strong zero

def _trap(x):
    return da.where(x > 0, da.log(x), 0.0)


def test_where_trap_is_nan_by_default_and_zero_under_strong_zero():
    x = da.tensor([0.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        _trap(x).sum().backward()
    assert math.isnan(x.grad[0].item()) and x.grad[1].item() == 0.5
    x = da.tensor([0.0, 2.0], requires_grad=True)
    with nondiff.strong_zero():
        _trap(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.5]


def test_strong_zero_in_forward_mode():
    """A zero tangent times sqrt'(0) = inf is nan by default, 0 under strong zero."""
    def tangent():
        with fwAD.dual_level():
            x = fwAD.make_dual(da.tensor([0.0, 4.0]), da.tensor([0.0, 1.0]))
            return fwAD.unpack_dual(da.sqrt(x)).tangent.tolist()

    with np.errstate(invalid="ignore"):
        plain = tangent()
    assert math.isnan(plain[0]) and plain[1] == 0.25
    with nondiff.strong_zero():
        assert tangent() == [0.0, 0.25]


def test_strong_zero_keeps_genuine_infinities():
    x = da.tensor(0.0, requires_grad=True)
    with nondiff.strong_zero():
        da.sqrt(x).backward()
    assert x.grad.item() == math.inf


def test_strong_zero_at_second_order():
    x = da.tensor([0.0, 1.0], requires_grad=True)
    with nondiff.strong_zero():
        (g,) = da.autograd.grad(_trap(x).sum(), x, create_graph=True)
        (h,) = da.autograd.grad(g.sum(), x)
    assert g.tolist() == [0.0, 1.0] and h.tolist() == [0.0, -1.0]


def test_strong_zero_is_a_setter_and_context_manager():
    from dualad._state import state

    with nondiff.strong_zero():
        assert state.strong_zero
        with nondiff.strong_zero(False):
            assert not state.strong_zero
        assert state.strong_zero
    assert not state.strong_zero
    nondiff.strong_zero(True)
    try:
        assert state.strong_zero
    finally:
        nondiff.strong_zero(False)
