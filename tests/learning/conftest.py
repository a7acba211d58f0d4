"""Fixtures of the learning tests: small simulated decisions, computed once per session."""

from __future__ import annotations

import pytest

from matcher.learning.simulator import HiddenPreference, simulate, synthetic_lists
from matcher.learning.train import train

#: Small enough for seconds, large enough for the intervals to mean something.
N_PROJECTS, N_ITEMS, N_SESSIONS = 30, 20, 600


@pytest.fixture(scope="session")
def result_lists():
    """Synthetic result lists (ranked by each project's expert preset)."""
    return synthetic_lists(N_PROJECTS, N_ITEMS, seed=1)


@pytest.fixture(scope="session")
def signal_events(result_lists):
    """Simulated users with the default hidden preference."""
    return simulate(result_lists, HiddenPreference(), n_sessions=N_SESSIONS, seed=2)


@pytest.fixture(scope="session")
def noise_events(result_lists):
    """Simulated users whose choices ignore the scores."""
    return simulate(result_lists, HiddenPreference(signal=False), n_sessions=N_SESSIONS, seed=3)


@pytest.fixture(scope="session")
def signal_model(signal_events):
    """The model trained on the users with a signal (no LightGBM, for speed)."""
    return train(signal_events, use_lightgbm=False, n_boot=400)


@pytest.fixture(scope="session")
def noise_model(noise_events):
    """The model trained on the users without a signal."""
    return train(noise_events, use_lightgbm=False, n_boot=400)
