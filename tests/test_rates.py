"""Vectorised rate utilities against naive loop implementations."""
import numpy as np

import geometry
import rates


def _random_spikes(seed, n=50, first=10, t_max=3000.0):
    rng = np.random.default_rng(seed)
    k = 4000
    return (rng.integers(first, first + n, k),
            np.round(rng.uniform(0, t_max, k), 1), n, first)


def test_spike_counts_and_channel_rates_match_loops():
    senders, times, n, first = _random_spikes(1)
    t0, t1 = 1000.0, 1500.0
    counts = rates.spike_counts(senders, times, first, n, t0, t1)
    naive = np.zeros(n, int)
    for s, t in zip(senders, times):
        if t0 <= t <= t1:
            naive[s - first] += 1
    np.testing.assert_array_equal(counts, naive)
    members = [np.arange(0, 10), np.arange(5, 20), np.array([], int)]
    per_channel = rates.channel_rates(counts, members, t1 - t0)
    for m, r in zip(members[:2], per_channel[:2]):
        assert r == sum(naive[i] for i in m) / (len(m) * 0.5)
    assert np.isnan(per_channel[2])


def test_population_activity_matches_sliding_window_loop():
    _, times, n, _ = _random_spikes(2, t_max=1100.0)
    dt, window, t0, t1 = 0.1, 1.0, 1000.0, 1050.0
    got = rates.population_activity(times, n, t0, t1, dt, window)
    assert len(got) == 500
    for i in range(0, 500, 7):
        t = t0 + i * dt
        c = np.sum((times >= t - 1e-9) & (times < t + window - 1e-9))
        assert got[i] == c / n * 1000.0 / window


def test_channel_members_inclusive_radius():
    xy = np.array([[0.2078 + 0.12, -0.12], [0.0, 0.0], [0.2078, -0.12]])
    centres = np.array([[0.2078, -0.12]])
    assert geometry.channel_members(xy, centres, 0.12)[0].tolist() == [0, 2]


def test_round3_matches_printf():
    values = np.array([0.0005, 0.0015, -0.4307692307692308, 0.1234999999])
    assert geometry.round3(values).tolist() == [float('%1.3f' % v) for v in values]
