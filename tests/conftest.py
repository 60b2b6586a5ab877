"""Shared test setup: hypothesis profiles and a guard against leaked global state."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# ci is derandomized: the gate runs the same examples every time (exploring is what the dev
# and thorough profiles are for, and what they find becomes a regression test)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _no_leaked_state():
    """Fail a test that leaves grad mode, dual levels or hooks changed for the next one."""
    from dualad._state import state

    before = (state.grad_enabled, state.inference, list(state.levels), len(state.saved_hooks),
              state.anomaly, state.kink_policy, state.strong_zero, len(state.kink_trackers))
    yield
    after = (state.grad_enabled, state.inference, list(state.levels), len(state.saved_hooks),
             state.anomaly, state.kink_policy, state.strong_zero, len(state.kink_trackers))
    if before != after:
        from dualad._state import _ThreadState

        state.__dict__.update(_ThreadState().__dict__)
        pytest.fail(f"test leaked global autograd state: {before} -> {after}")
