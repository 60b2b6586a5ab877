"""Tensor repr follows PyTorch's layout; expected strings are PyTorch's own output."""

import numpy as np
import pytest

import dualad as da

CASES = [
    (lambda: da.tensor([2.0, 0.4, 0.006]), "tensor([2.0000, 0.4000, 0.0060])"),
    (lambda: da.tensor([True, True]), "tensor([True, True])"),
    (lambda: da.tensor([True, False]), "tensor([ True, False])"),
    (lambda: da.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: da.tensor([1.0, 2000.0]), "tensor([1.0000e+00, 2.0000e+03])"),
    (lambda: da.tensor(float("nan")), "tensor(nan)"),
    (lambda: da.tensor([1.0, float("inf")]), "tensor([1., inf])"),
    (lambda: da.tensor([-1.5, float("nan"), 3.25]), "tensor([-1.5000,     nan,  3.2500])"),
    (lambda: da.tensor([0.0, 0.0]), "tensor([0., 0.])"),
    (lambda: da.tensor([-0.0001234, 5.0]), "tensor([-1.2340e-04,  5.0000e+00])"),
    (lambda: da.tensor([[1, 2], [3, 4]]), "tensor([[1, 2],\n        [3, 4]])"),
    (lambda: da.tensor([], requires_grad=True), "tensor([], requires_grad=True)"),
    (lambda: da.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: da.tensor(3.5, requires_grad=True) * 2, "tensor(7., grad_fn=<MulBackward0>)"),
    (lambda: da.tensor([1, 2], dtype="int32"), "tensor([1, 2], dtype=int32)"),
    (lambda: da.ones(2, dtype="float32", requires_grad=True),
     "tensor([1., 1.], dtype=float32, requires_grad=True)"),
    (lambda: da.zeros(2, 2, 2),
     "tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])"),
    (lambda: da.arange(30.0).reshape(3, 10) / 7,
     "tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
     "         1.2857],\n"
     "        [1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286, 2.5714,\n"
     "         2.7143],\n"
     "        [2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000,\n"
     "         4.1429]])"),
    (lambda: da.arange(2000.0),
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
     "        1.9990e+03])"),
    (lambda: da.linspace(0, 1, 30, requires_grad=True) * 1,
     "tensor([0.0000, 0.0345, 0.0690, 0.1034, 0.1379, 0.1724, 0.2069, 0.2414, 0.2759,\n"
     "        0.3103, 0.3448, 0.3793, 0.4138, 0.4483, 0.4828, 0.5172, 0.5517, 0.5862,\n"
     "        0.6207, 0.6552, 0.6897, 0.7241, 0.7586, 0.7931, 0.8276, 0.8621, 0.8966,\n"
     "        0.9310, 0.9655, 1.0000], grad_fn=<MulBackward0>)"),
]


@pytest.mark.parametrize("make, expected", CASES)
def test_repr_matches_pytorch(make, expected):
    assert repr(make()) == expected


def test_summarized_matrix():
    text = repr(da.arange(2000.0).reshape(40, 50))
    lines = text.splitlines()
    assert lines[0] == ("tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, "
                        "4.8000e+01,")
    assert lines[6] == "        ...,"
    assert lines[-1] == "         1.9990e+03]])"
    assert len(lines) == 13


def test_repr_does_not_change_the_tensor():
    x = da.tensor(np.array([1.0, 2.0]), requires_grad=True)
    repr(x)
    assert x._version == 0 and x.requires_grad
