"""``Module.load_state_dict``: every key, type, shape and dtype is checked before any copy."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import nn


class Counted(nn.Module):
    """Two layers and an integer buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(2, 3)
        self.second = nn.Linear(3, 1)
        self.register_buffer("steps", da.tensor(np.array([0, 0])))

    def forward(self, x):
        return self.second(da.tanh(self.first(x)))


def _snapshot(m: nn.Module) -> dict:
    return {k: (v.detach().numpy().copy(), v._version) for k, v in m.state_dict().items()}


def _unchanged(m: nn.Module, before: dict) -> None:
    after = _snapshot(m)
    assert after.keys() == before.keys()
    for k, (data, version) in before.items():
        np.testing.assert_array_equal(after[k][0], data, err_msg=k)
        assert after[k][1] == version, f"{k} was written to"


def _checkpoint(m: nn.Module, **replace) -> dict:
    sd = {k: da.full(tuple(v.shape), 7.0) for k, v in m.state_dict().items()}
    sd["steps"] = da.tensor(np.array([3, 4]))
    sd.update(replace)
    return sd


# the bad value is on the last parameter, after others that would have been overwritten
BAD_VALUES = {
    "text": np.array([["a"], ["b"], ["c"]]).T.reshape(1, 3),
    "complex": np.full((1, 3), 1 + 2j),
    "objects": np.array([[None, None, None]]),
    "list": [[1.0, 2.0, 3.0]],
    "number": 1.0,
    "shape": da.zeros(3, 1),
}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("bad", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_a_bad_value_changes_nothing(bad: str, strict: bool) -> None:
    m = Counted()
    before = _snapshot(m)
    with pytest.raises(RuntimeError, match=r"second\.weight.*nothing was copied"):
        m.load_state_dict(_checkpoint(m, **{"second.weight": BAD_VALUES[bad]}), strict=strict)
    _unchanged(m, before)


def test_float_into_an_integer_buffer_is_refused() -> None:
    m = Counted()
    before = _snapshot(m)
    with pytest.raises(RuntimeError, match="dtype mismatch for steps: the checkpoint has "
                                           "float64.*model's int64"):
        m.load_state_dict(_checkpoint(m, steps=da.tensor([1.5, 2.5])))
    _unchanged(m, before)


def test_every_problem_is_listed_at_once() -> None:
    m = Counted()
    sd = _checkpoint(m, **{"first.bias": np.full(3, 1j), "second.bias": da.zeros(2)})
    del sd["first.weight"]
    sd["extra"] = da.zeros(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    for part in ("missing keys ['first.weight']", "unexpected keys ['extra']",
                 "dtype mismatch for first.bias", "size mismatch for second.bias"):
        assert part in msg
    # strict=False ignores the keys, not the values
    before = _snapshot(m)
    with pytest.raises(RuntimeError, match="dtype mismatch for first.bias") as info:
        m.load_state_dict(sd, strict=False)
    assert "missing keys" not in str(info.value)
    _unchanged(m, before)


def test_safe_casts_are_copied() -> None:
    """float32, integers and bools into float64 parameters (PyTorch casts them too)."""
    m = Counted()
    sd = _checkpoint(m, **{"first.weight": np.arange(6, dtype=np.int32).reshape(3, 2),
                           "first.bias": np.array([1.5, -2.25, 0.125], dtype=np.float32),
                           "second.bias": np.array([True])})
    assert m.load_state_dict(sd) == ([], [])
    np.testing.assert_array_equal(m.first.weight.detach().numpy(), np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(m.first.bias.detach().numpy(), [1.5, -2.25, 0.125])
    assert m.second.bias.item() == 1.0 and m.second.weight.detach().numpy().tolist() == [[7.0] * 3]
    assert m.steps.tolist() == [3, 4]
    assert all(p.dtype == np.float64 and p.is_leaf and p.requires_grad for p in m.parameters())


def test_partial_load_with_strict_false_copies_what_matches() -> None:
    m = Counted()
    before = _snapshot(m)
    result = m.load_state_dict({"second.bias": da.tensor([0.5]), "other": da.zeros(1)},
                               strict=False)
    assert result.missing_keys == ["steps", "first.weight", "first.bias", "second.weight"]
    assert result.unexpected_keys == ["other"]
    assert m.second.bias.tolist() == [0.5]
    np.testing.assert_array_equal(m.first.weight.detach().numpy(), before["first.weight"][0])


def test_a_state_dict_that_is_not_a_mapping_is_refused() -> None:
    m = Counted()
    with pytest.raises(TypeError, match="expected state_dict to be a dict"):
        m.load_state_dict([("first.weight", da.zeros(3, 2))])


@pytest.mark.parametrize("dtype", [np.int64, "int32", bool, "cuda"])
def test_module_to_refuses_dtypes_that_are_not_floating(dtype) -> None:
    """to(np.int64) truncated the weights into integer parameters that required grad."""
    m = Counted()
    before = _snapshot(m)
    with pytest.raises(TypeError, match="Module.to"):
        m.to(dtype)
    _unchanged(m, before)
    assert m.to("float32").first.weight.dtype == np.float32


def _tie(m, lib):
    """Two layers sharing a weight, a buffer of the root, and a module registered twice."""
    m.a = lib.nn.Linear(2, 2)
    m.b = lib.nn.Linear(2, 2)
    m.b.weight = m.a.weight
    m.register_buffer("scale", lib.ones(1))
    m.again = m.a
    return m


def test_state_dict_keys_and_order_are_pytorchs() -> None:
    """Module by module, parameters then buffers, and a shared tensor under every name
    (a tied weight had one key, so PyTorch checkpoints did not load strictly)."""
    keys = ["scale", "a.weight", "a.bias", "b.weight", "b.bias", "again.weight", "again.bias"]
    m = _tie(nn.Module(), da)
    assert list(m.state_dict()) == keys
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    sd = {k: da.full(tuple(v.shape), float(i)) for i, (k, v) in enumerate(m.state_dict().items())}
    assert m.load_state_dict(sd) == ([], [])
    # a.weight, b.weight and again.weight are one tensor: the last value wins, as in PyTorch
    assert m.b.weight is m.a.weight and m.a.weight.tolist() == [[5.0, 5.0]] * 2
    torch = pytest.importorskip("torch")
    assert list(_tie(torch.nn.Module(), torch).state_dict()) == keys
