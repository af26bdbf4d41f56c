#!/usr/bin/env python3
"""Window means of a plasticity run next to the published reference (docs/model.md §10.2).

Usage::

    python3 validation/learning_curves.py LOGDIR [LOGDIR ...] [--reference ../shared/reference/run4_k_4_l_02_m_1]

Prints, for the four episode windows of docs/model.md §10.2 (0-9, 90-99,
131-140 and 218-227 in the paper's protocol; derived from each run's own
protocol, so a run made with other episode counts is scored on its own
phases), the mean rates (Hz) of GPi, MSN_d1 and MSN_d2 in channels 1 / 2
for the run, and the mean +- sd across the reference runs, plus reward
counts. Every run is read through ``run_folder.RunFolder``.

Each window mean is scored: it passes when it lies within 3
reference sd of the reference mean, the sd taken as at least 10 % of the
mean or 0.05 Hz (five runs give a rough sd, and some are ~0). A finished
run's dip count passes when it lies in the range of the reference runs'.
The exit code is 0 either way (it is a report). A run whose κ, λ, η or
condition differ from the reference's (run.json against the reference's
folder name or plot_labels.txt) is refused with exit code 2, before any
table: the published runs of another condition are no yardstick for it.

For finished runs it also prints the CS- reversal fit (:func:`reversal_fit`):
how many Hz GPi channel 2 falls per Hz of MSN_d2 and of MSN_d1 channel 2.

Several LOGDIRs (e.g. seeds of one condition, made with the same protocol)
are scored by their mean: each window mean and the mean dip count, with
their sd across the runs shown beside them, and a second table sets their sd
next to the reference runs' (``comparison.spread_table``).

A run of the CS+ phase only (``--set gen_ep=0 --set dis_ep=1 --set
probe_T1=[] --set probe_T2=[] --set n_unreinforced=0``) is scored on the two
CS+ windows (0-9, 90-99). ``--against RUN ...`` scores against our own runs
(of the same condition, e.g. full scale) instead of the published ones;
``--no-reference`` prints the window means of the runs, unscored.
"""
import argparse
import os
import sys

import comparison
import run_folder as rf


def protocol_mismatch(names, ours, refs):
    """Why our runs cannot be scored against ``refs`` ('' if they can): another
    condition (kappa, lambda, eta, disease), or a protocol whose comparison
    windows are not the published ones."""
    wrong = comparison.parameter_mismatches(ours, refs[0])
    if wrong:
        return 'not the reference condition: %s' % '; '.join(wrong)
    wanted = comparison.windows(refs[0])
    for name, run in zip(names, ours):
        mine = comparison.windows(run)
        if mine != wanted[:len(mine)]:
            return ('%s has the comparison windows %s (episodes con_ep %d, gen_ep %d, dis_ep '
                    '%d), the published runs %s; allowed: runs of the paper\'s protocol (its '
                    'windows are the ones the published values are given for), or of its CS+ '
                    'phase only (the same con_ep, gen_ep 0, dis_ep 1)'
                    % (name, comparison.window_names(mine),
                       run.sim['con_ep'], run.sim['gen_ep'], run.sim['dis_ep'],
                       comparison.window_names(wanted)))
    return ''


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('log_dir', nargs='+', help='one run, or several (e.g. seeds) scored by their mean')
    p.add_argument('--reference', default=os.path.join(os.path.dirname(here), 'shared',
                                                       'reference', 'run4_k_4_l_02_m_1'))
    which = p.add_mutually_exclusive_group()
    which.add_argument('--against', nargs='+', metavar='RUN',
                   help='score against these run folders instead of the published runs '
                        '(e.g. full-scale runs of a condition that has no published ones)')
    which.add_argument('--no-reference', action='store_true',
                   help='only print the window means of the runs (mean +- sd and each run), '
                        'unscored: for a condition with nothing to compare with')
    args = p.parse_args(argv)
    ours = [rf.RunFolder(d) for d in args.log_dir]
    if args.no_reference:
        try:
            print('\n'.join(comparison.means_table(ours)))
        except ValueError as err:
            print('error: %s' % err, file=sys.stderr)
            return 2
        return 0
    if args.against:
        refs = [rf.RunFolder(d) for d in args.against]
    else:
        refs = comparison.reference_runs(args.reference)
    if not refs:
        print('error: no published logs (log0, log1, ...) in %s' % args.reference,
              file=sys.stderr)
        return 2
    error = protocol_mismatch(args.log_dir, ours, refs)
    if error:
        print('error: %s' % error, file=sys.stderr)
        return 2
    for d, run in zip(args.log_dir, ours):
        print('protocol of %s: %s' % (d, run.protocol_source))
    print('protocol of the reference: %s' % refs[0].protocol_source)
    if len(refs) < 2:
        print('note: one reference run; its sd is 0, so the band is the floor alone '
              '(10 %% of the mean or %g Hz)' % comparison.SD_FLOOR[1])
    try:
        print('\n'.join(comparison.table(ours, refs)))
    except ValueError as err:
        print('error: %s' % err, file=sys.stderr)
        return 2
    if len(ours) > 1 and len(refs) > 1:
        print('\nspread across runs:')
        print('\n'.join(comparison.spread_table(ours, refs)))
    if comparison.cs_plus_only(ours[0]):
        print('CS+ phase only: scored on the CS+ windows; no rewards or CS- reversal to compare')
    elif all(run.n_episodes >= run.n_total for run in ours):
        print(comparison.reward_line(ours, refs))
        print(comparison.reversal_line(ours, refs))
    return 0


if __name__ == '__main__':
    sys.exit(main())
