#!/usr/bin/env python3
"""Check that a change of the code leaves every output byte for byte as it was.

Usage::

    python3 benchmarks/same_outputs.py record DIR [--code CHECKOUT] [--mpi PYTHON]
                                       [--cases CASE ...] [--set KEY=VALUE ...]
    python3 benchmarks/same_outputs.py compare DIR_BEFORE DIR_AFTER

``record`` runs short runs of each mode with a fixed seed and fixed threads
(scale 0.02: resting 1.5 s, action selection on a 2 x 2 grid, a 7-episode
plasticity protocol with a probe; with ``--mpi``, the plasticity run again
under ``mpirun -np 2`` with that MPI-enabled Python) using the code of
CHECKOUT (default: this one) and writes them to DIR; ``--cases`` records
only those cases, and ``--set`` adds simParams overrides after each case's
own (e.g. ``--set scale=1.0 --cases resting_state`` at full scale). ``compare`` compares two
such folders file by file: every rate file, reward.txt, mean_weights.txt,
the connection dumps, positions, spikes and the checkpoint arrays must be
identical; run.json, run.lock and performance.txt hold times and paths and
are left out. The connection dumps (``*_to_MSN_*.txt``) are compared as sets
of rows: with more than one thread NEST returns the same connections in an
order that varies from run to run of the same code. Exit status 0 when
everything is identical, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    'resting_state': ['scale=0.02', 'nbcpu=2', 'simDuration=1500.0'],
    'action_selection': ['scale=0.02', 'nbcpu=2', 'resting_state=False', 'action_selection=True',
                         'as_grid=2', 'as_rate_step=8.5'],
    'plasticity': ['scale=0.02', 'nbcpu=2', 'resting_state=False', 'plasticity=True', 'con_ep=2',
                   'gen_ep=2', 'dis_ep=3', 'probe_T1=[1]', 'probe_T2=[2]', 'n_unreinforced=1',
                   'checkpoint_every=3'],
}
MPI_CASE = ('plasticity_mpi', CASES['plasticity'][:1] + ['nbcpu=1'] + CASES['plasticity'][2:])
NOT_COMPARED = ('run.json', 'run.lock', 'performance.txt')


def record(out, code, mpi_python=None, only=None, extra=()):
    """Run every case (or those of ``only``) with the code of ``code`` into
    ``out/<case>``, with the simParams overrides ``extra`` after the case's own."""
    script = os.path.join(code, 'stim_all_model.py')
    cases = [(name, [sys.executable], settings + list(extra))
             for name, settings in CASES.items() if only is None or name in only]
    if mpi_python:
        cases.append((MPI_CASE[0], ['mpirun', '--allow-run-as-root', '--oversubscribe', '-np',
                                    '2', mpi_python], MPI_CASE[1] + list(extra)))
    for name, launcher, settings in cases:
        cmd = launcher + [script, '--log-dir', os.path.join(out, name)]
        for item in settings:
            cmd += ['--set', item]
        proc = subprocess.run(cmd, cwd=code, capture_output=True, text=True)
        if proc.returncode:
            sys.exit('%s failed:\n%s' % (name, proc.stderr[-3000:]))
        print('recorded %s' % name, flush=True)


def checkpoint_arrays(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def same_file(a, b):
    """'' if files ``a`` and ``b`` hold the same data, else what differs."""
    if a.endswith('.npz'):
        x, y = checkpoint_arrays(a), checkpoint_arrays(b)
        if sorted(x) != sorted(y):
            return 'arrays %s vs %s' % (sorted(x), sorted(y))
        bad = [k for k in x if x[k].dtype != y[k].dtype or not np.array_equal(x[k], y[k])]
        return 'arrays differ: %s' % bad if bad else ''
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        x, y = fa.read(), fb.read()
    if '_to_MSN_' in os.path.basename(a):          # the same rows, in any order
        x, y = sorted(x.splitlines()), sorted(y.splitlines())
        return '' if x == y else 'rows differ'
    return '' if x == y else 'bytes differ'


def compare(before, after):
    """Lines naming every difference between two recorded folders (none: identical)."""
    problems, n = [], 0
    for case in sorted(os.listdir(before)):
        a, b = os.path.join(before, case), os.path.join(after, case)
        if not os.path.isdir(b):
            problems.append('%s: missing in %s' % (case, after))
            continue
        names_a = {f for f in os.listdir(a) if f not in NOT_COMPARED}
        names_b = {f for f in os.listdir(b) if f not in NOT_COMPARED}
        for name in sorted(names_a ^ names_b):
            problems.append('%s/%s: only in %s' % (case, name, before if name in names_a
                                                    else after))
        for name in sorted(names_a & names_b):
            n += 1
            why = same_file(os.path.join(a, name), os.path.join(b, name))
            if why:
                problems.append('%s/%s: %s' % (case, name, why))
    return problems, n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='action', required=True)
    r = sub.add_parser('record')
    r.add_argument('out')
    r.add_argument('--code', default=HERE, help='checkout whose stim_all_model.py runs')
    r.add_argument('--mpi', metavar='PYTHON', help='MPI-enabled python for the mpirun case')
    r.add_argument('--cases', nargs='+', choices=sorted(CASES), help='only these cases')
    r.add_argument('--set', dest='extra', action='append', default=[], metavar='KEY=VALUE',
                   help='simParams override for every case (repeatable)')
    c = sub.add_parser('compare')
    c.add_argument('before')
    c.add_argument('after')
    args = p.parse_args(argv)
    if args.action == 'record':
        record(os.path.abspath(args.out), os.path.abspath(args.code), args.mpi, args.cases,
               args.extra)
        return 0
    problems, n = compare(args.before, args.after)
    for line in problems:
        print(line)
    print('%d files compared, %d differences' % (n, len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
