#!/usr/bin/env python3
"""Window means of a plasticity run next to the published reference (MODEL_SPEC 10.2).

Usage::

    python3 validation/learning_curves.py LOGDIR [--reference ../shared/reference/run4_k_4_l_02_m_1]

Prints, for episode windows 0-9, 90-99, 131-140 and 218-227, the mean rates
(Hz) of GPi, MSN_d1 and MSN_d2 in channels 1 / 2 for the run, and the mean
+- sd across the reference runs (log0, 1, 2, 4, 5), plus reward counts.
"""
import argparse
import os

import numpy as np

WINDOWS = ((0, 10), (90, 100), (131, 141), (218, 228))
POPS = ('GPi', 'MSN_d1', 'MSN_d2')


def window_means(log_dir, windows=WINDOWS):
    """{(pop, window): (ch1, ch2)} for one run folder (rows = episodes)."""
    out = {}
    for pop in POPS:
        rates = np.loadtxt(os.path.join(log_dir, '%s_fr.txt' % pop), ndmin=2)
        for lo, hi in windows:
            if len(rates) >= hi:
                out[pop, (lo, hi)] = rates[lo:hi, 1:3].mean(axis=0)
    return out


def reward_counts(log_dir, sim=None):
    """Bursts in CS+ (0-100) and dips in CS- (131-227) from the logged rates."""
    gpi = np.loadtxt(os.path.join(log_dir, 'GPi_fr.txt'), ndmin=2)
    d2 = np.loadtxt(os.path.join(log_dir, 'MSN_d2_fr.txt'), ndmin=2)
    won = gpi[:, 1] < gpi[:, 2]
    bursts = int(won[:101].sum())
    dips = int((won[131:228] & (d2[131:228, 2] < 70.0)).sum())
    return bursts, dips


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('log_dir')
    p.add_argument('--reference', default=os.path.join(os.path.dirname(here), 'shared',
                                                       'reference', 'run4_k_4_l_02_m_1'))
    args = p.parse_args()
    ours = window_means(args.log_dir)
    refs = [window_means(os.path.join(args.reference, 'log%d' % k)) for k in (0, 1, 2, 4, 5)
            if os.path.isdir(os.path.join(args.reference, 'log%d' % k))]
    print('| episodes | population | ours ch1 / ch2 | reference ch1 / ch2 (mean +- sd, %d runs) |'
          % len(refs))
    print('|---|---|---|---|')
    for lo, hi in WINDOWS:
        for pop in POPS:
            if (pop, (lo, hi)) not in ours:
                continue
            o = ours[pop, (lo, hi)]
            r = np.array([x[pop, (lo, hi)] for x in refs])
            fmt = '%.2f' if pop == 'GPi' else '%.3f'
            print('| %d-%d | %s | %s / %s | %s+-%s / %s+-%s |' % (
                lo, hi - 1, pop, fmt % o[0], fmt % o[1], fmt % r[:, 0].mean(), fmt % r[:, 0].std(),
                fmt % r[:, 1].mean(), fmt % r[:, 1].std()))
    n = len(np.loadtxt(os.path.join(args.log_dir, 'GPi_fr.txt'), ndmin=2))
    if n >= 228:
        print('rewards (bursts in 0-100, dips in 131-227): ours %s; reference %s'
              % (reward_counts(args.log_dir), [reward_counts(os.path.join(
                  args.reference, 'log%d' % k)) for k in (0, 1, 2, 4, 5)]))


if __name__ == '__main__':
    main()
