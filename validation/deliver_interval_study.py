#!/usr/bin/env python3
"""Does the volume transmitters' deliver_interval change the learning curves?

Runs the first episodes of the CS+ conditioning phase of the plasticity
protocol (default 0-38; a dopamine burst almost every episode) for several
seeds, once with ``deliver_interval = 1`` (NEST's default, the reference) and
once with the package default (100), at reduced scale, then compares the
window means of MSN_d1 / MSN_d2 / GPi, channels 1-2 (first and last 10
episodes, as the docs/model.md §10.2 windows), against the seed-to-seed
variability.  Interval 1 costs ~14 s of wall time per model second at scale
0.02 on one thread (~9x interval 100), which is what bounds the study.

Usage (from the repository root; ~1.4 h in the background at the defaults,
scale 0.02, 39 episodes, 5 seeds, 2 jobs)::

    python3 validation/deliver_interval_study.py run --out di_study --jobs 2
    python3 validation/deliver_interval_study.py report --out di_study

``run`` skips finished runs and resumes interrupted ones from their
checkpoint, so it can be restarted at any time.  ``report`` prints a
markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from comparison import POPS, reward_counts, window_means

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first_and_last_ten(n_episodes):
    """The study's two windows: the first and the last 10 episodes of its runs."""
    return ((0, 10), (n_episodes - 10, n_episodes))


def run_dir(out, msd, interval):
    return os.path.join(out, 'msd%d_di%d' % (msd, interval))


def n_rows(log_dir):
    """Episodes already written in ``log_dir`` (0 if none)."""
    path = os.path.join(log_dir, 'GPi_fr.txt')
    if not os.path.exists(path):
        return 0
    with open(path) as fh:
        return sum(1 for ln in fh if ln.strip() and not ln.startswith('#'))


def command(log_dir, msd, interval, scale, n_episodes):
    """stim_all_model.py command line of one run (fresh, or resumed)."""
    cmd = [sys.executable, os.path.join(HERE, 'stim_all_model.py')]
    if os.path.exists(os.path.join(log_dir, 'checkpoint.npz')):
        return cmd + ['--resume', log_dir]
    sets = ['resting_state=False', 'plasticity=True', 'scale=%r' % scale, 'nbcpu=1',
            'msd=%d' % msd, 'con_ep=%d' % n_episodes, 'gen_ep=0', 'dis_ep=0',
            'n_unreinforced=0', 'probe_T1=[]', 'probe_T2=[]', 'checkpoint_every=10',
            "vt_deliver_interval={'resting_state': 1000, 'action_selection': 1000, "
            "'plasticity': %d}" % interval]
    bg_sets = ['syn_asymm=4.0', 'overlap_d1d2=0.2']
    return (cmd + ['--log-dir', log_dir] + [x for s in sets for x in ('--set', s)]
            + [x for s in bg_sets for x in ('--bg-set', s)])


def run_one(out, msd, interval, scale, n_episodes):
    log_dir = run_dir(out, msd, interval)
    if n_rows(log_dir) >= n_episodes:
        return log_dir, 0
    os.makedirs(log_dir, exist_ok=True)
    with open(os.path.join(log_dir, 'stdout.txt'), 'a') as fh:
        rc = subprocess.call(command(log_dir, msd, interval, scale, n_episodes), stdout=fh,
                             stderr=subprocess.STDOUT, cwd=HERE)
    return log_dir, rc


def weight_change(log_dir):
    """Change of the mean D1 AMPA weight (pA) in channels 1 and 2 over the run."""
    w = np.loadtxt(os.path.join(log_dir, 'mean_weights.txt'), ndmin=2)[:, 1:]
    w = w.reshape(len(w), -1, 4)          # episode, channel, (D1 AMPA, D1 NMDA, D2 AMPA, D2 NMDA)
    return tuple(w[-1, 1:3, 0] - w[0, 1:3, 0])


def first_difference(log_dirs):
    """First episode at which any logged rate differs between two runs (None if never)."""
    a, b = [np.loadtxt(os.path.join(d, 'GPi_fr.txt'), ndmin=2) +
            np.loadtxt(os.path.join(d, 'MSN_fr.txt'), ndmin=2) for d in log_dirs]
    n = min(len(a), len(b))
    diff = np.nonzero(np.any(a[:n] != b[:n], axis=1))[0]
    return int(diff[0]) if len(diff) else None


def report(out, seeds, intervals, n_episodes):
    """Markdown table: per window/population/channel, mean +- sd over seeds per
    interval, the mean paired difference (same seed = same network), that
    difference in units of the seed-to-seed sd (pooled over the two
    intervals), and the paired t statistic (|t| > 2.78: p < 0.05 two-sided
    with 4 degrees of freedom, i.e. 5 seeds, before any correction for the
    12 comparisons)."""
    complete = {k: [s for s in seeds if n_rows(run_dir(out, s, k)) >= n_episodes]
                for k in intervals}
    means = {(s, k): window_means(run_dir(out, s, k), first_and_last_ten(n_episodes))
             for k in intervals for s in complete[k]}      # each run read once
    paired = [s for s in complete[intervals[0]] if s in complete[intervals[1]]]
    a, b = intervals
    lines = ['seeds with both runs: %s' % paired,
             '| episodes | population | ch | interval %d (mean +- sd) | interval %d (mean +- sd) '
             '| paired diff %d-%d (mean +- sd) | diff / seed sd | paired t |' % (a, b, a, b),
             '|---|---|---|---|---|---|---|---|']
    rows = []
    for lo, hi in first_and_last_ten(n_episodes):
        for pop in POPS:
            for ch in (0, 1):
                va, vb, pa, pb = [np.array([means[s, k][pop, (lo, hi)][ch] for s in group])
                                  for k, group in ((a, complete[a]), (b, complete[b]),
                                                   (a, paired), (b, paired))]
                d = pa - pb
                sd = np.sqrt((va.var(ddof=1) + vb.var(ddof=1)) / 2) if min(len(va), len(vb)) > 1 \
                    else np.nan
                ratio = abs(d.mean()) / sd if sd > 0 else np.nan
                t = (d.mean() / (d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 and d.std() > 0
                     else np.nan)
                rows.append(ratio)
                fmt = '%.2f' if pop == 'GPi' else '%.3f'
                ms = lambda v: ('%s +- %s' % (fmt % v.mean(), fmt % (v.std(ddof=1) if len(v) > 1
                                                                    else 0)))
                lines.append('| %d-%d | %s | %d | %s | %s | %s | %.2f | %.2f |' % (
                    lo, hi - 1, pop, ch + 1, ms(va), ms(vb), ms(d), ratio, t))
    for k in intervals:          # CS+ bursts: every episode here is CS+ (rows < 101)
        lines.append('bursts (of %d CS+ episodes), interval %d: %s' % (
            n_episodes, k, [reward_counts(run_dir(out, s, k))[0] for s in complete[k]]))
    for k in intervals:
        lines.append('learned weight change, channel 1 D1 AMPA / channel 2 D1 AMPA (pA, last - '
                     'first episode), interval %d: %s' % (k, ' '.join(
                         '%.5f/%.5f' % weight_change(run_dir(out, s, k)) for s in paired)))
    lines.append('first episode whose rates differ between the intervals, per seed: %s'
                 % [first_difference([run_dir(out, s, k) for k in intervals]) for s in paired])
    lines.append('largest |paired diff| / seed sd: %.2f' % np.nanmax(rows))
    return '\n'.join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('action', choices=('run', 'report'))
    p.add_argument('--out', default='di_study')
    p.add_argument('--seeds', default='814,815,816,817,818')
    p.add_argument('--intervals', default='1,100')
    p.add_argument('--scale', type=float, default=0.02)
    p.add_argument('--episodes', type=int, default=39)
    p.add_argument('--jobs', type=int, default=2)
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(',')]
    intervals = [int(k) for k in args.intervals.split(',')]
    if args.action == 'report':
        print(report(args.out, seeds, intervals, args.episodes))
        return
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'study_%s.json' % '_'.join(map(str, intervals))), 'w') as fh:
        json.dump(vars(args), fh)
    jobs = [(s, k) for s in seeds for k in intervals]
    with ThreadPoolExecutor(args.jobs) as pool:
        for log_dir, rc in pool.map(lambda j: run_one(args.out, j[0], j[1], args.scale, args.episodes), jobs):
            print('%s: %s' % (log_dir, 'done' if rc == 0 else 'exit %d' % rc), flush=True)


if __name__ == '__main__':
    main()
