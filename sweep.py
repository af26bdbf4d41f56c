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
import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass

import fetch_params as fp
import run_control as rc
import run_folder as rf
from errors import Refused

HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP_DIR = os.path.join(HERE, 'sweeps')
DEFAULT_ROOT = os.path.join(HERE, 'figures')
SECTIONS = {'name', 'root', 'fixed', 'fixed_bg', 'vary', 'conditions', 'seeds'}
SEED_KEYS = ('list', 'count', 'base')
SET_BY_SWEEP = ('msd',)            # the sweep sets these itself ([seeds]): never in a section
ATTENTION = 3                      # exit status: a run is damaged or in conflict (left alone)


class SweepError(Refused):
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
        return ' '.join('%s=%s' % (k, fp.cut(v, 60)) for k, v in keys.items()
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
    for key in desc:
        if key not in SECTIONS:
            raise SweepError('%s: unknown entry %s%s; allowed: %s'
                             % (path, fp.shown(key), _nearest(key, SECTIONS), sorted(SECTIONS)))
    check_shape(desc, path)
    return desc, path


def _nearest(key, options):
    """'; did you mean X?' for the nearest of ``options``, or ''."""
    near = difflib.get_close_matches(str(key), list(options), n=1)
    return '; did you mean %r?' % near[0] if near else ''


def check_shape(desc, path):
    """Refuse sections of the wrong type, unknown [seeds] keys and keys the sweep
    sets itself (msd), each with the section, the key and what is allowed."""
    for key in ('name', 'root'):
        if key in desc and not isinstance(desc[key], str):
            raise SweepError('%s: %s = %s; allowed: a string' % (path, key, fp.shown(desc[key])))
    for key in ('fixed', 'fixed_bg', 'vary', 'seeds'):
        if key in desc and not isinstance(desc[key], dict):
            raise SweepError('%s: %s = %s; allowed: a table [%s]'
                             % (path, key, fp.shown(desc[key]), key))
    conditions = desc.get('conditions', [])
    if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
        raise SweepError('%s: conditions = %s; allowed: tables [[conditions]]'
                         % (path, fp.shown(conditions)))
    for key in desc.get('seeds', {}):
        if key not in SEED_KEYS:
            raise SweepError('%s [seeds]: unknown key %s%s; allowed: %s'
                             % (path, fp.shown(key), _nearest(key, SEED_KEYS),
                                ', '.join(SEED_KEYS)))
    sections = [('fixed', desc.get('fixed', {})), ('fixed_bg', desc.get('fixed_bg', {})),
                ('vary', desc.get('vary', {}))] + [('conditions', c) for c in conditions]
    for section, table in sections:
        for key in SET_BY_SWEEP:
            if key in table:
                raise SweepError('%s [%s]: %s = %s cannot be set here: a sweep sets the seed of '
                                 'each run from its [seeds] section (list = [...], or count and '
                                 'base); allowed there' % (path, section, key,
                                                           fp.shown(table[key])))
        if section in ('vary', 'conditions') and 'nbcpu' in table:
            raise SweepError('%s [%s]: nbcpu cannot vary: NEST draws the connectivity per '
                             'virtual process, so runs of other thread counts are other '
                             'networks; allowed: nbcpu in [fixed] (one value for every run)'
                             % (path, section))


def classify(key, where):
    """'sim' or 'bg' for a parameter key; SweepError with the nearest key otherwise."""
    if key in fp.SIM_SCHEMA:
        return 'sim'
    if key in fp.BG_SCHEMA:
        return 'bg'
    near = difflib.get_close_matches(key, list(fp.SIM_SCHEMA) + list(fp.BG_SCHEMA), n=1)
    raise SweepError('%s: unknown key %r%s' % (where, key,
                                              "; did you mean %r?" % near[0] if near else ''))


def sweep_threads(desc, path, extra_sim, default=None):
    """NEST threads of every run: the file's [fixed] nbcpu, else the command line's
    (``--nbcpu``, ``--set nbcpu``), else ``default``.

    The number of virtual processes shapes the connectivity, so a sweep file
    that fixes it is never overridden: a command line asking for another
    number is refused. None: the parameter file's own ``nbcpu``.
    """
    in_file = desc.get('fixed', {}).get('nbcpu')
    asked = (extra_sim or {}).get('nbcpu')
    if in_file is None:
        return asked if asked is not None else default
    if asked is not None and asked != in_file:
        raise SweepError('%s [fixed]: nbcpu = %s, but the command line asks for %s threads per '
                         'run; the threads fix the network (NEST draws it per virtual process), '
                         'so the sweep file wins; allowed: --nbcpu %s or no --nbcpu, or edit '
                         '[fixed] nbcpu' % (path, fp.shown(in_file), fp.shown(asked),
                                            fp.shown(in_file)))
    return in_file


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
           strict=True, default_threads=None):
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
    default_threads : int, optional
        Threads per run when neither the file nor the command line sets nbcpu.
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
            if target == 'bg' and kind != 'bg':
                raise SweepError('%s [fixed_bg]: %r is a key of simParams.py; allowed: it in '
                                 '[fixed]' % (path, key))
            fixed[target or kind][key] = value
    for key in SET_BY_SWEEP:
        if key in (extra_sim or {}):
            raise SweepError('command line: --set %s cannot be given to a sweep: it sets the seed '
                             'of each run from [seeds]; allowed: --seeds N and --base-seed B'
                             % key)
    threads = sweep_threads(desc, path, extra_sim, default_threads)
    for kind, extra in (('sim', extra_sim), ('bg', extra_bg)):
        for key, value in (extra or {}).items():
            fixed[classify(key, 'command line')][key] = value
    if threads is not None:
        fixed['sim']['nbcpu'] = threads
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
            except Refused as err:
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
def _why(err):
    """The reason of a refusal without its 'sweep FOLDER:' prefix, shortened."""
    return fp.cut(str(err).split(': ', 1)[-1], 120)


def state(run, check_lock=True):
    """State of a run's folder: one of :data:`STATES` (see :func:`state_reason`)."""
    return state_reason(run, check_lock)[0]


STATES = ('pending', 'running', 'finished', 'resumable', 'incomplete', 'conflict', 'damaged')


def state_reason(run, check_lock=True):
    """(state, reason) of a run's folder.

    'pending' (no run yet), 'running' (a live process holds the folder's lock;
    the reason names it), 'finished', 'resumable' (a plasticity checkpoint),
    'incomplete' (started, no checkpoint: restarted), 'conflict' or
    'damaged'. A folder holding a run of other parameters (seed, mode, scale,
    ...: run_folder.network_digest differs), or data without run.json (e.g.
    the authors' published folders), is a 'conflict'; an unreadable run.json next
    to a checkpoint, or an unreadable checkpoint, is 'damaged'. Neither is ever
    touched. ``check_lock=False`` when the caller holds the lock itself.
    """
    if check_lock:
        holder = rc.lock_holder(run.folder)
        if holder:
            return 'running', 'held by PID %s' % holder
    meta_path = os.path.join(run.folder, 'run.json')
    checkpoint = os.path.join(run.folder, 'checkpoint.npz')
    if not os.path.exists(meta_path):
        held = rf.describe_run(run.folder)
        return ('conflict', held) if held else ('pending', '')
    try:
        meta = rf.read_run_json(run.folder, 'sweep')
        same = rf.network_digest(run.sim, run.bg) == rf.network_digest(meta['simParams'],
                                                                       meta['bgParams'])
    except (Refused, TypeError) as err:
        if os.path.exists(checkpoint):
            return 'damaged', _why(err)
        return 'incomplete', 'run.json unreadable, no checkpoint'
    if not same:
        return 'conflict', rf.describe_run(run.folder) + ', other parameters'
    if meta.get('status') == 'finished':
        return 'finished', ''
    if run.sim['mode'] == 'plasticity' and os.path.exists(checkpoint):
        try:
            done = rf.checkpoint_done(run.folder, run.sim, 'sweep')
        except Refused as err:
            return 'damaged', _why(err)
        return ('finished', '') if done else ('resumable', '')
    return 'incomplete', ''


def command(run, st=None):
    """stim_all_model.py command line of a run (resumed when it has a checkpoint);
    ``st`` is the run's :func:`state` if already known."""
    st = st or state(run)
    script = [sys.executable, os.path.join(HERE, 'stim_all_model.py')]
    if st == 'resumable':              # on the run's own virtual processes
        return script + ['--resume', run.folder]
    cmd = script + ['--log-dir', run.folder]
    if st == 'incomplete':             # never reached a checkpoint: start again, but never
        cmd.append('--overwrite-unfinished')    # over a run another process has finished
    for flag, values in (('--set', run.sim_set), ('--bg-set', run.bg_set)):
        for key, value in values.items():
            cmd += [flag, '%s=%r' % (key, value)]
    return cmd


def claim(run):
    """The state of a run read again at the moment it is to start, under its lock.

    Another sweep on the same root may have started or finished it since this
    sweep looked: 'running' when a live process holds it, else the state read
    while holding the lock (released before the run itself takes it; a run
    finished in between is still never overwritten: ``--overwrite-unfinished``).
    """
    os.makedirs(run.folder, exist_ok=True)
    lock = rc.RunLock(run.folder)
    try:
        lock.acquire()
    except Refused:
        return 'running', 'held by PID %s' % (rc.lock_holder(run.folder) or '?')
    try:
        return state_reason(run, check_lock=False)
    finally:
        lock.release()


# --------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------
def output_path(run, root):
    """A new file for the stdout + stderr of one attempt at a run:
    ROOT/sweep_logs/<condition>_log<N>_attempt<K>.txt (K = 1, 2, ...; created
    exclusively, so two sweeps on one root never share one)."""
    cond, log = run.folder.split(os.sep)[-2:]
    folder = os.path.join(root, 'sweep_logs')
    os.makedirs(folder, exist_ok=True)
    for k in itertools.count(1):
        path = os.path.join(folder, '%s_%s_attempt%d.txt' % (cond, log, k))
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return path
        except FileExistsError:
            continue


def last_error(path, n=3):
    """The last ``n`` non-empty lines of a run's output (its error), each shortened."""
    try:
        with open(path, errors='replace') as fh:
            lines = [ln.rstrip() for ln in fh if ln.strip()]
    except OSError:
        return '(no output)'
    return ' | '.join(fp.cut(ln) for ln in lines[-n:]) or '(no output)'


def _say(line):
    print(line, flush=True)


def run_all(runs, root, jobs, progress=_say):
    """Run every run that is not finished, at most ``jobs`` at a time.

    The state of each run is read again under its lock when it is started
    (:func:`claim`): a run another process holds or has finished meanwhile is
    skipped. Every SIGINT / SIGTERM the sweep receives is passed on to every
    live run, which stops at its next safe point (plasticity: with a
    checkpoint); no new run starts after one.

    Returns
    -------
    codes : dict
        {run index: exit code} of the runs started (0 = success).
    attention : list of str
        Runs left alone (conflict, damaged) with the reason.
    signum : int or None
        The last signal received.
    """
    states = {r.index: state_reason(r) for r in runs}
    todo = [r for r in runs if states[r.index][0] in ('pending', 'resumable', 'incomplete')]
    count = {s: sum(v[0] == s for v in states.values()) for s in STATES}
    progress('%d runs: %d finished already, %d to run, %d running elsewhere, %d in conflict or '
             'damaged (not touched)' % (len(runs), count['finished'], len(todo),
                                        count['running'], count['conflict'] + count['damaged']))
    attention = []
    for r in runs:
        st, why = states[r.index]
        if st in ('conflict', 'damaged', 'running'):
            progress('%s: run %d, %s: %s; left alone' % (st, r.index, r.folder, why))
        if st in ('conflict', 'damaged'):
            attention.append('run %d %s (%s)' % (r.index, st, why))
    stop = rc.StopFlag().install()            # Ctrl-C / SIGTERM: pass on, wait, report
    running, codes, durations, t0 = {}, {}, [], time.time()
    pending, changed, passed_on = list(todo), False, 0
    n_done_before = count['finished']
    while pending or running:
        if len(stop.received) > passed_on:      # every signal reaches every live run
            for sig in stop.received[passed_on:]:
                progress('%s: passed on to the %d running run(s); no new runs; waiting for '
                         'them to stop at a safe point' % (signal.Signals(sig).name,
                                                           len(running)))
                for _, proc, _, _, _ in running.values():
                    proc.send_signal(sig)
            passed_on = len(stop.received)
            pending = []
        while pending and len(running) < jobs:
            r = pending.pop(0)
            st, why = claim(r)
            if st not in ('pending', 'resumable', 'incomplete'):
                progress('run %d is %s now%s; skipped' % (r.index, st, ' (%s)' % why if why
                                                          else ''))
                n_done_before += st == 'finished'
                if st in ('conflict', 'damaged'):
                    attention.append('run %d %s (%s)' % (r.index, st, why))
                continue
            path = output_path(r, root)
            out = open(path, 'a')
            running[r.index] = (r, subprocess.Popen(command(r, st), stdout=out,
                                                    stderr=subprocess.STDOUT),
                                out, time.time(), path)
        if changed:                     # after refilling, so the counts are current
            progress(status_line(codes, durations, len(running), len(pending), jobs,
                                 n_done_before, time.time() - t0))
            changed = False
        time.sleep(0.5)
        for idx in list(running):
            r, proc, out, started, path = running[idx]
            if proc.poll() is None:
                continue
            out.close()
            del running[idx]
            codes[idx] = proc.returncode
            durations.append(time.time() - started)
            changed = True
            if proc.returncode in rc.EXIT_SIGNAL.values():
                progress('interrupted run %d (%s), exit %d: %s' % (
                    idx, r.describe(), proc.returncode, last_error(path, 1)))
            elif proc.returncode:
                progress('FAILED run %d (%s), exit %d: %s' % (
                    idx, r.describe(), proc.returncode, last_error(path)))
    if changed:
        progress(status_line(codes, durations, 0, 0, jobs, n_done_before, time.time() - t0))
    stop.uninstall()
    return codes, attention, stop.signum


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
    """Lines of the status table (index, state, folder, parameters, and why a run
    is running elsewhere, damaged or in conflict) and the number needing attention."""
    lines = ['%-5s %-10s %-44s %s' % ('index', 'state', 'folder', 'parameters')]
    counts = {}
    for r in runs:
        st, why = state_reason(r)
        counts[st] = counts.get(st, 0) + 1
        short = os.path.join(*r.folder.split(os.sep)[-2:])
        lines.append('%-5d %-10s %-44s %s%s' % (r.index, st, short, r.describe(),
                                                 ' [%s]' % why if why else ''))
    lines.append('total %d: %s' % (len(runs), ', '.join('%s %d' % kv for kv in
                                                       sorted(counts.items()))))
    return lines, counts.get('damaged', 0) + counts.get('conflict', 0)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def parse_args(argv):
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
    extra_sim = fp.parse_overrides(args.set)
    extra_bg = fp.parse_overrides(args.bg_set, '--bg-set')
    if args.scale is not None:
        extra_sim['scale'] = args.scale
    if args.nbcpu is not None:
        extra_sim['nbcpu'] = args.nbcpu
    if args.jobs < 1:
        raise SweepError('--jobs %d; allowed: 1 or more runs at a time' % args.jobs)
    return args, extra_sim, extra_bg


def cores():
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def check_cores(runs, jobs):
    """Refuse ``--jobs`` that would put more threads than cores on this machine
    (NEST threads wait for each other: shared cores cost twice)."""
    threads = max([r.sim['nbcpu'] for r in runs if r.sim] or [1])
    n = cores()
    if jobs * threads > n:
        raise SweepError('--jobs %d: %d runs x %d threads each need %d cores, this machine has '
                         '%d; allowed: --jobs %d or fewer (the threads per run are fixed by '
                         'the sweep file or --nbcpu)' % (jobs, jobs, threads, jobs * threads,
                                                          n, max(1, n // threads)))


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
        default = max(1, cores() // args.jobs) if args.action == 'run' else None
        runs = expand(args.sweep, args.root, args.seeds, args.base_seed, extra_sim, extra_bg,
                      strict=args.action != 'one', default_threads=default)
        if args.action == 'run':
            check_cores(runs, args.jobs)
    except Refused as err:
        print('error: %s' % err, file=sys.stderr)
        return 2
    folders = [r.folder for r in runs if r.folder]
    root = (os.path.abspath(args.root) if args.root else
            os.path.dirname(os.path.dirname(folders[0])) if folders else DEFAULT_ROOT)
    if args.action == 'count':
        print(len(runs))
    elif args.action == 'status':
        lines, n_attention = status_table(runs)
        print('\n'.join(lines))
        return ATTENTION if n_attention else 0
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
        st, why = claim(run)
        print('run %d (%s): %s, %s' % (run.index, run.describe(), st, run.folder), flush=True)
        if st in ('finished', 'conflict', 'damaged', 'running'):
            if st != 'finished':
                print('error: %s is %s (%s); left alone' % (run.folder, st, why),
                      file=sys.stderr)
            return 0 if st == 'finished' else ATTENTION
        cmd = command(run, st)
        os.execv(cmd[0], cmd)        # the run itself gets SLURM's signals (checkpoint on TERM)
    else:
        return report(args.sweep, runs, *run_all(runs, root, args.jobs))
    return 0


def report(name, runs, codes, attention, signum):
    """Print the sweep's closing line; return its exit status: 130 / 143 after
    SIGINT / SIGTERM, 1 if a run failed, 3 if a run needs attention, else 0."""
    failed = [i for i, c in codes.items() if c and c not in rc.EXIT_SIGNAL.values()]
    stopped = [i for i, c in codes.items() if c in rc.EXIT_SIGNAL.values()]
    print('sweep %s: %d runs, %d run now, %d failed%s%s%s' % (
        name, len(runs), len(codes), len(failed), (' (runs %s)' % failed) if failed else '',
        '; %d interrupted (runs %s): run the sweep again to resume them' % (
            len(stopped), stopped) if stopped else '',
        '; needs attention: %s' % '; '.join(attention) if attention else ''), flush=True)
    if signum is not None:
        return rc.EXIT_SIGNAL[signum]
    if failed:
        return 1
    return ATTENTION if attention else 0


if __name__ == '__main__':
    sys.exit(main())
