"""Learning-curve figures of the paper (Figures 3C, 4A, 4D, 5A, 6AB, 6C, 7D, 8A/B/D)
and the validation figure (ours against the published runs, docs/model.md §10.2).

Each public ``figure_*`` function takes the :class:`selection.Inputs` and
returns a list of :class:`style.Output`; it raises :class:`selection.Missing`
naming what it lacks.
"""
import os
from types import MappingProxyType

import numpy as np
from matplotlib.lines import Line2D

import style
from episode_axes import (
    channel_handles,
    episode_frame,
    phase_header,
    probe_handles,
    probe_marks,
    rate_axis,
    shade_mean_sd,
)
from run_folder import condition_folder
from selection import (
    CH,
    POPS,
    REFERENCE,
    Missing,
    cond_text,
    coverage_note,
    cs_minus,
    cs_plus,
    gather,
    grey_note,
    is_own,
    join_notes,
    lam_text,
    logs_of,
    missing_folder,
    n_text,
    pick_log,
    protocol_text,
    protocols_differ,
    require_data,
    require_logs,
    run_cond_text,
    run_matches,
    runs_text,
    stack,
    unreinforced_text,
    validation_windows,
    whole,
)

SINGLE_RUN = MappingProxyType({                                # name: (condition, log number, file)
    '3C': (REFERENCE, 1, 'Figure_3_C.png'),
    '8A': ((4, 0.1, 1, 'parkinson'), 0, 'Figure_8_A.png'),
    '8B': ((4, 0.2, 1, 'parkinson'), 2, 'Figure_8_B.png'),
    '8D': ((4, 0.2, 1, 'schizophrenia'), 0, 'Figure_8_D.png'),
})
KAPPAS = (2, 4)
LAMBDAS_4D = (0.0, 0.2, 0.4)
LAMBDAS_5A = (0.0, 0.1, 0.2, 0.3)
LAMBDAS_6C = (0.2, 0.3, 0.4)
ETAS_7D = (1, 2, 4)
CURVE_HEIGHT = 1.45             # inches per learning-curve panel row


# --------------------------------------------------------------------------
# 3C, 8A, 8B, 8D: one run's learning curves
# --------------------------------------------------------------------------
def learning_curves(run):
    """D1, D2 and GPi rates of channels 1 and 2 over every written episode."""
    fig, axes = style.subplots(3, 1, style.FULL_WIDTH, 3 * CURVE_HEIGHT + 1.0, sharex=True)
    r = {pop: run.rates(pop) for pop, _ in POPS}
    x = np.arange(run.n_episodes)
    for ax, (pop, name) in zip(axes, POPS):
        for c in CH:
            ax.plot(x, r[pop][:, c], color=style.CH_COLOUR[c], ls=style.CH_STYLE[c],
                    marker=style.marker(len(x)), ms=3, label='channel %d' % c)
        episode_frame(ax, run)
        rate_axis(ax, name)
    probe_marks(axes, run)
    phase_header(axes[0], run)
    axes[-1].set_xlabel('episode')
    handles = axes[0].get_legend_handles_labels()[0] + probe_handles(run)
    if unreinforced_text(run):
        handles.append(style.unreinforced_patch())
    style.legend_on_top(fig, handles)
    return fig


def figure_single_run(name):
    """The figure function of 3C / 8A / 8B / 8D (one run, the paper's Figure 3C layout)."""
    cond, number, filename = SINGLE_RUN[name]

    def make(inp):
        """Learning curves of one run (the paper's Figure 3C layout)."""
        if name == '3C' and inp.run is not None and inp.run.mode == 'plasticity':
            run, note = inp.run, ''
        else:
            run, note = pick_log(inp, cond, number)
            if note:
                print('note %s: %s' % (name, note))
                note = '%s/log%d (%s drawn instead)' % (condition_folder(*cond), number,
                                                       os.path.basename(run.path))
        fig = learning_curves(run)
        source = 'this package' if is_own(run) else 'published'
        written = ('' if run.n_episodes >= run.n_total else
                   ', %d of %d episodes written' % (run.n_episodes, run.n_total))
        return [style.finish(
            fig, filename, 'Figure %s. Learning curves of one run: %s' % (name, run_cond_text(run)),
            'Data: %s (%s, %s%s); n=1 run' % (run.path if is_own(run) else run.short_name(),
                                              source, protocol_text(run), written),
            missing=note, notes=join_notes(
                'dashed lines: phase bounds', grey_note([run])))]
    make.__name__ = 'figure_' + name
    make.__doc__ = 'Figure %s: learning curves of one run.' % name
    return make


# --------------------------------------------------------------------------
# 4A: CS+ at λ 0.0, runs and mean ± sd
# --------------------------------------------------------------------------
def figure_4a(inp):
    """D1 channel 1 per run, and mean ± sd of D1 and GPi (channels 1, 2), CS+ episodes."""
    cond = (4, 0.0, 1, 'normal')
    runs = require_logs(inp, cond)
    fig, axes = style.subplots(1, 3, style.FULL_WIDTH, 2.5)
    counts = []
    for run in runs:
        x, m = stack([run], 'MSN_d1', CH[0], cs_plus)
        counts.append(np.sum(~np.isnan(m), axis=0))
        axes[0].plot(x, m[0], lw=0.6, color=style.CH_COLOUR[CH[0]], alpha=0.45)
    x, m = stack(runs, 'MSN_d1', CH[0], cs_plus)
    axes[0].plot(x, np.nanmean(m, axis=0) if m.size else x * np.nan, color='k', lw=1.2,
                 label='mean')
    axes[0].set_title('a  D1 MSN, channel %d, each log' % CH[0])
    axes[0].legend(loc='upper left')
    for ax, pop, name, letter in ((axes[1], 'MSN_d1', 'D1 MSN', 'b'),
                                  (axes[2], 'GPi', 'GPi', 'c')):
        for c in CH:
            x, m = stack(runs, pop, c, cs_plus)
            counts.append(shade_mean_sd(ax, x, m, style.CH_COLOUR[c], 'channel %d' % c, style.CH_STYLE[c]))
        ax.set_title('%s  %s, mean ± sd' % (letter, name))
        ax.legend(loc='upper left' if pop == 'MSN_d1' else 'lower left')
    require_data(counts, runs, cs_plus)
    for ax, name in zip(axes, ('D1 MSN', 'D1 MSN', 'GPi')):
        ax.set_xlabel('episode (CS+)')
        rate_axis(ax, name)
    note = coverage_note('4A', counts, runs)
    return [style.finish(fig, 'Figure_4_A.png',
                         'Figure 4A. CS+ conditioning at %s' % cond_text(cond),
                         'Data: %s; thin lines in a: each log' % runs_text(runs), notes=note)]


# --------------------------------------------------------------------------
# κ 2 vs 4 comparisons: 4D (CS+), 5A and 6AB (CS−)
# --------------------------------------------------------------------------
def kappa_title(present):
    """'κ 2 vs 4' when both are drawn, else the one κ drawn."""
    kappas = sorted({int(c[0]) if c[0] % 1 == 0 else c[0] for c, _ in present})
    return 'κ %s' % ' vs '.join('%g' % k for k in kappas)


def kappa_grid(inp, name, lams, window, rows=POPS):
    """κ 2 vs κ 4 (η 1, normal) for the λ values found: one row per population.

    Returns
    -------
    (fig, present, missing, note)
    """
    conditions = [(k, lam, 1, 'normal') for lam in lams for k in KAPPAS]
    present, missing = gather(inp, name, conditions)
    found = [lam for lam in lams if any(c[1] == lam for c, _ in present)]
    width = style.HALF_WIDTH if len(found) == 1 else style.FULL_WIDTH
    height = len(rows) * (CURVE_HEIGHT + (0.35 if len(rows) < len(POPS) else 0)) + 1.3
    fig, axes = style.subplots(len(rows), len(found), width, height, squeeze=False,
                               sharex='col')
    counts, drawn, kappas = [], [], set()
    for col, lam in enumerate(found):
        for cond, runs in present:
            if cond[1] != lam:
                continue
            drawn += runs
            colour = style.KAPPA_COLOUR[cond[0]]
            for row, (pop, _) in enumerate(rows):
                for c in CH:
                    x, m = stack(runs, pop, c, window)
                    counts.append(shade_mean_sd(axes[row][col], x, m, colour, ls=style.CH_STYLE[c]))
            kappas.add(cond[0])
        ref = next(runs[0] for cond, runs in present if cond[1] == lam)
        lo, hi = window(ref)
        for row, (_, label) in enumerate(rows):
            episode_frame(axes[row][col], ref, lo, hi)
            rate_axis(axes[row][col], label)
            if col:
                axes[row][col].set_ylabel('')
        axes[0][col].set_title('λ %s' % lam_text(lam))
        axes[-1][col].set_xlabel('episode')
    require_data(counts, drawn, window)
    legend = [Line2D([], [], color=style.KAPPA_COLOUR[k], lw=4, alpha=0.6, label='κ %g' % k)
              for k in sorted(kappas)] + channel_handles()
    if any(unreinforced_text(r) for r in drawn) and window is not cs_plus:
        legend.append(style.unreinforced_patch())
    style.legend_on_top(fig, legend, ncol=2 if width < style.FULL_WIDTH else 5)
    note = join_notes(coverage_note(name, counts, drawn), 'mean ± sd over logs',
                      grey_note(drawn) if window is not cs_plus else '')
    return fig, present, missing, note


def figure_4d(inp):
    """CS+ episodes, κ 2 vs 4, one file per λ (0.0, 0.2, 0.4) found."""
    out, why = [], []
    for lam in LAMBDAS_4D:
        try:
            fig, present, missing, note = kappa_grid(inp, '4D', (lam,), cs_plus)
        except Missing as err:
            print('note 4D: no file for λ %s: %s' % (lam_text(lam), err))
            why.append(str(err))
            continue
        out.append(style.finish(
            fig, 'Figure_4_D_l_%s.png' % lam_code(lam),
            'Figure 4D. CS+ conditioning, %s at λ %s' % (kappa_title(present), lam_text(lam)),
            'Data: %s' % '; '.join(runs_text(r) for _, r in present),
            missing=', '.join(missing), notes=note))
    if not out:
        raise Missing('; '.join(why))
    return out


def lam_code(lam):
    """λ as in the folder names ('002' for 0.0), from condition_folder."""
    return condition_folder(4, lam, 1).split('_l_')[1].split('_m_')[0]


def figure_5a(inp):
    """CS− training episodes, κ 2 vs 4, λ 0.0 / 0.1 / 0.2 / 0.3."""
    fig, present, missing, note = kappa_grid(inp, '5A', LAMBDAS_5A, cs_minus)
    return [style.finish(fig, 'Figure_5_A.png',
                         'Figure 5A. CS− training, %s' % kappa_title(present),
                         'Data: %s' % '; '.join(runs_text(r) for _, r in present),
                         missing=', '.join(missing), notes=note)]


def figure_6ab(inp):
    """As 5A, the MSN rows alone and enlarged."""
    fig, present, missing, note = kappa_grid(inp, '6AB', LAMBDAS_5A, cs_minus, rows=POPS[:2])
    return [style.finish(
        fig, 'Figure_6_AB.png',
        'Figure 6AB. CS− training, MSN rates enlarged, %s' % kappa_title(present),
        'Data: %s' % '; '.join(runs_text(r) for _, r in present), missing=', '.join(missing),
        notes=join_notes(note, 'the original fixed the MSN axes at −0.5 to 1.5 Hz, which '
                               'cut off the D1 channel-1 and D2 channel-2 curves; here they '
                               'start at 0 and hold every curve'))]


# --------------------------------------------------------------------------
# 6C and 7D: full runs, several conditions
# --------------------------------------------------------------------------
FULL_RUN_PANELS = (('MSN_d1', (CH[0],), 'D1 MSN, channel %d' % CH[0], whole),
                   ('MSN_d2', (CH[1],), 'D2 MSN, channel %d' % CH[1], whole),
                   ('GPi', CH, 'GPi, channels 1 and 2', whole),
                   ('GPi', CH, 'GPi, CS− training enlarged', cs_minus))


def full_run_figure(inp, name, present, label_key):
    """D1 channel 1, D2 channel 2 and GPi over whole runs, then GPi over CS− enlarged."""
    fig, axes = style.subplots(len(FULL_RUN_PANELS), 1, style.FULL_WIDTH,
                               len(FULL_RUN_PANELS) * CURVE_HEIGHT + 1.1)
    counts, drawn, legend = [], [], []
    for k, (cond, runs) in enumerate(present):
        colour = style.SERIES[k % len(style.SERIES)]
        drawn += runs
        for ax, (pop, chans, _, window) in zip(axes, FULL_RUN_PANELS):
            for c in chans:
                x, m = stack(runs, pop, c, window)
                counts.append(shade_mean_sd(ax, x, m, colour, ls=style.CH_STYLE[c]))
        legend.append(Line2D([], [], color=colour, lw=4, alpha=0.6, label='%s (%s)' % (
            cond_text(cond, skip=label_key), n_text(runs))))
    require_data(counts, drawn, whole)
    ref = present[0][1][0]
    for letter, ax, (pop, _, text, window) in zip('abcd', axes, FULL_RUN_PANELS):
        episode_frame(ax, ref, *window(ref))
        rate_axis(ax, text.split(',')[0])
        ax.set_title('%s  %s' % (letter, text))
    phase_header(axes[0], ref)
    axes[2].set_xlabel('episode')
    axes[3].set_xlabel('episode (CS− training)')
    legend += channel_handles()
    if unreinforced_text(ref):
        legend.append(style.unreinforced_patch())
    style.legend_on_top(fig, legend, ncol=3)
    return fig, join_notes(coverage_note(name, counts, drawn), 'mean ± sd over logs; '
                           'the original showed panel d as an inset of c',
                           'phase lines from %s' % ref.short_name(), grey_note(drawn))


def figure_6c(inp):
    """Full runs, κ 4, η 1, λ 0.2 / 0.3 / 0.4."""
    present, missing = gather(inp, '6C', [(4, lam, 1, 'normal') for lam in LAMBDAS_6C])
    fig, note = full_run_figure(inp, '6C', present, ('kappa', 'eta'))
    return [style.finish(fig, 'Figure_6_C.png',
                         'Figure 6C. Whole runs at κ 4, η 1: λ %s' % ' vs '.join(
                             lam_text(c[1]) for c, _ in present),
                         'Data: %s' % '; '.join(runs_text(r) for _, r in present),
                         missing=', '.join(missing), notes=note)]


def figure_7d(inp):
    """Full runs, κ 4, λ 0.2, η 1 / 2 / 4 (skipped when only η 1, which 6C shows, is found)."""
    conditions = [(4, 0.2, eta, 'normal') for eta in ETAS_7D]
    present, missing = gather(inp, '7D', conditions)
    if all(cond[2] == ETAS_7D[0] for cond, _ in present):
        raise Missing('only η %g found (drawn in 6C); no run folder %s under %s' % (
            ETAS_7D[0], ', '.join(m + '/log*' for m in missing), ', '.join(inp.roots)))
    fig, note = full_run_figure(inp, '7D', present, ('kappa', 'lambda'))
    return [style.finish(fig, 'Figure_7_D.png',
                         'Figure 7D. Whole runs at κ 4, λ 0.2: η %s' % ' vs '.join(
                             '%g' % c[2] for c, _ in present),
                         'Data: %s' % '; '.join(runs_text(r) for _, r in present),
                         missing=', '.join(missing), notes=note)]


# --------------------------------------------------------------------------
# Validation: our runs against the published band
# --------------------------------------------------------------------------
def validation_runs(inp, cond):
    """(ours, published) runs of the validation condition.

    With ``--run`` of a plasticity run of another condition the figure is
    skipped (it validates that run or nothing).
    """
    runs = logs_of(inp, cond)
    if inp.run is not None and inp.run.mode == 'plasticity':
        if not run_matches(inp.run, cond):
            raise Missing('--run %s is %s, not the validation condition %s' % (
                inp.run.path, run_cond_text(inp.run), cond_text(cond)))
        if all(r.path != inp.run.path for r in runs):
            runs = runs + [inp.run]
    if not runs:
        raise Missing(missing_folder(inp, cond))
    return [r for r in runs if is_own(r)], [r for r in runs if not is_own(r)]


def window_points(ax, runs, pop, channel, colour, marker, label):
    """Window means (mean ± sd over runs) at the window centres of the first run."""
    for k, (lo, hi) in enumerate(validation_windows(runs[0])):
        spans = [validation_windows(run)[k] for run in runs]
        vals = [run.window_mean(pop, a, b, channels=(channel,))
                for run, (a, b) in zip(runs, spans) if b > a]
        vals = [v[0] for v in vals if v is not None]
        if vals:
            ax.errorbar((lo + hi - 1) / 2, np.mean(vals), yerr=np.std(vals), color=colour,
                        marker=marker, ms=4, capsize=2.5, lw=1, zorder=5,
                        label=label if k == 0 else None)


def validation_panel(ax, ours, published, pop, channel):
    """Published band, our runs as lines, window means as points."""
    if published:
        x, m = stack(published, pop, channel, whole)
        shade_mean_sd(ax, x, m, style.PUBLISHED_COLOUR, 'published mean ± sd (n=%d)' % len(published))
        window_points(ax, published, pop, channel, 'k', 's', 'published window means')
    for k, run in enumerate(ours):
        x, m = stack([run], pop, channel, whole)
        ax.plot(x, m[0], lw=0.8, color=style.SERIES[k % len(style.SERIES)],
                marker=style.marker(len(x)), ms=3,
                label='%s (this package)' % run.short_name() if len(ours) <= 3 else None)
    if ours:
        window_points(ax, ours, pop, channel, style.OKABE_ITO['vermillion'], 'o',
                      'this package window means (n=%d)' % len(ours))


def figure_validation(inp):
    """GPi, D1 and D2 of channels 1 and 2: ours against the published mean ± sd."""
    cond = REFERENCE
    ours, published = validation_runs(inp, cond)
    fig, axes = style.subplots(3, 2, style.FULL_WIDTH, 3 * CURVE_HEIGHT + 1.3, sharex=True)
    ref = (published or ours)[0]
    for row, (pop, name) in enumerate((POPS[2], POPS[0], POPS[1])):
        for col, c in enumerate(CH):
            ax = axes[row, col]
            validation_panel(ax, ours, published, pop, c)
            episode_frame(ax, ref)
            rate_axis(ax, name)
            ax.set_title('%s, channel %d' % (name, c))
    for ax in axes[-1]:
        ax.set_xlabel('episode')
    handles = axes[0, 0].get_legend_handles_labels()[0]
    if unreinforced_text(ref):
        handles.append(style.unreinforced_patch())
    style.legend_on_top(fig, handles, ncol=2)
    if ours and published:
        what = 'this package (n=%d) against the published runs (n=%d)' % (len(ours),
                                                                         len(published))
        missing = ''
    elif ours:
        what = 'this package (n=%d)' % len(ours)
        missing = 'published runs of %s' % condition_folder(*cond)
    else:
        what = 'the published runs (n=%d)' % len(published)
        missing = 'runs of this package of %s' % condition_folder(*cond)
    notes = ['points: window means (mean ± sd over runs) of the first and last %d CS+ and '
             'reinforced CS− episodes' % validation_windows(ref)[0][1], grey_note([ref])]
    if protocols_differ(ours + published):
        notes.append('the runs do not share one protocol (%s episodes): aligned by episode '
                     'number' % ', '.join(sorted({str(r.n_total) for r in ours + published})))
    return [style.finish(fig, 'Validation.png',
                         'Validation at %s: %s' % (cond_text(cond), what),
                         'Data: %s' % runs_text(ours + published), missing=missing,
                         notes=join_notes(*notes))]
