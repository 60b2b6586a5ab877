"""Indexing gradients: repeated integer indices accumulate, masks scatter, steps and negatives."""

import numpy as np
import pytest
from _ops_checks import check_gradients, forward_directional, reverse_grad, weights_like

import dualad as da


def test_repeated_integer_indices_accumulate():
    g = reverse_grad(lambda t: t[[0, 0, 1]].sum(), np.arange(5.0))
    np.testing.assert_array_equal(g, [2.0, 1.0, 0.0, 0.0, 0.0])
    g = reverse_grad(lambda t: t[da.tensor([3, 3, 3, -1])].sum(), np.arange(5.0))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 3.0, 1.0])


def test_repeated_pairs_in_two_dimensional_advanced_indexing():
    x = np.arange(12.0).reshape(3, 4)
    g = reverse_grad(lambda t: t[[0, 2, 0], [1, 3, 1]].sum(), x)
    expected = np.zeros((3, 4))
    expected[0, 1], expected[2, 3] = 2.0, 1.0
    np.testing.assert_array_equal(g, expected)


def test_boolean_mask_gradient_scatters_to_the_selected_elements():
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    mask = x > 0
    w = np.array([10.0, 20.0, 30.0])
    g = reverse_grad(lambda t: (t[da.tensor(mask)] * da.tensor(w)).sum(), x)
    expected = np.zeros_like(x)
    expected[mask] = w
    np.testing.assert_array_equal(g, expected)
    rows = np.array([True, False])
    g = reverse_grad(lambda t: t[da.tensor(rows)].sum(), x)
    np.testing.assert_array_equal(g, [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    g = reverse_grad(lambda t: t[:, np.array([True, False, True])].sum(), x)
    np.testing.assert_array_equal(g, [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])


def test_slices_with_steps_and_negative_steps():
    x = np.arange(10.0)
    g = reverse_grad(lambda t: (t[1:8:3] * da.tensor([1.0, 2.0, 3.0])).sum(), x)
    expected = np.zeros(10)
    expected[[1, 4, 7]] = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(g, expected)
    g = reverse_grad(lambda t: (t[::-2] * da.tensor(np.arange(5.0))).sum(), x)
    expected = np.zeros(10)
    expected[[9, 7, 5, 3, 1]] = np.arange(5.0)
    np.testing.assert_array_equal(g, expected)
    m = np.arange(20.0).reshape(4, 5)
    w = weights_like((2, 2))
    g = reverse_grad(lambda t: (t[::2, -1:0:-3] * da.tensor(w)).sum(), m)
    expected = np.zeros((4, 5))
    expected[::2, -1:0:-3] = w
    np.testing.assert_array_equal(g, expected)


def test_indexing_in_forward_mode_and_second_order():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    v = np.array([1.0, 2.0, 3.0, 4.0])
    assert forward_directional(lambda t: t[[0, 0, 3]].sum(), x, v) == 1.0 + 1.0 + 4.0
    check_gradients(lambda t: (t[[0, 0, 3]] ** 3).sum() + (t[1::2] * t[::2]).sum(), x,
                    second=True)


def test_setitem_out_of_place_gradients():
    x = da.tensor(np.arange(4.0), requires_grad=True)
    v = da.tensor([10.0, 20.0], requires_grad=True)
    y = x.clone()
    y[1:3] = v * 2
    (y * da.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0, 4.0])
    np.testing.assert_array_equal(v.grad.numpy(), [4.0, 6.0])


@pytest.mark.parametrize("shape,index", [
    ((6,), [True, False]),                              # issue 18 item 4: gave [0.] silently
    ((2, 2), np.array([[True], [False]])),              # a (2, 1) mask on (2, 2)
    ((6,), da.tensor([True, False, True])),
    ((2, 3), (slice(None), np.array([True, False]))),
    ((2, 3), (Ellipsis, np.array([True, False]))),
    ((2, 3, 4), (None, np.ones((2, 4), dtype=bool))),
])
def test_a_wrong_shaped_boolean_mask_raises_as_in_numpy(shape, index):
    x = da.arange(float(np.prod(shape))).reshape(shape)
    raw = index._data if isinstance(index, da.Tensor) else index
    with pytest.raises(IndexError):  # the oracle: NumPy refuses the same index
        np.zeros(shape)[raw if not isinstance(raw, list) else np.array(raw)]
    with pytest.raises(IndexError, match=r"boolean mask of shape .* does not match"):
        x[index]


@pytest.mark.parametrize("shape,index", [
    ((2, 3), np.array([True, False])), ((2, 3), (Ellipsis, np.array([True, False, True]))),
    ((2, 3, 4), (None, np.ones((2, 3), dtype=bool))), ((2, 3), (0, np.array([False, True, True]))),
    ((2, 3), np.ones((2, 3), dtype=bool)),
])
def test_right_shaped_masks_select_as_numpy_does_with_the_scattered_gradient(shape, index):
    data = np.arange(float(np.prod(shape))).reshape(shape)
    expected = data[index]
    x = da.tensor(data, requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    w = weights_like(expected.shape)
    (y * da.tensor(w)).sum().backward()
    oracle = np.zeros(shape)
    oracle[index] = w
    np.testing.assert_array_equal(x.grad.numpy(), oracle)


def test_an_empty_index_list_selects_nothing():
    # issue 18 item 20: x[[]] raised (np.asarray([]) is float64); NumPy and PyTorch give empty
    x = da.ones(2, 3, requires_grad=True)
    y = x[[]]
    assert y.shape == np.ones((2, 3))[[]].shape == (0, 3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    assert x[:, []].shape == (2, 0)
    assert forward_directional(lambda t: t[[]].sum(), np.ones(3), np.ones(3)) == 0.0
    torch = pytest.importorskip("torch")
    assert tuple(torch.ones(2, 3)[[]].shape) == y.shape


@pytest.mark.parametrize("index", [True, np.array(True), (np.array(True), 0),
                                   (Ellipsis, np.array(False))])
def test_a_0d_boolean_index_adds_an_axis_as_in_numpy(index):
    data = np.arange(6.0).reshape(2, 3)
    expected = data[index]
    x = da.tensor(data, requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    y.sum().backward()
    oracle = np.zeros((2, 3))
    oracle[index] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), oracle)


def _repeated_setitem(t):
    """x[[0, 2, 0]] = v * w: NumPy keeps the last value written to position 0."""
    y = t * np.array([1.0, -1.0, 0.5])
    y[np.array([0, 2, 0])] = t ** 2 * np.array([1.0, 10.0, 100.0])
    return (y * np.array([2.0, 3.0, 5.0])).sum()


def test_setitem_with_repeated_indices_differentiates_only_the_value_written_last():
    # y[0] = 100 v2**2: v0 is overwritten and gets no gradient (it got 2 v0, as in PyTorch's
    # index_put, whose value gradient is g[index] for every duplicate; forward mode summed the
    # tangents of the duplicates into y[0]: 2 v0 + 200 v2 for a value of 100 v2**2)
    check_gradients(_repeated_setitem, [0.7, -1.3, 0.4], second=True)
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = da.tensor([5.0, 7.0], requires_grad=True)
    y = x * 1.0
    y[np.array([0, 0])] = v
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [7.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.grad.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])


def test_augmented_assignment_through_repeated_integer_indices():
    # y[:, [0, 0]] += 1: the integer-array result is a copy (its .base is NumPy's buffer, not
    # y's storage); it was refused as a read-only view. y[:, 0] = x[:, 0] + 1 once.
    x = np.arange(6.0).reshape(2, 3)

    def f(t):
        y = t * 1.0
        y[:, np.array([0, 0])] += 1.0
        return (y * y).sum()

    check_gradients(f, x)
    t = da.tensor(x, requires_grad=True)
    a = (t * 1.0)[:, np.array([2, 0])]
    a.mul_(3.0)  # a copy: in place on it is allowed and leaves t alone
    np.testing.assert_array_equal(a.detach().numpy(), 3.0 * x[:, [2, 0]])
