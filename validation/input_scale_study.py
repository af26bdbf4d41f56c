#!/usr/bin/env python3
"""Reduced scale with scaled or full-size input layers against full scale.

Usage (from the repository root; runs in the background, one run at a time)::

    python3 validation/input_scale_study.py --root /tmp/input_study --scale 0.1 \
        --seeds 814 815 816 817 818 --episodes 30 --threads 2

For each candidate of ``--settings`` (:func:`candidate`: input layers scaled,
full-size or at an intermediate scale; input projections and projections from
MSNs drawn by NEST or without repetition) and each seed it makes
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
import connectivity
import fetch_params as fp
import protocol
import run_folder as rf
from populations import INPUT_DRAWS, RESTING_REPORTED

NUCLEI = RESTING_REPORTED


# The candidates of the reduced-scale study (docs/validation.md): a base that sizes
# the input layers, 'scaled', 'full' or 'in<S>' (input layers at scale S, e.g.
# in0.3), or 'matched' (the default input_draw, connectivity.input_plan), followed by options: '_norep' draws the input projections without
# repetition, '_fsr' with the repeats of a full-size layer, '_bal' with balanced
# repeats (connectivity.virtual_pool), '_msnnorep' and
# '_msnfsr' the same for the projections from MSNs (scaled_norep, in0.3_norep,
# scaled_fsr, full_msnnorep, ...).
BASES = {'scaled': {'full_size_inputs': False}, 'full': {'full_size_inputs': True},
         'matched': {'full_size_inputs': False, 'input_draw': 'matched'}}
OPTIONS = {'norep': ('input_draw', 'without_repetition'),
           'fsr': ('input_draw', 'full_scale_repeats'),
           'bal': ('input_draw', 'balanced_repeats'),
           'msnnorep': ('msn_draw', 'without_repetition'),
           'msnfsr': ('msn_draw', 'full_scale_repeats')}
FOLDERS = {'scaled': 'full_inputs_False', 'full': 'full_inputs_True'}   # earlier studies' folders


def candidate(name):
    """simParams overrides of a candidate name, or None for a name that is not one."""
    base, *opts = name.split('_')
    if base in BASES:
        sets = dict(BASES[base])
    else:
        try:
            s_in = float(base[2:]) if base.startswith('in') else None
        except ValueError:
            s_in = None
        if s_in is None:
            return None
        sets = {'full_size_inputs': False, 'input_layer_scale': s_in}
    sets = dict({'input_draw': 'nest', 'msn_draw': 'nest'}, **sets)
    for opt in opts:
        if opt not in OPTIONS:
            return None
        key, value = OPTIONS[opt]
        sets[key] = value
    return sets


def csn_draw(scale):
    """(k, n_full, layer_scale, rule) of the CSN->MSN draw of each candidate at
    ``scale`` (connectivity.csn_mask, shipped parameters)."""
    k, n_full = connectivity.csn_mask(fp.read_bg())

    def of(name):
        s_in, rule = connectivity.input_plan(dict(candidate(name), scale=scale))
        return k, n_full, s_in, rule
    return of


def theory_table(scale):
    """Markdown: variance factor and stimulated-count variance of each draw of
    the CSN->MSN projection with input layers at ``scale`` (:func:`draw_statistics`)."""
    k, n_full, _, _ = csn_draw(scale)('scaled')
    lines = ['| `input_draw` | variance factor at %g | count variance at %g |' % (scale, scale),
             '|---|---|---|']
    for rule in INPUT_DRAWS:
        stats = connectivity.draw_statistics(k, n_full, scale, rule)
        lines.append("| `'%s'` | %.3f | %.2f |" % ((rule,) + stats))
    s_in, rule = csn_draw(scale)('matched')[2:]
    lines.append("| `'matched'` (layers at %g, `'%s'`) | %.3f | %.2f |"
                 % ((s_in, rule) + connectivity.draw_statistics(k, n_full, s_in, rule)))
    full = connectivity.draw_statistics(k, n_full, 1.0, 'nest')
    lines.append('| full network | %.3f | 1.00 |' % full[0])
    return '\n'.join(lines)


def run_once(log_dir, sets, bg_sets=(), needs=(), read_only=False):
    """stim_all_model.py into ``log_dir`` unless it has finished there already
    with the files ``needs`` (a run of an earlier study saved no spikes).

    ``sets`` and ``bg_sets`` are 'key=value' strings for --set and --bg-set.
    ``read_only``: start nothing; a finished run is enough, else SystemExit."""
    finished = (os.path.exists(os.path.join(log_dir, 'run.json')) and
                rf.RunFolder(log_dir).status == 'finished')
    if finished and (read_only or rf.RunFolder(log_dir).has(*needs)):
        return
    if read_only:
        raise SystemExit('--read-only: %s holds no finished run; run the study without '
                         '--read-only first' % log_dir)
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


def stimulus_windows(run, episodes):
    """(start, stop) in ms of the stimulus window of episodes 0..episodes-1 (file
    time axis: episode 0 starts after the warm-up)."""
    return [protocol.stimulus_window(e, run.sim, run.sim['pl_warmup']) for e in range(episodes)]


def binned_counts(run, pop, members, wins, bin_ms):
    """Spike counts (members x bins) of ``pop`` in ``bin_ms`` bins of the
    windows (equal lengths, in time order), in one pass over the spikes."""
    senders, times = run.spikes(pop)
    index = np.full(max(senders.max(initial=0), members.max()) + 1, -1)
    index[members] = np.arange(len(members))
    starts = np.array([lo for lo, _ in wins])
    length = wins[0][1] - wins[0][0]
    n_bins = int(round(length / bin_ms))
    w = np.searchsorted(starts, times, side='right') - 1
    row = index[senders]
    keep = (w >= 0) & (row >= 0)
    keep[keep] &= times[keep] < starts[w[keep]] + length
    col = w[keep] * n_bins + ((times[keep] - starts[w[keep]]) // bin_ms).astype(int)
    out = np.zeros((len(members), len(wins) * n_bins))
    np.add.at(out, (row[keep], col), 1)
    return out


def population_correlation(counts):
    """Mean pairwise correlation of the rows' counts, weighted by their sd:
    sum of covariances over sum of sd products, both over pairs i != j."""
    var = counts.var(axis=1)
    total = counts.sum(axis=0).var()
    pairs_sd = counts.std(axis=1).sum() ** 2 - var.sum()
    return float((total - var.sum()) / pairs_sd) if pairs_sd > 0 else float('nan')


# The synchrony measures of :func:`synchrony`, with their labels.
SYNCHRONY = {'d1_ch1_corr': 'MSN_d1 ch1 pair correlation (50-ms counts)',
             'd2_ch1_corr': 'MSN_d2 ch1 pair correlation (50-ms counts)',
             'gpi_ch1_sd': 'GPi ch1 rate sd (5-ms bins, Hz)'}


def synchrony(run, episodes, msn_bin_ms=50.0, gpi_bin_ms=5.0):
    """Within-channel synchrony over the stimulus windows of the first CS+ episodes.

    Returns {'d1_ch1_corr', 'd2_ch1_corr': mean pairwise correlation of the
    channel-1 MSN spike counts in ``msn_bin_ms`` bins; 'gpi_ch1_sd': sd (Hz) of
    channel 1's GPi population rate in ``gpi_bin_ms`` bins}, or None when the
    run saved no spikes."""
    if not run.has('MSN_d1_spikes.dat', 'GPi_spikes.dat'):
        return None
    wins = stimulus_windows(run, episodes)
    out = {}
    for half in ('d1', 'd2'):
        pop = 'MSN_' + half
        out[half + '_ch1_corr'] = population_correlation(
            binned_counts(run, pop, run.channel_ids(pop)[1], wins, msn_bin_ms))
    gpi = run.channel_ids('GPi')[1]
    pop_rate = binned_counts(run, 'GPi', gpi, wins, gpi_bin_ms).sum(axis=0) / (
        len(gpi) * gpi_bin_ms / 1000.0)
    out['gpi_ch1_sd'] = float(pop_rate.std())
    return out


def in_band(values, ref_values):
    """Whether a window mean lies in the floored published band (comparison.band)."""
    mean, sd = comparison.band(ref_values)
    return abs(values - mean) <= comparison.N_SD * sd


def markdown_table(summary, keys, ref_means, nuclei=NUCLEI, draw_of=None):
    """The study as one Markdown table: a column per candidate (mean over seeds,
    channel 1 / channel 2), the published runs, the windows in the band, the
    resting rates, the synchrony measures and the wall time."""
    names = list(summary)
    head = '| CS+ episodes | | %s | published |' % ' | '.join(names)
    lines = [head, '|' + '---|' * (len(names) + 3)]
    if draw_of is not None:
        stats = [connectivity.draw_statistics(*draw_of(n)) for n in names]
        full = connectivity.draw_statistics(*draw_of('full'))[0]
        lines.append('| CSN->MSN draw | input variance factor sum(m²)/k | %s | %.3f |' % (
            ' | '.join('%.3f' % t for t, _ in stats), full))
        lines.append('| | stimulated-count variance / full | %s | 1 |'
                     % ' | '.join('%.2f' % v for _, v in stats))
    refs = np.asarray([[m[k] for k in keys] for m in ref_means]) if ref_means else None
    for i, (pop, w) in enumerate(keys):
        fmt = '%.1f / %.1f' if pop == 'GPi' else '%.3f / %.3f'
        cells = []
        for n in names:
            v = np.asarray(summary[n]['windows'])[:, i]
            cells.append(fmt % tuple(v.mean(axis=0)))
        pub = fmt % tuple(refs[:, i].mean(axis=0)) if refs is not None else ''
        lines.append('| %d–%d | %s | %s | %s |' % (w[0], w[1] - 1, pop, ' | '.join(cells), pub))
    if refs is not None:
        cells = []
        for n in names:
            v = np.asarray(summary[n]['windows'])        # seeds x keys x channels
            means = [in_band(v[:, i, c].mean(), refs[:, i, c])
                     for i in range(len(keys)) for c in (0, 1)]
            single = [in_band(x, refs[:, i, c]) for i in range(len(keys)) for c in (0, 1)
                      for x in v[:, i, c]]
            cells.append('%d of %d / %d of %d' % (sum(means), len(means), sum(single),
                                                  len(single)))
        lines.append('| in the band | seed means / single seeds | %s | |' % ' | '.join(cells))
        msn = [i for i, (pop, _) in enumerate(keys) if pop != 'GPi']
        pub = refs[:, msn].mean(axis=0)
        cells = []
        for n in names:
            v = np.asarray(summary[n]['windows'])[:, msn]           # seeds x windows x channels
            each = np.exp(np.log(v / pub).mean(axis=(1, 2)))
            cells.append('%.2f (%.2f–%.2f)' % (np.exp(np.mean(np.log(v.mean(axis=0) / pub))),
                                               each.min(), each.max()))
        lines.append('| MSN windows | rate / published, geometric mean (seeds from–to) | %s | 1 |'
                     % ' | '.join(cells))
    for j, nucleus in enumerate(nuclei[:4]):
        cells = ['%.2f' % np.asarray(summary[n]['resting'])[:, j].mean() for n in names]
        lines.append('| resting | %s (Hz) | %s | |' % (nucleus, ' | '.join(cells)))
    for key, label in SYNCHRONY.items():
        cells = []
        for n in names:
            v = [s[key] for s in summary[n]['synchrony'] if s]
            cells.append('%.3g' % np.mean(v) if v else '–')
        lines.append('| 0–%d | %s | %s | |' % (keys[-1][1][1] - 1, label, ' | '.join(cells)))
    cells = ['%.1f' % np.mean(summary[n]['wall_plasticity']) for n in names]
    lines.append('| | wall s per model s | %s | |' % ' | '.join(cells))
    return '\n'.join(lines) + '\n'


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
                   help='candidates to run, comma-separated: scaled, full or in<S>, with '
                   'options _%s (e.g. in0.3_norep)' % ', _'.join(OPTIONS))
    p.add_argument('--resting-only', action='store_true', help='no plasticity runs')
    p.add_argument('--read-only', action='store_true',
                   help='start no run: report the finished runs (synchrony only where '
                   'they saved spikes)')
    p.add_argument('--theory', action='store_true',
                   help='print the two input statistics of each draw at --scale and stop')
    p.add_argument('--markdown', metavar='FILE',
                   help='also write the candidates as one Markdown table to FILE')
    p.add_argument('--reference', default=os.path.join(os.path.dirname(REPO), 'shared',
                                                       'reference', 'run4_k_4_l_02_m_1'))
    args = p.parse_args()
    if args.theory:
        print(theory_table(args.scale))
        return
    bg_sets, cond_name = reference_condition(args.reference)
    wins = [(lo, lo + 10) for lo in range(0, args.episodes - 9, 10)]
    keys = [(pop, w) for pop in comparison.POPS for w in wins]
    refs = comparison.reference_runs(args.reference) if os.path.isdir(args.reference) else []
    if refs and not args.resting_only:
        print('published runs (%d), CS+ windows, ch1 / ch2, mean +- sd:' % len(refs))
        ref_means = [comparison.window_means(r, wins) for r in refs]
        print_windows([[m[k] for k in keys] for m in ref_means], keys, ddof=0)
    common = ['scale=%r' % args.scale, 'nbcpu=%d' % args.threads]
    summary = {}
    for full in args.settings.split(','):
        sets = candidate(full)
        if sets is None:
            p.error('--settings %s: allowed: a base (%s or in<S> with S an input layer '
                    'scale) followed by options _%s (e.g. in0.3_norep)'
                    % (full, ', '.join(BASES), ', _'.join(OPTIONS)))
        cand = ['%s=%s' % kv for kv in sets.items()]
        rows = {'resting': [], 'd1_ch1': [], 'windows': [], 'wall_resting': [],
                'wall_plasticity': [], 'synchrony': []}
        for seed in args.seeds:
            base = os.path.join(args.root, 'scale_%g' % args.scale, FOLDERS.get(full, full),
                                'msd_%d' % seed)
            rest = os.path.join(base, 'resting')
            run_once(rest, common + cand + ['msd=%d' % seed, 'save_spikes=False',
                                     'simDuration=%r' % args.resting_ms],
                     read_only=args.read_only)
            fr = rf.RunFolder(rest).resting_rates()
            rows['resting'].append([fr[n] for n in NUCLEI])
            rows['wall_resting'].append(wall_per_model_s(rest))
            if args.resting_only:
                continue
            plast = os.path.join(base, 'plasticity_' + cond_name)
            run_once(plast, common + [
                *cand, 'msd=%d' % seed, 'resting_state=False', 'save_spikes=True',
                'plasticity=True', 'con_ep=%d' % args.episodes, 'gen_ep=0', 'dis_ep=1',
                'probe_T1=[]', 'probe_T2=[]', 'n_unreinforced=0', 'checkpoint_every=0'],
                bg_sets, needs=('MSN_d1_spikes.dat',), read_only=args.read_only)
            run = rf.RunFolder(plast)
            rows['d1_ch1'].append(float(run.rates('MSN_d1')[:args.episodes, 1].mean()))
            means = comparison.window_means(run, wins)
            rows['windows'].append([means[k] for k in keys])
            rows['wall_plasticity'].append(wall_per_model_s(plast))
            rows['synchrony'].append(synchrony(run, args.episodes))
        summary[full] = {k: (v if k == 'synchrony' else np.asarray(v).tolist())
                         for k, v in rows.items()}
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
            sync = [v for v in rows['synchrony'] if v]
            for key, label in SYNCHRONY.items():
                if sync:
                    v = np.array([x[key] for x in sync])
                    print('  %-44s %.4f +- %.4f' % (label, v.mean(), v.std(ddof=1) if len(v) > 1
                                                    else 0.0))
            print('  wall per model second: plasticity %.2f s'
                  % np.mean(rows['wall_plasticity']), flush=True)
    with open(os.path.join(args.root, 'summary_%g.json' % args.scale), 'w') as fh:
        json.dump(summary, fh, indent=1)
    if args.markdown and not args.resting_only:
        with open(args.markdown, 'w') as fh:
            fh.write(markdown_table(summary, keys, ref_means if refs else [],
                                    draw_of=csn_draw(args.scale)))


if __name__ == '__main__':
    main()
