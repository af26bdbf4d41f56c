"""Rates from spike trains: counts, channel rates and population activity (Hz).

Nothing here imports NEST.
"""
import numpy as np


def spike_counts(senders, times, first_id, n, t_start, t_stop):
    """Spikes per neuron with t_start <= t <= t_stop (ms); ids first_id..first_id+n-1."""
    sel = (times >= t_start) & (times <= t_stop) & (senders >= first_id) & (senders < first_id + n)
    return np.bincount(senders[sel] - first_id, minlength=n)


def mean_rate(n_spikes, n_neurons, duration_ms):
    """Mean rate (Hz) of ``n_neurons`` emitting ``n_spikes`` in ``duration_ms``."""
    return float(n_spikes) / (duration_ms / 1000.0 * n_neurons) if n_neurons else float('nan')


def channel_rates(counts, members, duration_ms):
    """Mean rate (Hz) of each channel's members from per-neuron spike counts."""
    return [mean_rate(counts[m].sum(), len(m), duration_ms) for m in members]


def population_activity(times, n_neurons, t_start, t_stop, dt, window):
    """A(t) = #spikes in [t, t + window) / n * 1000 (Hz), for t = t_start, t_start+dt, ...

    Vectorised: spikes are binned on the dt grid once, then a cumulative sum
    gives every window.
    """
    n_bins = int(round((t_stop - t_start) / dt))
    w_bins = int(round(window / dt))
    idx = np.floor((np.asarray(times) - t_start) / dt + 1e-6).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < n_bins + w_bins)]
    hist = np.bincount(idx, minlength=n_bins + w_bins)
    csum = np.concatenate([[0], np.cumsum(hist)])
    counts = csum[w_bins:w_bins + n_bins] - csum[:n_bins]
    return counts / n_neurons * (1000.0 / window)
