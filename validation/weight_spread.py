#!/usr/bin/env python3
"""How the learned cortico-striatal weight is spread over the MSNs of a channel.

Usage::

    python3 validation/weight_spread.py LOGDIR [LOGDIR ...] [--receptor NMDA] [--channels 1 2]

Reads the weights stored in a plasticity run's ``checkpoint.npz`` (written
every ``checkpoint_every`` episodes and after the last one, so a finished
run holds its final weights). For each half (D1, D2) and channel it prints
the number of MSNs and the distribution of their per-MSN mean weight (pA):
mean, median, 90th and 99th percentile, maximum, and the share of the
channel's summed weight held by its top tenth of MSNs (0.10 when every MSN
has the same weight; near 1 when a few MSNs carry the channel), and the
learners: how many MSNs have a mean weight above twice the channel's median
(``LEARNER_FOLD``; the weights start equal, so the median MSN has barely
learned while a learner's NMDA copies have at least doubled).

Why: a channel's mean rate can come from many MSNs firing a little or from
a few whose synapses ran away (the NMDA copies can grow ~150-fold up to
Wmax, docs/model.md §5 and Q-28). A small network has few MSNs per channel, so
the two cases differ between scales; this report shows which one a run is in.
"""
import argparse
import sys

import numpy as np

import run_folder as rf
from populations import HALVES

TOP_FRACTION = 0.10            # "top tenth" of the MSNs of a channel
PERCENTILES = (50, 90, 99)
LEARNER_FOLD = 2.0             # a learner's mean weight exceeds this multiple of the median


def per_msn_mean(targets, weights):
    """Mean weight of the synapses onto each target.

    Parameters
    ----------
    targets : array of int
        Target node id of every synapse.
    weights : array of float
        Its weight (pA).

    Returns
    -------
    ids : ndarray of int
        The distinct targets, sorted.
    mean : ndarray of float
        Mean weight onto each of them (pA).
    """
    ids, inverse = np.unique(targets, return_inverse=True)
    total = np.bincount(inverse, weights=weights, minlength=len(ids))
    return ids, total / np.bincount(inverse, minlength=len(ids))


def spread(values, top=TOP_FRACTION):
    """Summary of a channel's per-MSN weights (pA): n, mean, percentiles, max, top
    share, learners.

    ``top_share`` is the share of the sum held by the largest ceil(top * n)
    values (NaN when every value is 0).
    """
    v = np.sort(np.asarray(values, float))[::-1]
    if not len(v):
        return dict(n=0)
    k = int(np.ceil(top * len(v)))
    total = v.sum()
    out = dict(n=len(v), mean=v.mean(), max=v[0],
               top_share=v[:k].sum() / total if total > 0 else float('nan'))
    out.update(('p%d' % p, np.percentile(v, p)) for p in PERCENTILES)
    out['learners'] = int(np.sum(v > LEARNER_FOLD * out['p50']))
    return out


def channel_rows(run, receptor, channels):
    """(episode, [(half, channel, spread dict)]) of one run folder."""
    rows = []
    for half in HALVES:
        episode, targets, weights = run.checkpoint_weights(half, receptor)
        ids, mean = per_msn_mean(targets, weights)
        members = run.channel_ids('MSN_' + half)
        bad = [c for c in channels if not 0 <= c < len(members)]
        if bad:
            raise rf.RunFolderError('--channels %s: the run has channels 0-%d'
                                    % (bad, len(members) - 1))
        for ch in channels:
            rows.append((half, ch, spread(mean[np.isin(ids, members[ch])])))
    return episode, rows


def report(run, receptor, channels):
    """Lines of the report for one run folder."""
    episode, rows = channel_rows(run, receptor, channels)
    lines = ['%s: %s weights after %d episodes (checkpoint.npz)' % (run.path, receptor, episode),
             '  half ch     n     mean   median      p90      p99      max  top-%d%% share'
             '  learners (> %gx median)' % (round(100 * TOP_FRACTION), LEARNER_FOLD)]
    for half, ch, s in rows:
        if not s['n']:
            lines.append('  %-4s %2d     0  (no MSN in this channel)' % (half.upper(), ch))
            continue
        lines.append('  %-4s %2d %5d %8.5f %8.5f %8.5f %8.5f %8.5f %13.2f %10d'
                     % (half.upper(), ch, s['n'], s['mean'], s['p50'], s['p90'], s['p99'],
                        s['max'], s['top_share'], s['learners']))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('logdirs', nargs='+', help='plasticity run folders with checkpoint.npz')
    ap.add_argument('--receptor', choices=('AMPA', 'NMDA'), default='NMDA',
                    help='which plastic copy to summarise (default NMDA, the one that learns)')
    ap.add_argument('--channels', type=int, nargs='+', default=[1, 2],
                    help='channels to report (default 1 2, the stimulated ones)')
    args = ap.parse_args(argv)
    for path in args.logdirs:
        try:
            print('\n'.join(report(rf.RunFolder(path), args.receptor, args.channels)))
        except (rf.RunFolderError, KeyError) as err:
            sys.exit('weight_spread: %s' % err)


if __name__ == '__main__':
    main()
