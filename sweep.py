#!/usr/bin/env python3
"""Parameter sweeps: many runs of stim_all_model.py, locally or as a SLURM array.

Usage::

    python3 sweep.py run SWEEP [--jobs N] [--root DIR] [--seeds N] [--scale S] ...
    python3 sweep.py status SWEEP [...]      # the table of runs, nothing is run
    python3 sweep.py count SWEEP [...]       # number of runs (for --array=0-(N-1))
    python3 sweep.py sbatch SWEEP [...]      # prints the sbatch line of the array
    python3 sweep.py one SWEEP --index I [...]   # run number I (used by go.slurm)

SWEEP is a TOML file or the name of a shipped sweep in ``sweeps/`` (``paper``:
the paper's 15 conditions). A sweep file has::

    name = "tiny"
    root = "runs"             # optional, relative to the file; --root wins
    [fixed]                   # simParams overrides for every run
    scale = 0.1
    [fixed_bg]                # bgParams overrides for every run
    overlap_d1d2 = 0.2
    [vary]                    # keys to vary (simParams or bgParams): every combination
    syn_asymm = [2.0, 4.0]
    [[conditions]]            # and/or an explicit list of combinations
    overlap_d1d2 = 0.1
    [seeds]                   # a list of msd values, or count + base (msd = base + N)
    count = 5
    base = 814

Runs = conditions x combinations of ``vary`` x seeds, in that stable order.
Run N of a seed list writes to
``ROOT/run4_k_{kappa}_l_{lambda code}_m_{eta}[_p_no_conv|_s]/log{N}/`` (the
authors' layout, so ``cd figures && python plots.py`` reads a finished
sweep in the default root ``figures/``). Every run is validated like a
single run before any run starts. Re-running a sweep skips finished runs,
resumes interrupted plasticity runs from their checkpoint and restarts runs
that never reached one.
"""
import argparse
import difflib
import itertools
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass

import numpy as np

import fetch_params as fp
import protocol
import run_control as rc
import run_folder as rf

HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP_DIR = os.path.join(HERE, 'sweeps')
DEFAULT_ROOT = os.path.join(HERE, 'figures')
SECTIONS = {'name', 'root', 'fixed', 'fixed_bg', 'vary', 'conditions', 'seeds'}


class SweepError(ValueError):
    """A sweep description or one of its runs is invalid."""


@dataclass
class Run:
    """One run of a sweep: its parameters and its folder."""
    index: int
    sim_set: dict
    bg_set: dict
    folder: str
    sim: dict = None
    bg: dict = None
    error: str = ''

    def describe(self):
        keys = dict(self.sim_set, **self.bg_set)
        keys.pop('resting_state', None)
        return ' '.join('%s=%s' % (k, v) for k, v in keys.items()
                        if k not in ('plasticity', 'action_selection', 'nbcpu'))


# --------------------------------------------------------------------------
# Description -> runs
# --------------------------------------------------------------------------
def load_description(sweep):
    """(description dict, its path) of a sweep file or a shipped sweep's name."""
    path = sweep if os.path.isfile(sweep) else os.path.join(SWEEP_DIR, sweep + '.toml')
    if not os.path.isfile(path):
        names = sorted(f[:-5] for f in os.listdir(SWEEP_DIR) if f.endswith('.toml'))
        raise SweepError('sweep %r: no such file, and not a shipped sweep (%s)'
                         % (sweep, ', '.join(names)))
    try:
        with open(path, 'rb') as fh:
            desc = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SweepError('%s: not a valid TOML file: %s' % (path, err)) from None
    unknown = set(desc) - SECTIONS
    if unknown:
        raise SweepError('%s: unknown entries %s; allowed: %s' % (path, sorted(unknown),
                                                                  sorted(SECTIONS)))
    return desc, path


def classify(key, where):
    """'sim' or 'bg' for a parameter key; SweepError with the nearest key otherwise."""
    if key in fp.SIM_SCHEMA:
        return 'sim'
    if key in fp.BG_SCHEMA:
        return 'bg'
    near = difflib.get_close_matches(key, list(fp.SIM_SCHEMA) + list(fp.BG_SCHEMA), n=1)
    raise SweepError('%s: unknown key %r%s' % (where, key,
                                              "; did you mean %r?" % near[0] if near else ''))


def seed_list(desc, where, n_seeds=None, base=None):
    """msd values of the sweep: [seeds] list, or count + base (base + N)."""
    seeds = desc.get('seeds', {'count': 1})
    if 'list' in seeds and n_seeds is None and base is None:
        values = seeds['list']
    else:
        count = n_seeds if n_seeds is not None else seeds.get('count', len(seeds.get('list', [])))
        start = base if base is not None else seeds.get('base', 814)
        values = [start + i for i in range(count)]
    if not values or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                             for s in values):
        raise SweepError('%s: [seeds] gives %r; allowed: a non-empty list of integers >= 1, or '
                         'count >= 1 and base >= 1' % (where, values))
    return values


def combinations(desc, where):
    """Override dicts, one per condition x combination of ``vary``, in file order."""
    vary = desc.get('vary', {})
    for key, values in vary.items():
        if not isinstance(values, list) or not values:
            raise SweepError('%s: [vary] %s = %r; allowed: a non-empty list of values'
                             % (where, key, values))
    conditions = desc.get('conditions') or [{}]
    product = [dict(zip(vary, combo)) for combo in itertools.product(*vary.values())]
    return [dict(c, **p) for c in conditions for p in product]


def expand(sweep, root=None, n_seeds=None, base_seed=None, extra_sim=None, extra_bg=None,
           strict=True):
    """Every run of a sweep, validated, in stable order.

    Parameters
    ----------
    sweep : str
        TOML path or shipped sweep name.
    root : str, optional
        Root folder of the runs (default: the file's ``root``, else figures/).
    n_seeds, base_seed : int, optional
        Override the number of seeds / the base seed.
    extra_sim, extra_bg : dict, optional
        Fixed overrides from the command line (``--scale``, ``--nbcpu``, ``--set``).
    strict : bool
        Raise if any run is invalid (default). False: keep each run's error
        in ``Run.error`` (a SLURM array task checks only its own run, so one
        bad run fails only its task).

    Returns
    -------
    list of Run

    Raises
    ------
    SweepError
        Listing every invalid run (parameter, value and what is allowed), or
        two runs that would share a folder.
    """
    desc, path = load_description(sweep)
    if root is None:
        root = (os.path.join(os.path.dirname(path), desc['root']) if 'root' in desc
                else DEFAULT_ROOT)
    fixed = {'sim': {}, 'bg': {}}
    for section, target in (('fixed', None), ('fixed_bg', 'bg')):
        for key, value in desc.get(section, {}).items():
            kind = classify(key, '%s [%s]' % (path, section))
            fixed[target or kind][key] = value
    for kind, extra in (('sim', extra_sim), ('bg', extra_bg)):
        for key, value in (extra or {}).items():
            fixed[classify(key, 'command line')][key] = value
    runs, errors, folders = [], [], {}
    seeds = seed_list(desc, path, n_seeds, base_seed)
    for combo in combinations(desc, path):
        sim_set, bg_set = dict(fixed['sim']), dict(fixed['bg'])
        for key, value in combo.items():
            (sim_set if classify(key, path) == 'sim' else bg_set)[key] = value
        for n, msd in enumerate(seeds):
            run = Run(len(runs), dict(sim_set, msd=msd), bg_set, '')
            try:
                run.sim = fp.read_sim(overrides=run.sim_set)
                run.bg = fp.read_bg(overrides=run.bg_set)
                fp.check_combination(run.sim, run.bg)
            except fp.ParamError as err:
                run.error = str(err)
                errors.append('run %d (%s): %s' % (run.index, run.describe(), err))
                runs.append(run)
                continue
            try:
                cond = rf.condition_folder(run.bg['syn_asymm'], run.bg['overlap_d1d2'],
                                           run.bg['MSND2_mod'], run.sim['condition'])
            except rf.RunFolderError as err:
                run.error = str(err)
                errors.append('run %d (%s): %s' % (run.index, run.describe(), err))
                runs.append(run)
                continue
            run.folder = os.path.join(os.path.abspath(root), cond, 'log%d' % n)
            if run.folder in folders:
                run.error = ('runs %d and %d both map to %s: the folder name holds only kappa, '
                             'lambda, eta and the condition; sweep other keys into separate '
                             'roots' % (folders[run.folder], run.index, run.folder))
                errors.append(run.error)
            folders[run.folder] = run.index
            runs.append(run)
    if errors and strict:
        shown = errors[:10] + (['... and %d more' % (len(errors) - 10)] if len(errors) > 10
                               else [])
        raise SweepError('%d of %d runs are invalid (nothing was run):\n  %s'
                         % (len(errors), len(runs), '\n  '.join(shown)))
    return runs


# --------------------------------------------------------------------------
# State of a run folder
# --------------------------------------------------------------------------
def state(run):
    """'finished', 'resumable', 'incomplete' (restart), 'pending', 'conflict' or 'damaged'.

    A folder holding a run of other parameters (seed, mode, scale, ...: the
    parameter digest differs), or data without run.json (e.g. the authors'
    published folders), is a 'conflict'; an unreadable run.json next to a
    checkpoint is 'damaged'. Neither is ever touched.
    """
    meta_path = os.path.join(run.folder, 'run.json')
    checkpoint = os.path.join(run.folder, 'checkpoint.npz')
    if not os.path.exists(meta_path):
        return 'conflict' if rc.describe_run(run.folder) else 'pending'
    try:
        with open(meta_path) as fh:
            meta = json.load(fh)
        same = rc.params_digest(run.sim, run.bg) == rc.params_digest(meta['simParams'],
                                                                     meta['bgParams'])
    except (OSError, ValueError, KeyError, TypeError):
        return 'damaged' if os.path.exists(checkpoint) else 'incomplete'
    if not same:
        return 'conflict'
    if meta.get('status') == 'finished':
        return 'finished'
    if run.sim['mode'] == 'plasticity' and os.path.exists(checkpoint):
        try:
            with np.load(checkpoint) as z:
                done = int(z['next_episode']) >= protocol.n_episodes(run.sim)
        except (OSError, ValueError, KeyError, EOFError):
            return 'damaged'
        return 'finished' if done else 'resumable'
    return 'incomplete'


def command(run, st=None):
    """stim_all_model.py command line of a run (resumed when it has a checkpoint);
    ``st`` is the run's :func:`state` if already known."""
    st = st or state(run)
    script = [sys.executable, os.path.join(HERE, 'stim_all_model.py')]
    if st == 'resumable':              # on the run's own virtual processes
        return script + ['--resume', run.folder]
    cmd = script + ['--log-dir', run.folder]
    if st == 'incomplete':                # a run that never reached a checkpoint: start again
        cmd.append('--overwrite')
    for flag, values in (('--set', run.sim_set), ('--bg-set', run.bg_set)):
        for key, value in values.items():
            cmd += [flag, '%s=%r' % (key, value)]
    return cmd


# --------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------
def output_path(run, root):
    """stdout + stderr of a run: ROOT/sweep_logs/<condition>_log<N>.txt."""
    cond, log = run.folder.split(os.sep)[-2:]
    return os.path.join(root, 'sweep_logs', '%s_%s.txt' % (cond, log))


def last_error(path, n=3):
    """The last ``n`` non-empty lines of a run's output (its error)."""
    try:
        with open(path, errors='replace') as fh:
            lines = [ln.rstrip() for ln in fh if ln.strip()]
    except OSError:
        return '(no output)'
    return ' | '.join(lines[-n:])


def _say(line):
    print(line, flush=True)


def run_all(runs, root, jobs, progress=_say):
    """Run every run that is not finished, at most ``jobs`` at a time.

    Returns
    -------
    dict
        {run index: exit code} of the runs started (0 = success).
    """
    states = {r.index: state(r) for r in runs}
    todo = [r for r in runs if states[r.index] in ('pending', 'resumable', 'incomplete')]
    skipped = {s: sum(v == s for v in states.values()) for s in ('finished', 'conflict',
                                                                   'damaged')}
    progress('%d runs: %d finished already, %d to run, %d in conflict or damaged (not touched)'
             % (len(runs), skipped['finished'], len(todo),
                skipped['conflict'] + skipped['damaged']))
    for r in runs:
        if states[r.index] in ('conflict', 'damaged'):
            progress('%s: %s holds %s; left alone' % (
                states[r.index], r.folder, rc.describe_run(r.folder) or 'an unreadable run'))
    stop = rc.StopFlag().install()            # Ctrl-C / SIGTERM: pass on, wait, report
    os.makedirs(os.path.join(root, 'sweep_logs'), exist_ok=True)
    running, codes, durations, t0 = {}, {}, [], time.time()
    pending, changed = list(todo), False
    while pending or running:
        if stop.signum is not None and pending:
            progress('%s: no new runs; waiting for the %d running ones to stop at a safe '
                     'point' % (signal.Signals(stop.signum).name, len(running)))
            for _, proc, _, _ in running.values():
                proc.send_signal(stop.signum)
            pending = []
        while pending and len(running) < jobs:
            r = pending.pop(0)
            os.makedirs(r.folder, exist_ok=True)
            out = open(output_path(r, root), 'a')
            running[r.index] = (r, subprocess.Popen(command(r, states[r.index]), stdout=out,
                                                    stderr=subprocess.STDOUT), out, time.time())
        if changed:                     # after refilling, so the counts are current
            progress(status_line(codes, durations, len(running), len(pending), jobs,
                                 skipped['finished'], time.time() - t0))
            changed = False
        time.sleep(0.5)
        for idx in list(running):
            r, proc, out, started = running[idx]
            if proc.poll() is None:
                continue
            out.close()
            del running[idx]
            codes[idx] = proc.returncode
            durations.append(time.time() - started)
            changed = True
            if proc.returncode:
                progress('FAILED run %d (%s), exit %d: %s' % (
                    idx, r.describe(), proc.returncode, last_error(output_path(r, root))))
    if changed:
        progress(status_line(codes, durations, 0, 0, jobs, skipped['finished'], time.time() - t0))
    stop.uninstall()
    return codes


def status_line(codes, durations, n_running, n_pending, jobs, n_finished_before, elapsed):
    """'done | running | failed | pending | elapsed, ETA' (ETA from the mean run time)."""
    n_failed = sum(1 for c in codes.values() if c)
    mean = sum(durations) / len(durations) if durations else 0.0
    left = n_pending + n_running
    eta = mean * left / max(1, min(jobs, left)) if left else 0.0
    return ('done %d | running %d | failed %d | pending %d | %.0f s so far, ETA %.0f s'
            % (len(codes) - n_failed + n_finished_before, n_running, n_failed, n_pending,
               elapsed, eta))


def status_table(runs):
    """Lines of the status table: index, state, folder, parameters."""
    lines = ['%-5s %-10s %-44s %s' % ('index', 'state', 'folder', 'parameters')]
    counts = {}
    for r in runs:
        st = state(r)
        counts[st] = counts.get(st, 0) + 1
        short = os.path.join(*r.folder.split(os.sep)[-2:])
        lines.append('%-5d %-10s %-44s %s' % (r.index, st, short, r.describe()))
    lines.append('total %d: %s' % (len(runs), ', '.join('%s %d' % kv for kv in
                                                       sorted(counts.items()))))
    return lines


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def parse_args(argv):
    import stim_all_model as sam
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('action', choices=('run', 'status', 'count', 'sbatch', 'one'))
    p.add_argument('sweep', help='a TOML file or a shipped sweep name (e.g. paper)')
    p.add_argument('--root', help='root folder of the run folders (default figures/)')
    p.add_argument('--jobs', type=int, default=1, help='runs at a time (run)')
    p.add_argument('--index', type=int, help='run number (one)')
    p.add_argument('--seeds', type=int, help='seeds per combination (overrides the file)')
    p.add_argument('--base-seed', type=int, help='first msd (overrides the file)')
    p.add_argument('--scale', type=float, help='shortcut for --set scale=S')
    p.add_argument('--nbcpu', type=int, help='NEST threads per run (default: cores / jobs)')
    p.add_argument('--set', action='append', metavar='KEY=VALUE', help='fixed simParams override')
    p.add_argument('--bg-set', action='append', metavar='KEY=VALUE',
                   help='fixed bgParams override')
    args = p.parse_args(argv)
    extra_sim = sam.parse_overrides(args.set)
    extra_bg = sam.parse_overrides(args.bg_set)
    if args.scale is not None:
        extra_sim['scale'] = args.scale
    if args.nbcpu is None and args.action == 'run':
        args.nbcpu = max(1, (os.cpu_count() or 1) // max(1, args.jobs))
    if args.nbcpu is not None:
        extra_sim['nbcpu'] = args.nbcpu
    return args, extra_sim, extra_bg


def sbatch_line(args, n_runs):
    """The sbatch command that runs the whole sweep as an array."""
    opts = []
    for flag in ('root', 'seeds', 'base_seed', 'scale'):
        value = getattr(args, flag)
        if value is not None:
            opts += ['--%s' % flag.replace('_', '-'), str(value)]
    for flag, items in (('--set', args.set), ('--bg-set', args.bg_set)):
        for item in items or []:
            opts += [flag, item]
    sweep = os.path.abspath(args.sweep) if os.path.isfile(args.sweep) else args.sweep
    return shlex.join(['sbatch', '--array=0-%d' % (n_runs - 1), '--export=ALL,BG_HOME=%s' % HERE,
                       os.path.join(HERE, 'go.slurm'), '--sweep', sweep] + opts)


def main(argv=None):
    try:
        args, extra_sim, extra_bg = parse_args(argv)
        runs = expand(args.sweep, args.root, args.seeds, args.base_seed, extra_sim, extra_bg,
                      strict=args.action != 'one')
    except (SweepError, fp.ParamError) as err:
        print('error: %s' % err, file=sys.stderr)
        return 2
    folders = [r.folder for r in runs if r.folder]
    root = (os.path.abspath(args.root) if args.root else
            os.path.dirname(os.path.dirname(folders[0])) if folders else DEFAULT_ROOT)
    if args.action == 'count':
        print(len(runs))
    elif args.action == 'status':
        print('\n'.join(status_table(runs)))
    elif args.action == 'sbatch':
        print(sbatch_line(args, len(runs)).strip())
    elif args.action == 'one':
        if args.index is None or not 0 <= args.index < len(runs):
            print('error: --index %r; allowed: 0..%d' % (args.index, len(runs) - 1),
                  file=sys.stderr)
            return 2
        run = runs[args.index]
        if run.error:
            print('error: run %d (%s): %s' % (run.index, run.describe(), run.error),
                  file=sys.stderr)
            return 2
        st = state(run)
        print('run %d (%s): %s, %s' % (run.index, run.describe(), st, run.folder), flush=True)
        if st in ('finished', 'conflict', 'damaged'):
            if st != 'finished':
                print('error: %s holds %s; left alone' % (run.folder, rc.describe_run(
                    run.folder) or 'an unreadable run'), file=sys.stderr)
            return 0 if st == 'finished' else 3
        os.makedirs(run.folder, exist_ok=True)
        cmd = command(run, st)
        os.execv(cmd[0], cmd)        # the run itself gets SLURM's signals (checkpoint on TERM)
    else:
        codes = run_all(runs, root, max(1, args.jobs))
        failed = [i for i, c in codes.items() if c]
        print('sweep %s: %d runs, %d run now, %d failed%s' % (
            args.sweep, len(runs), len(codes), len(failed),
            (' (runs %s)' % failed) if failed else ''))
        return 1 if failed else 0
    return 0


if __name__ == '__main__':
    sys.exit(main())
