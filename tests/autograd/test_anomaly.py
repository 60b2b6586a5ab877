"""detect_anomaly: names the op whose backward produced nan/inf and where it was created."""

import numpy as np
import pytest

import dualad as da


def test_names_the_op_and_the_creating_line():
    x = da.tensor([0.0, 1.0], requires_grad=True)
    with da.autograd.detect_anomaly():
        y = da.sqrt(x)  # CREATION-LINE
        z = (y * 0).sum()
        with pytest.raises(RuntimeError) as info:
            z.backward()
    msg = str(info.value)
    assert msg.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "y = da.sqrt(x)  # CREATION-LINE" in msg
    assert "test_anomaly.py" in msg
    assert "dualad/ops" not in msg  # the trace shows the user's frames, not dualad's
    assert x.grad is None


def test_inf_is_reported_too():
    x = da.tensor(0.0, requires_grad=True)
    with da.autograd.detect_anomaly():
        y = da.log(x)
        with pytest.raises(RuntimeError, match="'LogBackward0' returned inf values"):
            y.backward()


def test_without_anomaly_mode_nan_passes_silently():
    x = da.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        (da.sqrt(x) * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


def test_set_detect_anomaly_and_decorator():
    assert not da.autograd.is_anomaly_enabled()
    da.autograd.set_detect_anomaly(True)
    try:
        assert da.autograd.is_anomaly_enabled()
    finally:
        da.autograd.set_detect_anomaly(False)

    @da.autograd.detect_anomaly()
    def run():
        x = da.tensor(0.0, requires_grad=True)
        da.log(x).backward()

    with pytest.raises(RuntimeError, match="LogBackward0"):
        run()
    assert not da.autograd.is_anomaly_enabled()


def test_finite_backward_is_unaffected():
    x = da.tensor([1.0, 4.0], requires_grad=True)
    with da.autograd.detect_anomaly():
        da.sqrt(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.25])
