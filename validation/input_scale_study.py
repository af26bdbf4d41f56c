#!/usr/bin/env python3
"""Reduced scale with scaled or full-size input layers against full scale.

Usage (from the repository root; runs in the background, one run at a time)::

    python3 validation/input_scale_study.py --root /tmp/input_study --scale 0.1 \
        --seeds 814 815 816 817 818 --episodes 30 --threads 2

For each candidate of ``--settings`` (:data:`CANDIDATES`: input layers scaled
or full-size, input projections drawn by NEST or without repetition) and each
seed it makes
a resting run (``--resting-ms``, the shipped parameters, as the full-scale
resting figures of docs/validation.md) and a plasticity run of ``--episodes`` CS+
episodes with the κ, λ and η of the ``--reference`` condition (read from its
folder name: κ 4, λ 0.2, η 1 for run4_k_4_l_02_m_1; the shipped defaults are
κ 2, λ 0.1), then prints, per setting, mean ± sd over seeds of:

* the resting rate of every nucleus (Hz, window of the resting mode);
* MSN_d1 channel 1 over the first CS+ episodes (Hz), to compare with the
  full-scale value in docs/validation.md and the published window mean (0.159 ±
  0.010, docs/model.md §10.2);
* GPi, MSN_d1 and MSN_d2, channels 1 / 2, over 10-episode windows of those
  CS+ episodes, next to the published runs' (``--reference``, when present);
* wall seconds per model second of each run (from run.json).

Runs already finished under ``--root`` are reused, so the study can be
stopped and started again; a plasticity run's folder is named after its
condition (``plasticity_run4_k_4_l_02_m_1``), so runs of another condition
are never reused. Writes ``summary_{scale}.json`` under ``--root``, with the
settings of this invocation only.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
import comparison
import run_folder as rf
from populations import RESTING_REPORTED

NUCLEI = RESTING_REPORTED


# The candidates of the reduced-scale study: how the input layers are sized and
# how their projections are drawn (docs/validation.md).
CANDIDATES = {
    'scaled': {'full_size_inputs': False, 'input_draw': 'nest'},
    'full': {'full_size_inputs': True, 'input_draw': 'nest'},
    'scaled_norep': {'full_size_inputs': False, 'input_draw': 'without_repetition'},
    'full_norep': {'full_size_inputs': True, 'input_draw': 'without_repetition'},
}
FOLDERS = {'scaled': 'full_inputs_False', 'full': 'full_inputs_True'}   # earlier studies' folders


def run_once(log_dir, sets, bg_sets=()):
    """stim_all_model.py into ``log_dir`` unless it has finished there already.

    ``sets`` and ``bg_sets`` are 'key=value' strings for --set and --bg-set."""
    if os.path.exists(os.path.join(log_dir, 'run.json')) and \
            rf.RunFolder(log_dir).status == 'finished':
        return
    cmd = [sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--log-dir', log_dir,
           '--overwrite']
    for s in sets:
        cmd += ['--set', s]
    for s in bg_sets:
        cmd += ['--bg-set', s]
    print('running', ' '.join(cmd[2:]), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def print_windows(values, keys, ddof):
    """One line per (population, window): mean +- sd over runs, ch1 / ch2.

    ``values`` has shape (runs, len(keys), 2); ``ddof`` 0 for the published
    runs (as docs/model.md §10.2 tabulates them), 1 for our seeds."""
    values = np.asarray(values)
    for i, (pop, w) in enumerate(keys):
        v = values[:, i]
        print('  %-6s %3d-%-3d %8.3f +- %.3f / %8.3f +- %.3f' % (
            pop, w[0], w[1] - 1, v[:, 0].mean(), v[:, 0].std(ddof=ddof), v[:, 1].mean(),
            v[:, 1].std(ddof=ddof)))


def wall_per_model_s(log_dir):
    meta = rf.read_run_json(log_dir, 'input_scale_study')
    return meta['sim_seconds'] / (meta['model_ms'] / 1000.0)


def reference_condition(reference):
    """--bg-set strings and folder name of the reference condition (κ, λ, η of its name)."""
    name = os.path.basename(os.path.abspath(reference))
    cond = rf.parse_condition_folder(name)
    if cond is None or cond[3] != 'normal':
        raise SystemExit('--reference %s: the name must be a condition folder '
                         'run4_k_{kappa}_l_{lambda}_m_{eta} of the normal condition' % reference)
    kappa, lam, eta, _ = cond
    return (['syn_asymm=%r' % kappa, 'overlap_d1d2=%r' % lam, 'MSND2_mod=%r' % eta],
            rf.condition_folder(kappa, lam, eta))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--root', required=True)
    p.add_argument('--scale', type=float, default=0.1)
    p.add_argument('--seeds', type=int, nargs='+', default=[814, 815, 816])
    p.add_argument('--episodes', type=int, default=10, help='CS+ episodes of the plasticity runs')
    p.add_argument('--resting-ms', type=float, default=3000.0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--settings', default='scaled,full',
                   help='candidates to run, comma-separated: %s' % ', '.join(CANDIDATES))
    p.add_argument('--resting-only', action='store_true', help='no plasticity runs')
    p.add_argument('--reference', default=os.path.join(os.path.dirname(REPO), 'shared',
                                                       'reference', 'run4_k_4_l_02_m_1'))
    args = p.parse_args()
    bg_sets, cond_name = reference_condition(args.reference)
    wins = [(lo, lo + 10) for lo in range(0, args.episodes - 9, 10)]
    keys = [(pop, w) for pop in comparison.POPS for w in wins]
    refs = comparison.reference_runs(args.reference) if os.path.isdir(args.reference) else []
    if refs and not args.resting_only:
        print('published runs (%d), CS+ windows, ch1 / ch2, mean +- sd:' % len(refs))
        ref_means = [comparison.window_means(r, wins) for r in refs]
        print_windows([[m[k] for k in keys] for m in ref_means], keys, ddof=0)
    common = ['scale=%r' % args.scale, 'nbcpu=%d' % args.threads, 'save_spikes=False']
    summary = {}
    for full in args.settings.split(','):
        if full not in CANDIDATES:
            p.error('--settings %s: allowed: %s' % (full, ', '.join(CANDIDATES)))
        cand = ['%s=%s' % kv for kv in CANDIDATES[full].items()]
        rows = {'resting': [], 'd1_ch1': [], 'windows': [], 'wall_resting': [],
                'wall_plasticity': []}
        for seed in args.seeds:
            base = os.path.join(args.root, 'scale_%g' % args.scale, FOLDERS.get(full, full),
                                'msd_%d' % seed)
            rest = os.path.join(base, 'resting')
            run_once(rest, common + cand + ['msd=%d' % seed,
                                     'simDuration=%r' % args.resting_ms])
            fr = rf.RunFolder(rest).resting_rates()
            rows['resting'].append([fr[n] for n in NUCLEI])
            rows['wall_resting'].append(wall_per_model_s(rest))
            if args.resting_only:
                continue
            plast = os.path.join(base, 'plasticity_' + cond_name)
            run_once(plast, common + [
                *cand, 'msd=%d' % seed, 'resting_state=False',
                'plasticity=True', 'con_ep=%d' % args.episodes, 'gen_ep=0', 'dis_ep=1',
                'probe_T1=[]', 'probe_T2=[]', 'n_unreinforced=0', 'checkpoint_every=0'],
                bg_sets)
            run = rf.RunFolder(plast)
            rows['d1_ch1'].append(float(run.rates('MSN_d1')[:args.episodes, 1].mean()))
            means = comparison.window_means(run, wins)
            rows['windows'].append([means[k] for k in keys])
            rows['wall_plasticity'].append(wall_per_model_s(plast))
        summary[full] = {k: np.asarray(v).tolist() for k, v in rows.items()}
        res = np.asarray(rows['resting'])
        print('%s (%s), scale %g, %d seeds' % (full, ', '.join(cand), args.scale,
                                                len(args.seeds)))
        for i, n in enumerate(NUCLEI):
            print('  resting %-7s %8.4f +- %.4f Hz' % (n, res[:, i].mean(), res[:, i].std(ddof=1)))
        print('  wall per model second: resting %.2f s' % np.mean(rows['wall_resting']))
        if not args.resting_only:
            d1 = np.asarray(rows['d1_ch1'])
            print('  MSN_d1 ch1, CS+ episodes 0-%d: %.4f +- %.4f Hz (each seed: %s)'
                  % (args.episodes - 1, d1.mean(), d1.std(ddof=1),
                     ' '.join('%.3f' % v for v in d1)))
            print_windows(rows['windows'], keys, ddof=1)
            print('  wall per model second: plasticity %.2f s'
                  % np.mean(rows['wall_plasticity']), flush=True)
    with open(os.path.join(args.root, 'summary_%g.json' % args.scale), 'w') as fh:
        json.dump(summary, fh, indent=1)


if __name__ == '__main__':
    main()
