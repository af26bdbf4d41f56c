#!/usr/bin/env python3
"""Window means of a plasticity run next to the published reference (MODEL_SPEC 10.2).

Usage::

    python3 validation/learning_curves.py LOGDIR [--reference ../shared/reference/run4_k_4_l_02_m_1]

Prints, for the four episode windows of MODEL_SPEC 10.2 (0-9, 90-99,
131-140 and 218-227 in the paper's protocol; derived from each run's own
protocol, so a run made with other episode counts is scored on its own
phases), the mean rates (Hz) of GPi, MSN_d1 and MSN_d2 in channels 1 / 2
for the run, and the mean +- sd across the reference runs, plus reward
counts. Every run is read through ``run_folder.RunFolder``.

Each window mean is scored (issue #11): it passes when it lies within 3
reference sd of the reference mean, the sd taken as at least 10 % of the
mean or 0.05 Hz (five runs give a rough sd, and some are ~0). A finished
run's dip count passes when it lies in the range of the reference runs'.
The exit code is 0 either way (it is a report).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import run_folder as rf  # noqa: E402

POPS = ('GPi', 'MSN_d1', 'MSN_d2')
N_SD = 3.0            # band half-width, in reference sd
SD_FLOOR = (0.10, 0.05)   # the sd is at least 10 % of the mean and at least 0.05 Hz


def band(ref_values):
    """(mean, effective sd) of the reference runs' values of one window mean."""
    mean, sd = float(np.mean(ref_values)), float(np.std(ref_values))
    return mean, max(sd, SD_FLOOR[0] * abs(mean), SD_FLOOR[1])


def windows(run, width=10):
    """The four comparison windows (half-open episode ranges) of a run's protocol.

    Start of CS+, end of CS+, start of CS- training, end of CS- training
    before the unreinforced episodes: (0, 10), (90, 100), (131, 141),
    (218, 228) for the paper's protocol.
    """
    con, gen_end = run.bounds
    last = run.n_total - run.sim['n_unreinforced']
    return ((0, width), (con - width, con), (gen_end + 1, gen_end + 1 + width),
            (last - width, last))


def window_means(run, wins=None):
    """{(pop, window): (ch1, ch2)} for one RunFolder (windows not yet written are left out)."""
    run = run if isinstance(run, rf.RunFolder) else rf.RunFolder(run)
    out = {}
    for pop in POPS:
        for lo, hi in (wins or windows(run)):
            m = run.window_mean(pop, lo, hi)
            if m is not None:
                out[pop, (lo, hi)] = m
    return out


def reward_counts(run):
    """(bursts, dips) of a run: reward.txt, or the reward rule applied to its rates."""
    run = run if isinstance(run, rf.RunFolder) else rf.RunFolder(run)
    return run.reward_counts()


def reference_runs(reference):
    """RunFolders of the published logs in a condition folder (log0, log1, ...)."""
    found = rf.find_runs([os.path.dirname(os.path.abspath(reference))])
    return found.get(os.path.basename(os.path.abspath(reference)), [])


def table(ours, refs):
    """Markdown table lines: our window means next to the reference mean +- sd."""
    wins = windows(ours)
    mine = window_means(ours, wins)
    ref_means = [window_means(r, windows(r)) for r in refs]
    lines = ['| episodes | population | ours ch1 / ch2 | reference ch1 / ch2 (mean +- sd, '
             '%d runs) | within %g sd (floored) |' % (len(refs), N_SD), '|---|---|---|---|---|']
    for k, (lo, hi) in enumerate(wins):
        for pop in POPS:
            if (pop, (lo, hi)) not in mine:
                continue
            o = mine[pop, (lo, hi)]
            r = np.array([m[pop, windows(refs[i])[k]] for i, m in enumerate(ref_means)])
            fmt = '%.2f' if pop == 'GPi' else '%.3f'
            verdict = []
            for ch in (0, 1):
                mean, sd = band(r[:, ch])
                verdict.append('yes' if abs(o[ch] - mean) <= N_SD * sd else
                               'NO (%.1f sd)' % (abs(o[ch] - mean) / sd))
            lines.append('| %d-%d | %s | %s / %s | %s+-%s / %s+-%s | %s / %s |' % (
                lo, hi - 1, pop, fmt % o[0], fmt % o[1], fmt % r[:, 0].mean(),
                fmt % r[:, 0].std(), fmt % r[:, 1].mean(), fmt % r[:, 1].std(), *verdict))
    return lines


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('log_dir')
    p.add_argument('--reference', default=os.path.join(os.path.dirname(here), 'shared',
                                                       'reference', 'run4_k_4_l_02_m_1'))
    args = p.parse_args(argv)
    ours = rf.RunFolder(args.log_dir)
    refs = reference_runs(args.reference)
    if not refs:
        print('error: no published logs (log0, log1, ...) in %s' % args.reference,
              file=sys.stderr)
        return 2
    print('protocol of %s: %s; of the reference: %s' % (args.log_dir, ours.protocol_source,
                                                        refs[0].protocol_source))
    print('\n'.join(table(ours, refs)))
    if ours.n_episodes >= ours.n_total:
        mine, theirs = reward_counts(ours), [reward_counts(r) for r in refs]
        dips = [d for _, d in theirs]
        print('rewards (bursts, dips): ours %s; reference %s; dips in the reference range '
              '%d-%d: %s' % (mine, theirs, min(dips), max(dips),
                             'yes' if min(dips) <= mine[1] <= max(dips) else 'NO'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
