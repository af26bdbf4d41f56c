#!/usr/bin/env python3
"""Paper figures (Gutierrez et al. 2025) from run folders, and one HTML page; run inside figures/.

Usage::

    python plots.py                                  # every figure whose data is found
    python plots.py --data /path/to/runs --out figs  # search other roots, write elsewhere
    python plots.py --as-run ../log_as               # 1E, 1F, 1G and the AS maps
    python plots.py --run ../log                     # every figure of that one run
    python plots.py --only 3C 3D --strict            # a skipped figure -> exit 1

Run folders of the authors' layout ``run4_k_{κ}_l_{λ}_m_{η}[_p_no_conv|_s]/log{N}``
are searched under the ``--data`` roots (default: this folder) with
``run_folder.find_runs``. Every protocol number (episode counts, phase
bounds, probes, dc, τ) comes from the run folders (``RunFolder``) or the
parameter files (``fetch_params``).

The figures are drawn by the modules listed in ``registry.py`` (one function
and one entry per figure) in the style of ``style.py``; ``page.py`` writes
``index.html`` beside them. A figure whose inputs are missing is skipped with
one line naming what is missing; a run folder with a malformed table is left
out with one line naming the file and the line; a summary of made and
skipped figures ends the output. Exit status: 0, or 1 with ``--strict`` when
a figure was skipped, or 2 after an error or a refused option.
"""
import argparse
import glob
import os
import sys
import traceback
from dataclasses import dataclass, field

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt

HERE = os.path.dirname(os.path.abspath(__file__))
import page
import registry
import run_folder as rf
import style
from errors import Refused, cut
from run_folder import RunFolder, find_runs, parse_condition_folder
from selection import Inputs, Missing, cond_text, is_own, malformed, run_cond_text, run_matches

RUN_ALLOWED = 'give a run folder written by stim_all_model.py'
DATA_ALLOWED = 'give a folder holding run4_k_*_l_*_m_*/log* folders'
OUT_ALLOWED = 'give a folder that exists or can be created, and that you can write to'


@dataclass
class Result:
    """What :func:`make_all` did.

    Attributes
    ----------
    made : dict
        {figure name: [style.Output]}.
    skipped, errors : dict
        {figure name: why}.
    layout : dict
        {file: [text problems]} of the figures whose texts overlap or leave the canvas.
    """
    made: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------
def check_folder(option, path, allowed):
    """Refused unless ``path`` is an existing folder."""
    if not os.path.exists(path):
        raise Refused('%s %s: no such folder; %s' % (option, cut(path), allowed))
    if not os.path.isdir(path):
        raise Refused('%s %s: is a file, not a folder; %s' % (option, cut(path), allowed))


def check_out(path):
    """Create the output folder, or Refused naming why it cannot be used."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise Refused('--out %s: is a file, not a folder; %s' % (cut(path), OUT_ALLOWED))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise Refused('--out %s: cannot be created (%s); %s' % (cut(path), err.strerror,
                                                               OUT_ALLOWED))
    if not os.access(path, os.W_OK | os.X_OK):
        raise Refused('--out %s: is not writable; %s' % (cut(path), OUT_ALLOWED))


def parse_args(argv=None):
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', action='append', metavar='DIR',
                   help='root searched for run4_k_*_l_*_m_*/log* folders (repeatable; '
                        'default: the folder of plots.py)')
    p.add_argument('--as-run', metavar='DIR', help='action-selection run folder')
    p.add_argument('--run', metavar='LOGDIR', help='make the figures of this one run')
    p.add_argument('--only', nargs='+', choices=registry.NAMES, metavar='NAME',
                   help='figures to make: %s' % ' '.join(registry.NAMES))
    p.add_argument('--out', default='.', help='output folder (default: current folder)')
    p.add_argument('--strict', action='store_true', help='exit 1 if a figure was skipped')
    return p.parse_args(argv)


def check_args(args):
    """Refused for the first option that cannot be used, before any work."""
    for option, path in (('--run', args.run), ('--as-run', args.as_run)):
        if path is not None:
            check_folder(option, path, RUN_ALLOWED)
    for path in args.data or ():
        check_folder('--data', path, DATA_ALLOWED)
    check_out(args.out)


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------
def open_run(option, path):
    """RunFolder of ``--run`` / ``--as-run``, or Refused naming the damaged file and line."""
    try:
        run = RunFolder(path)
    except (ValueError, KeyError, OSError) as err:
        raise Refused('%s %s: unreadable run.json (%s: %s); %s' % (
            option, cut(path), type(err).__name__, cut(err), RUN_ALLOWED))
    bad = malformed(run)
    if bad:
        raise Refused('%s %s: %s; repair or remove that row' % (option, cut(path), bad))
    return run


def damaged_meta(roots):
    """Refused naming the first run.json under the roots that cannot be read."""
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, 'run4_k_*', 'log*', 'run.json'))):
            try:
                rf.read_run_json(os.path.dirname(path), '--data', required=())
            except Refused as err:
                raise Refused('--data %s: %s is unreadable (%s); repair it or move its log '
                              'folder away' % (cut(root), path, cut(err, 200))) from None


def usable_runs(found):
    """find_runs' result without malformed, empty and mislabelled runs (one note line each).

    A run of this package copied into ``run4_k_4_l_02_m_1/`` must have those
    parameters in its run.json.
    """
    kept = {}
    for folder, runs in found.items():
        cond = parse_condition_folder(folder)
        for run in runs:
            bad = malformed(run)
            if bad:
                print('note: %s left out: %s' % (run.path, bad))
                continue
            if run.n_episodes == 0:
                print('note: %s left out: no episode written' % run.path)
                continue
            if is_own(run) and not run_matches(run, cond):
                print('note: %s left out: its run.json says %s, the folder name %s'
                      % (run.path, run_cond_text(run), cond_text(cond)))
                continue
            kept.setdefault(folder, []).append(run)
    return kept


def make_inputs(args):
    """Read the run folders named on the command line (Refused for a damaged one)."""
    roots = tuple(args.data) if args.data else (HERE,)
    damaged_meta(roots)
    return Inputs(roots=roots, runs=usable_runs(find_runs(roots)),
                  as_run=open_run('--as-run', args.as_run) if args.as_run else None,
                  run=open_run('--run', args.run) if args.run else None, out=args.out)


def selected(args, inp):
    """The figure names to make.

    ``--only``; else the figures of ``--run``'s mode (and of ``--as-run``);
    else, with ``--as-run`` alone, the action-selection figures; else all.
    """
    if args.only:
        wanted = set(args.only)
    elif inp.run is not None:
        wanted = registry.of_mode(inp.run.mode) | (
            registry.of_mode('action_selection') if inp.as_run else set())
    elif inp.as_run is not None and not args.data:
        wanted = registry.of_mode('action_selection')
    else:
        wanted = set(registry.NAMES)
    return [n for n in registry.NAMES if n in wanted]


# --------------------------------------------------------------------------
# Making
# --------------------------------------------------------------------------
def make_all(names, inp):
    """Make, check and save each figure; returns a :class:`Result`."""
    result = Result()
    for name in names:
        try:
            outputs = registry.BY_NAME[name].make(inp)
            for out in outputs:
                problems = style.save(out, os.path.join(inp.out, out.file))
                if problems:
                    result.layout[out.file] = problems
                    print('layout %s: %s' % (out.file, '; '.join(problems)))
        except Missing as why:
            result.skipped[name] = str(why)
            print('skip %s: %s' % (name, why))
        except Exception as err:  # a real error: report it, go on, exit non-zero
            result.errors[name] = '%s: %s' % (type(err).__name__, err)
            print('error %s:' % name)
            traceback.print_exc()
        else:
            result.made[name] = outputs
            print('made %s: %s' % (name, ', '.join(o.file for o in outputs)))
        finally:
            plt.close('all')
    return result


def summary(result, out):
    """Final lines: made figures with files, skipped and failed ones."""
    files = [o.file for outs in result.made.values() for o in outs]
    print('summary: made %s (%s in %s): %s' % (
        style.plural(len(result.made), 'figure'), style.plural(len(files), 'file'),
        os.path.abspath(out), ', '.join(files) or '-'))
    print('summary: skipped %s: %s' % (style.plural(len(result.skipped), 'figure'),
                                       ', '.join(result.skipped) or '-'))
    if result.errors:
        print('summary: FAILED %s: %s' % (style.plural(len(result.errors), 'figure'), '; '.join(
            '%s (%s)' % kv for kv in result.errors.items())))


def main(argv=None):
    """Make the figures and the page; returns the exit status."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = parse_args(argv)
    try:
        check_args(args)
        inp = make_inputs(args)
    except Refused as err:
        print('plots.py: error: %s' % err, file=sys.stderr)
        return 2
    result = make_all(selected(args, inp), inp)
    summary(result, args.out)
    path = page.write_page(args.out, inp, result.made, result.skipped,
                           ' '.join(['plots.py'] + argv))
    print('page: %s' % os.path.abspath(path))
    if result.errors:
        return 2
    return 1 if args.strict and result.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
