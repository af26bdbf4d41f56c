#!/usr/bin/env python3
"""Paper figures (Gutierrez et al. 2025) from run folders; run inside figures/.

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
parameter files (``fetch_params``); this module holds only figure
definitions (which conditions, which channels, colours).

A figure whose inputs are missing is skipped with one line naming what is
missing; a summary of made and skipped figures ends the output. Exit status:
0, or 1 with ``--strict`` when a figure was skipped, or 2 after an error.
"""
import argparse
import json
import os
import sys
import textwrap
import traceback
from dataclasses import dataclass
from types import MappingProxyType

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import Normalize, TwoSlopeNorm  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import fetch_params as fp  # noqa: E402
import protocol  # noqa: E402
from run_folder import (RunFolder, RunFolderError, condition_folder,  # noqa: E402
                        condition_mismatches, find_runs, parse_condition_folder)

# --------------------------------------------------------------------------
# Figure definitions (conditions, channels, colours): no protocol numbers
# --------------------------------------------------------------------------
CH = (1, 2)                                   # the two stimulated channels of the task
CH_COLOUR = MappingProxyType({1: 'tab:blue', 2: 'tab:red'})
CH_STYLE = MappingProxyType({1: '-', 2: '--'})
POPS = (('MSN_d1', 'D1 MSN'), ('MSN_d2', 'D2 MSN'), ('GPi', 'GPi'))
REFERENCE = (4, 0.2, 1, 'normal')             # condition of 3C and of the validation figure
SINGLE_RUN = MappingProxyType({               # name: (condition, log number, file)
    '3C': (REFERENCE, 1, 'Figure_3_C.png'),
    '8A': ((4, 0.1, 1, 'parkinson'), 0, 'Figure_8_A.png'),
    '8B': ((4, 0.2, 1, 'parkinson'), 2, 'Figure_8_B.png'),
    '8D': ((4, 0.2, 1, 'schizophrenia'), 0, 'Figure_8_D.png'),
})
WINDOW_FIGURES = MappingProxyType({           # name: (condition, file)
    '3D': ('normal', 'Figure_3_D.png'), '8C': ('parkinson', 'Figure_8_C.png'),
    '8E': ('schizophrenia', 'Figure_8_E.png'), '8F': ('normal', 'Figure_8_F.png')})
KAPPAS = (2, 4)
KAPPA_COLOUR = MappingProxyType({2: 'tab:green', 4: 'tab:purple'})
LAMBDAS_4D = (0.0, 0.2, 0.4)
LAMBDAS_5A = (0.0, 0.1, 0.2, 0.3)
LAMBDAS_6C = (0.2, 0.3, 0.4)
ETAS_7D = (1, 2, 4)
SERIES_COLOURS = ('tab:blue', 'tab:orange', 'tab:green', 'tab:purple', 'tab:brown')
MSN_ZOOM_HZ = (-0.5, 1.5)                     # 6AB: MSN panels zoomed to this range
VALIDATION_WIDTH = 10                         # episodes per window (MODEL_SPEC 10.2)
RASTER_MS = 500.0                             # resting raster length
RASTER_MAX_NEURONS = 200                      # neurons shown per raster
MAX_LEVEL_TICKS = 12                          # AS maps: a tick per input level up to this
STIM_INPUTS = ('CSN', 'PTN')
RESTING_ORDER = ('CSN', 'PTN', 'CMPf', 'MSN_d1', 'MSN_d2', 'FSI', 'STN', 'GPe', 'GPi')
MODE_FIGURES = MappingProxyType({
    'plasticity': ('3C', 'weights', 'validation'),
    'action_selection': ('1E', '1F', '1G', 'as'),
    'resting_state': ('resting',)})
AS_FIGURES = MODE_FIGURES['action_selection']
DPI = 125
FOOTER_CHARS_PER_INCH = 15                    # 8-pt footer text
FOOTER_LINE_INCH = 0.16


class Missing(Exception):
    """A figure's inputs are missing; the message names exactly what."""


@dataclass(frozen=True)
class Inputs:
    """Everything the figure functions read.

    Attributes
    ----------
    roots : tuple of str
        Data roots searched for the authors' layout (as given, for messages).
    runs : dict
        {condition folder: [RunFolder, ...]} from ``find_runs(roots)``.
    as_run : RunFolder or None
        ``--as-run``.
    run : RunFolder or None
        ``--run``.
    out : str
        Output folder.
    """
    roots: tuple
    runs: dict
    as_run: object
    run: object
    out: str


# --------------------------------------------------------------------------
# Run selection
# --------------------------------------------------------------------------
def where(inp):
    """The data roots, for messages."""
    return ', '.join(inp.roots)


def logs_of(inp, cond):
    """Plasticity runs of one condition (κ, λ, η, condition) found under the roots."""
    return [r for r in inp.runs.get(condition_folder(*cond), []) if r.mode == 'plasticity']


def missing_folder(inp, cond):
    """The skip message for a condition with no run."""
    return 'no run folder %s/log* under %s' % (condition_folder(*cond), where(inp))


def require_logs(inp, cond):
    """Runs of a condition, or Missing naming the folder."""
    runs = logs_of(inp, cond)
    if not runs:
        raise Missing(missing_folder(inp, cond))
    return runs


def pick_log(inp, cond, number):
    """(run, note): log{number} of a condition, else its first log with a note."""
    runs = require_logs(inp, cond)
    for run in runs:
        if os.path.basename(run.path) == 'log%d' % number:
            return run, ''
    return runs[0], ' (log%d missing: first available log used)' % number


def gather(inp, name, conditions):
    """Runs of the conditions a comparison figure shows.

    Returns
    -------
    (list of (cond, runs), list of str)
        The conditions found with their runs, and the folder names missing
        (also printed as one note line).

    Raises
    ------
    Missing
        When none of the conditions has a run.
    """
    found = [(c, logs_of(inp, c)) for c in conditions]
    missing = [condition_folder(*c) for c, runs in found if not runs]
    present = [(c, runs) for c, runs in found if runs]
    if not present:
        raise Missing('no run folder %s under %s' % (
            ', '.join(m + '/log*' for m in missing), where(inp)))
    if missing:
        print('note %s: missing %s under %s (drawn without them)'
              % (name, ', '.join(missing), where(inp)))
    return present, missing


def is_own(run):
    """True for a run of this package (it has run.json)."""
    return run.meta is not None


def as_source(inp):
    """The action-selection run: --as-run, else --run if it is one."""
    for run in (inp.as_run, inp.run):
        if run is not None and run.mode == 'action_selection':
            return run
    if inp.as_run is not None:
        raise Missing('--as-run %s is a %s run, not action_selection'
                      % (inp.as_run.path, inp.as_run.mode))
    raise Missing('no action-selection run (give --as-run DIR)')


def need_files(run, *names):
    """Missing naming the first absent file of a run folder."""
    for name in names:
        if not run.has(name):
            raise Missing('no %s in %s' % (name, run.path))


# --------------------------------------------------------------------------
# Episode windows, all from the run's own protocol
# --------------------------------------------------------------------------
def reinforced_end(run):
    """One past the last episode that can be reinforced (228 in the paper)."""
    return run.n_total - run.sim['n_unreinforced']


def cs_plus(run):
    """CS+ conditioning episodes [0, con_ep) (0-99 in the paper)."""
    return 0, run.bounds[0]


def cs_minus(run):
    """CS- training episodes [gen_end + 1, reinforced_end) (131-227)."""
    return run.bounds[1] + 1, reinforced_end(run)


def whole(run):
    """Every reinforceable episode [0, reinforced_end) (0-227)."""
    return 0, reinforced_end(run)


def validation_windows(run, width=VALIDATION_WIDTH):
    """The four window ranges of MODEL_SPEC 10.2 from the run's protocol.

    First and last ``width`` CS+ episodes, first ``width`` CS- episodes and
    last ``width`` reinforced CS- episodes; (0,10), (90,100), (131,141),
    (218,228) for the paper's protocol. ``width`` shrinks to the phase
    length of short runs.
    """
    con, gen = run.bounds
    end = reinforced_end(run)
    w_plus, w_minus = min(width, con), max(min(width, end - gen - 1), 0)
    return [(0, w_plus), (con - w_plus, con), (gen + 1, gen + 1 + w_minus), (end - w_minus, end)]


# --------------------------------------------------------------------------
# Stacking runs
# --------------------------------------------------------------------------
def stack(runs, pop, channel, window):
    """Rates of several runs on a common episode axis.

    Returns
    -------
    (episodes, matrix)
        matrix has one row per run, NaN where a run lacks the episode
        (shorter run or other protocol).
    """
    spans = [window(r) for r in runs]
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    m = np.full((len(runs), max(hi - lo, 0)), np.nan)
    for k, (run, (a, b)) in enumerate(zip(runs, spans)):
        rates = run.rates(pop)
        r = rates[:, channel] if rates.shape[1] > channel else rates[:0, 0]
        b = min(b, len(r))
        if b > a:
            m[k, a - lo:b - lo] = r[a:b]
    return np.arange(lo, hi), m


def summarise(episodes, m):
    """(episodes, mean, sd, n) over the runs that have each episode (sd with ddof 0)."""
    n = np.sum(~np.isnan(m), axis=0)
    keep = n > 0
    mm = m[:, keep]
    return episodes[keep], np.nanmean(mm, axis=0), np.nanstd(mm, axis=0), n[keep]


def band(ax, episodes, m, colour, label=None, ls='-'):
    """Mean ± sd of a stacked matrix; returns the per-episode run counts."""
    x, mu, sd, n = summarise(episodes, m)
    ax.plot(x, mu, color=colour, ls=ls, lw=1.3, label=label)
    ax.fill_between(x, mu - sd, mu + sd, color=colour, alpha=0.18, lw=0)
    return n


def n_text(runs):
    """'n=5' or 'n=6: 5 published, 1 this package'."""
    own = sum(is_own(r) for r in runs)
    if own == 0:
        return 'n=%d' % len(runs)
    if own == len(runs):
        return 'n=%d, this package' % len(runs)
    return 'n=%d: %d published, %d this package' % (len(runs), len(runs) - own, own)


def lam_text(lam):
    """λ for labels: 0.0, 0.2 (one decimal at least)."""
    return '%g' % lam if lam % 1 else '%.1f' % lam


def run_cond_text(run):
    """cond_text of a run's own parameters."""
    return cond_text(run.condition_values)


def cond_text(cond, skip=()):
    """'κ 4, λ 0.2, η 1' (+ condition unless normal), leaving out the keys in skip."""
    kappa, lam, eta, condition = cond
    parts = [('kappa', 'κ %g' % kappa), ('lambda', 'λ %s' % lam_text(lam)),
             ('eta', 'η %g' % eta)]
    text = ', '.join(p for key, p in parts if key not in skip)
    return text if condition == 'normal' else '%s, %s' % (condition, text)


def protocols_differ(runs):
    """True when the runs do not share one protocol (episode counts, probes)."""
    keys = ('con_ep', 'gen_ep', 'dis_ep', 'probe_T1', 'probe_T2', 'n_unreinforced')
    return len({json.dumps([r.sim.get(k) for k in keys]) for r in runs}) > 1


def require_data(fig, counts, runs, window):
    """Missing (closing the figure) when no run has an episode in the window yet."""
    if not any(c.size for c in counts):
        plt.close(fig)
        raise Missing('no episode of %s written yet in %s' % (window.__name__, ', '.join(
            r.short_name() for r in runs)))


def coverage_note(name, counts, runs):
    """Text (also printed) saying how unequal runs were averaged ('' if all equal)."""
    notes = []
    if any(c.size and c.min() != c.max() for c in counts):
        notes.append('unequal run lengths: mean per episode over the logs that reach it')
    if protocols_differ(runs):
        notes.append('runs of different protocols aligned by episode number')
    text = '; '.join(notes)
    if text:
        print('note %s: %s' % (name, text))
    return text


# --------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------
def save(fig, inp, name):
    """Write a figure to the output folder; returns the file name."""
    fig.savefig(os.path.join(inp.out, name), dpi=DPI)
    plt.close(fig)
    return name


def phase_lines(ax, run):
    """Dashed lines at the phase bounds and the end of the protocol."""
    for edge in (*run.bounds, run.n_total):
        ax.axvline(edge, color='0.4', lw=0.7, ls='--')


def phase_names(ax, run):
    """'CS+', 'probes', 'CS−' above the top panel, between the phase lines."""
    con, gen = run.bounds
    trans = ax.get_xaxis_transform()
    for lo, hi, text in ((0, con, 'CS+ conditioning'), (con, gen, 'probes'),
                         (gen, run.n_total, 'CS− training')):
        ax.text((lo + hi) / 2, 1.09, text, transform=trans, ha='center', va='bottom', fontsize=8,
                color='0.3')


def probe_marks(axes, run):
    """Dotted lines at the probe episodes; 'A' (T1, CS+ pattern), 'B' (T2) above the top."""
    trans = axes[0].get_xaxis_transform()
    for flag, letter in (('T1', 'A'), ('T2', 'B')):
        for e in run.probes[flag]:
            for ax in axes:
                ax.axvline(e, color='0.6', lw=0.5, ls=':')
            axes[0].text(e, 1.01, letter, transform=trans, ha='center', va='bottom', fontsize=7)


def layout_with_footer(fig, missing):
    """tight_layout, then the conditions a comparison figure lacks, wrapped, at the bottom."""
    if not missing:
        fig.tight_layout()
        return
    width, height = fig.get_size_inches()
    text = textwrap.fill('not found (not drawn): ' + ', '.join(missing),
                         width=int(width * FOOTER_CHARS_PER_INCH))
    lines = text.count('\n') + 1
    fig.tight_layout(rect=(0, (lines * FOOTER_LINE_INCH + 0.1) / height, 1, 1))
    fig.text(0.5, 0.05 / height, text, ha='center', va='bottom', fontsize=8, color='tab:red')


def channel_legend(ax, loc='upper left'):
    """Legend of the channel line styles (colour is used for conditions)."""
    handles = [Line2D([], [], color='k', ls=CH_STYLE[c], label='channel %d' % c) for c in CH]
    ax.add_artist(ax.legend(handles=handles, loc=loc, fontsize=7, frameon=False))


# --------------------------------------------------------------------------
# 3C, 8A, 8B, 8D: one run's learning curves
# --------------------------------------------------------------------------
def learning_curves(run, title):
    """D1, D2 and GPi rates of channels 1 and 2 over the reinforceable episodes."""
    lo, hi = whole(run)
    hi = min(hi, run.n_episodes)
    x = np.arange(lo, hi)
    fig, axes = plt.subplots(3, 1, figsize=(9, 8.5), sharex=True)
    for ax, (pop, name) in zip(axes, POPS):
        r = run.rates(pop)
        for c in CH:
            ax.plot(x, r[lo:hi, c], color=CH_COLOUR[c], lw=1, label='channel %d' % c)
        ax.set_ylabel('%s rate (Hz)' % name)
        phase_lines(ax, run)
    probe_marks(axes, run)
    phase_names(axes[0], run)
    axes[0].legend(loc='upper left', fontsize=8, frameon=False)
    axes[-1].set_xlabel('episode')
    axes[-1].set_xlim(lo - 1, run.n_total + 1)
    fig.suptitle('%s\nA / B: probes with the CS+ / CS− pattern%s' % (title, unshown(run)),
                 fontsize=10)
    fig.tight_layout()
    return fig


def unshown(run):
    """'; unreinforced episodes 228–229 not shown' ('' if there are none)."""
    first, last = reinforced_end(run), run.n_total - 1
    if last < first:
        return ''
    if last == first:
        return '; unreinforced episode %d not shown' % first
    return '; unreinforced episodes %d–%d not shown' % (first, last)


def run_title(run, what, note=''):
    """'<what>: κ .., λ .., η .. (cond/logN, published|this package, 1 log)'."""
    source = 'this package' if is_own(run) else 'published'
    folder = run.path if is_own(run) else run.short_name()
    partial = '' if run.n_episodes >= run.n_total else ', %d of %d episodes written' % (
        run.n_episodes, run.n_total)
    return '%s: %s\n%s (%s, 1 log%s)%s' % (what, run_cond_text(run), folder, source, partial,
                                           note)


def fig_single_run(name):
    """The figure function of 3C / 8A / 8B / 8D."""
    cond, number, filename = SINGLE_RUN[name]

    def make(inp):
        """Learning curves of one run (MODEL_SPEC 7)."""
        if name == '3C' and inp.run is not None and inp.run.mode == 'plasticity':
            run, note = inp.run, ''
        else:
            run, note = pick_log(inp, cond, number)
            if note:
                print('note %s: %s/log%d missing, drawn from %s' % (
                    name, condition_folder(*cond), number, run.short_name()))
        fig = learning_curves(run, run_title(run, 'Figure %s' % name, note))
        return [save(fig, inp, filename)]
    make.__name__ = 'figure_' + name
    return make


# --------------------------------------------------------------------------
# 3D, 8C, 8E, 8F: analytic STDP windows
# --------------------------------------------------------------------------
def window_curve(dt, a_plus, a_minus, tau):
    """Δc per pairing: A+·exp(−Δt/τ) for Δt > 0, −A−·exp(Δt/τ) for Δt < 0."""
    return np.where(dt > 0, a_plus * np.exp(-dt / tau), -a_minus * np.exp(dt / tau))


def stdp_window_figure(condition, name):
    """The 4 windows (burst/dip × D1/D2) of a condition, y in units of dc."""
    sim, tau = fp.read_sim(), fp.read_bg()['stdp']['tau_plus']
    dc, win = sim['dc'], protocol.stdp_windows(sim, condition)
    text = sim['stdp_windows'][condition]
    dt = np.linspace(-5 * tau, 5 * tau, 501)
    fig, axes = plt.subplots(2, 2, figsize=(8, 6), sharex=True, sharey=True)
    for i, phase in enumerate(('burst', 'dip')):
        for j, half in enumerate(('d1', 'd2')):
            ax = axes[i, j]
            a_plus, a_minus = win[phase][half]
            y = window_curve(dt, a_plus, a_minus, tau) / dc
            for side in (dt < 0, dt > 0):
                ax.plot(dt[side], y[side], color='k')
            ax.axhline(0, color='0.6', lw=0.6)
            ax.axvline(0, color='0.6', lw=0.6)
            ax.set_title('%s, DA %s: A+ = %s dc, A− = %s dc' % (
                half.upper(), phase, *text[phase][half]), fontsize=9)
            ax.set_ylabel('Δc per pairing (units of dc)')
    for ax in axes[-1]:
        ax.set_xlabel('Δt = t_post − t_pre (ms)')
    fig.suptitle('Figure %s: STDP windows A·exp(−|Δt|/τ), %s condition\n'
                 '(simParams.py: dc = %g; bgParams.py: τ = %g ms)' % (name, condition, dc, tau),
                 fontsize=10)
    fig.tight_layout()
    return fig


def fig_window(name):
    """The figure function of 3D / 8C / 8E / 8F."""
    condition, filename = WINDOW_FIGURES[name]

    def make(inp):
        """Analytic STDP windows from the parameter files."""
        return [save(stdp_window_figure(condition, name), inp, filename)]
    make.__name__ = 'figure_' + name
    return make


# --------------------------------------------------------------------------
# 4A: CS+ at λ 0.0, runs and mean ± sd
# --------------------------------------------------------------------------
def figure_4a(inp):
    """D1 channel 1 per run, and mean ± sd of D1 and GPi (channels 1, 2), CS+ episodes."""
    cond = (4, 0.0, 1, 'normal')
    runs = require_logs(inp, cond)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for k, run in enumerate(runs):
        x, m = stack([run], 'MSN_d1', CH[0], cs_plus)
        axes[0].plot(x, m[0], lw=0.8, color=plt.cm.viridis(k / max(len(runs) - 1, 1)),
                     label=os.path.basename(run.path))
    axes[0].set_title('D1 MSN, channel %d, each log' % CH[0], fontsize=9)
    axes[0].legend(fontsize=6, frameon=False, ncol=2 if len(runs) > 10 else 1)
    counts = []
    for ax, pop, name in ((axes[1], 'MSN_d1', 'D1 MSN'), (axes[2], 'GPi', 'GPi')):
        for c in CH:
            x, m = stack(runs, pop, c, cs_plus)
            counts.append(band(ax, x, m, CH_COLOUR[c], 'channel %d' % c))
        ax.set_title('%s, mean ± sd over logs' % name, fontsize=9)
        ax.legend(fontsize=8, frameon=False)
    for ax, name in zip(axes, ('D1 MSN', 'D1 MSN', 'GPi')):
        ax.set_xlabel('episode')
        ax.set_ylabel('%s rate (Hz)' % name)
    require_data(fig, counts, runs, cs_plus)
    note = coverage_note('4A', counts, runs)
    fig.suptitle('Figure 4A: CS+ conditioning, %s, %s/log* (%s)%s' % (
        cond_text(cond), condition_folder(*cond), n_text(runs), '\n' + note if note else ''),
        fontsize=10)
    fig.tight_layout()
    return [save(fig, inp, 'Figure_4_A.png')]


# --------------------------------------------------------------------------
# κ 2 vs 4 comparisons: 4D (CS+), 5A and 6AB (CS-)
# --------------------------------------------------------------------------
def kappa_panels(axes, present, window, lam_of_column):
    """Fill one column of D1/D2/GPi panels per λ with κ 2 / κ 4 mean ± sd bands.

    Returns the per-episode run counts and the runs drawn.
    """
    counts, drawn = [], []
    for col, lam in enumerate(lam_of_column):
        for cond, runs in present:
            if cond[1] != lam:
                continue
            drawn += runs
            for row, (pop, _) in enumerate(POPS):
                for c in CH:
                    x, m = stack(runs, pop, c, window)
                    label = 'κ %g (%s)' % (cond[0], n_text(runs)) if c == CH[0] else None
                    counts.append(band(axes[row][col], x, m, KAPPA_COLOUR[cond[0]], label,
                                       CH_STYLE[c]))
    return counts, drawn


def label_kappa_grid(axes, lams, xlabel):
    """Axis labels, column titles and legends of a κ-comparison grid."""
    for col, lam in enumerate(lams):
        axes[0][col].set_title('λ %s' % lam_text(lam), fontsize=10)
        axes[-1][col].set_xlabel(xlabel)
        for row, (_, name) in enumerate(POPS):
            axes[row][col].set_ylabel('%s rate (Hz)' % name)
    channel_legend(axes[0][0])
    for col in range(len(lams)):
        axes[0][col].legend(loc='upper right', fontsize=7, frameon=False)


def kappa_grid(inp, name, lams, window, xlabel, title, zoom_msn=False):
    """κ 2 vs κ 4 (η 1, normal) for the λ values found: rows D1, D2, GPi."""
    conditions = [(k, lam, 1, 'normal') for lam in lams for k in KAPPAS]
    present, missing = gather(inp, name, conditions)
    found_lams = [lam for lam in lams if any(c[1] == lam for c, _ in present)]
    ncol = len(found_lams)
    fig, axes = plt.subplots(3, ncol, figsize=(max(4.2 * ncol + 1, 9), 9.5), squeeze=False,
                             sharex='col')
    counts, drawn = kappa_panels(axes, present, window, found_lams)
    label_kappa_grid(axes, found_lams, xlabel)
    if zoom_msn:
        for row in (0, 1):
            for ax in axes[row]:
                ax.set_ylim(*MSN_ZOOM_HZ)
    require_data(fig, counts, drawn, window)
    note = coverage_note(name, counts, drawn)
    fig.suptitle('%s\n(η 1; mean ± sd over logs; channel 1 solid, 2 dashed)%s'
                 % (title, '\n' + note if note else ''), fontsize=10)
    layout_with_footer(fig, missing)
    return fig


def figure_4d(inp):
    """CS+ episodes, κ 2 vs 4, one file per λ (0.0, 0.2, 0.4) found."""
    out, why = [], []
    for lam in LAMBDAS_4D:
        try:
            fig = kappa_grid(inp, '4D', (lam,), cs_plus, 'episode',
                             'Figure 4D: CS+ conditioning, κ 2 vs 4, λ %s' % lam_text(lam))
        except Missing as err:
            print('note 4D: no file for λ %s: %s' % (lam_text(lam), err))
            why.append(str(err))
            continue
        out.append(save(fig, inp, 'Figure_4_D_l_%s.png' % lam_code(lam)))
    if not out:
        raise Missing('; '.join(why))
    return out


def lam_code(lam):
    """λ as in the folder names ('002' for 0.0), from condition_folder."""
    return condition_folder(4, lam, 1).split('_l_')[1].split('_m_')[0]


def figure_5a(inp):
    """CS− training episodes, κ 2 vs 4, λ 0.0 / 0.1 / 0.2 / 0.3."""
    fig = kappa_grid(inp, '5A', LAMBDAS_5A, cs_minus, 'episode',
                     'Figure 5A: CS− training, κ 2 vs 4')
    return [save(fig, inp, 'Figure_5_A.png')]


def figure_6ab(inp):
    """As 5A, the MSN panels zoomed in."""
    fig = kappa_grid(inp, '6AB', LAMBDAS_5A, cs_minus, 'episode',
                     'Figure 6AB: CS− training, κ 2 vs 4, MSN rates zoomed to [%g, %g] Hz'
                     % MSN_ZOOM_HZ, zoom_msn=True)
    return [save(fig, inp, 'Figure_6_AB.png')]


# --------------------------------------------------------------------------
# 6C and 7D: full runs, several conditions
# --------------------------------------------------------------------------
def gpi_inset(ax, series, window):
    """Inset zoom on the GPi curves of the CS− training phase."""
    inset = ax.inset_axes([0.07, 0.56, 0.52, 0.4])
    for colour, runs in series:
        for c in CH:
            x, m = stack(runs, 'GPi', c, window)
            band(inset, x, m, colour, ls=CH_STYLE[c])
    inset.text(0.01, 0.97, 'zoom: CS− training', transform=inset.transAxes, va='top',
               fontsize=7)
    inset.tick_params(labelsize=7)
    inset.set_xlabel('episode', fontsize=7)
    inset.set_ylabel('GPi (Hz)', fontsize=7)


def make_room_for_inset(ax):
    """Raise the top y limit so the inset sits above the curves (ticks only on the data)."""
    lo, hi = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
    ax.set_ylim(lo, hi + 1.1 * (hi - lo))
    ax.set_yticks(ticks)


def full_run_figure(inp, name, conditions, label_key, title):
    """D1 channel 1, D2 channel 2 and GPi (both channels, inset) over whole runs."""
    present, missing = gather(inp, name, conditions)
    fig, axes = plt.subplots(3, 1, figsize=(10, 11.5), sharex=True,
                             gridspec_kw={'height_ratios': (1, 1, 1.9)})
    counts, series, drawn = [], [], []
    panels = (('MSN_d1', (CH[0],), 'D1 MSN, channel %d' % CH[0]),
              ('MSN_d2', (CH[1],), 'D2 MSN, channel %d' % CH[1]),
              ('GPi', CH, 'GPi, channels 1 (solid) and 2 (dashed)'))
    for k, (cond, runs) in enumerate(present):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        series.append((colour, runs))
        drawn += runs
        label = '%s (%s)' % (cond_text(cond, skip=label_key), n_text(runs))
        for ax, (pop, chans, _) in zip(axes, panels):
            for c in chans:
                x, m = stack(runs, pop, c, whole)
                counts.append(band(ax, x, m, colour, label if c == chans[0] else None,
                                   CH_STYLE[c]))
    ref = present[0][1][0]
    for ax, (_, _, text) in zip(axes, panels):
        ax.set_ylabel('%s rate (Hz)' % text.split(',')[0])
        ax.set_title(text, fontsize=9, loc='left')
        phase_lines(ax, ref)
    for ax, loc in zip(axes, ('upper left', 'upper left', 'upper right')):
        ax.legend(loc=loc, fontsize=8, frameon=False)
    make_room_for_inset(axes[2])
    gpi_inset(axes[2], series, cs_minus)
    axes[-1].set_xlabel('episode')
    note = coverage_note(name, counts, drawn)
    fig.suptitle('%s (mean ± sd over logs; phase lines from %s)%s' % (
        title, ref.short_name(), '\n' + note if note else ''), fontsize=10)
    layout_with_footer(fig, missing)
    return fig


def figure_6c(inp):
    """Full runs, κ 4, η 1, λ 0.2 / 0.3 / 0.4."""
    conditions = [(4, lam, 1, 'normal') for lam in LAMBDAS_6C]
    fig = full_run_figure(inp, '6C', conditions, ('kappa', 'eta'),
                          'Figure 6C: κ 4, η 1, λ compared')
    return [save(fig, inp, 'Figure_6_C.png')]


def figure_7d(inp):
    """Full runs, κ 4, λ 0.2, η 1 / 2 / 4."""
    conditions = [(4, 0.2, eta, 'normal') for eta in ETAS_7D]
    fig = full_run_figure(inp, '7D', conditions, ('kappa', 'lambda'),
                          'Figure 7D: κ 4, λ 0.2, η compared')
    return [save(fig, inp, 'Figure_7_D.png')]


# --------------------------------------------------------------------------
# Validation: our runs against the published band
# --------------------------------------------------------------------------
def run_matches(run, cond):
    """True if a run has the parameters (κ, λ, η, condition) of cond."""
    return not condition_mismatches(run, cond)


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
                         marker=marker, ms=5, capsize=3, lw=1.2, zorder=5,
                         label=label if k == 0 else None)


def validation_panel(ax, ours, published, pop, channel):
    """Published band, our runs as lines, window means as points."""
    if published:
        x, m = stack(published, pop, channel, whole)
        band(ax, x, m, '0.45', 'published mean ± sd (n=%d)' % len(published))
        window_points(ax, published, pop, channel, 'k', 's', 'published window means')
    for k, run in enumerate(ours):
        x, m = stack([run], pop, channel, whole)
        ax.plot(x, m[0], lw=0.9, color=SERIES_COLOURS[k % len(SERIES_COLOURS)],
                label='%s (this package)' % run.short_name())
    if ours:
        window_points(ax, ours, pop, channel, 'tab:orange', 'o',
                      'this package window means (n=%d)' % len(ours))


def validation_title(cond, ours, published, roots):
    """Which data the validation figure shows, and what is absent."""
    text = 'Validation, %s: ' % cond_text(cond)
    if ours and published:
        text += 'this package (n=%d) against the published runs (n=%d)' % (len(ours),
                                                                          len(published))
    elif ours:
        text += 'this package (n=%d) only: no published run of %s under %s' % (
            len(ours), condition_folder(*cond), roots)
    else:
        text += 'published runs only (n=%d): no run of this package found' % len(published)
    if protocols_differ(ours + published):
        text += '\nNOTE: the runs do not share one protocol (episode counts %s)' % ', '.join(
            sorted({str(r.n_total) for r in ours + published}))
    return text + '\nwindow means (points, mean ± sd): first/last %d CS+ and CS− episodes' \
        % VALIDATION_WIDTH


def figure_validation(inp):
    """GPi, D1 and D2 of channels 1 and 2: ours against the published mean ± sd."""
    cond = REFERENCE
    ours, published = validation_runs(inp, cond)
    fig, axes = plt.subplots(3, 2, figsize=(13, 10), sharex=True)
    for row, (pop, name) in enumerate((POPS[2], POPS[0], POPS[1])):
        for col, c in enumerate(CH):
            ax = axes[row, col]
            validation_panel(ax, ours, published, pop, c)
            phase_lines(ax, (published or ours)[0])
            ax.set_ylabel('%s rate (Hz)' % name)
            ax.set_title('%s, channel %d' % (name, c), fontsize=9, loc='left')
    axes[0, 0].legend(fontsize=7, frameon=False, loc='lower left')
    for ax in axes[-1]:
        ax.set_xlabel('episode')
    fig.suptitle(validation_title(cond, ours, published, where(inp)), fontsize=10)
    fig.tight_layout()
    return [save(fig, inp, 'Validation.png')]


# --------------------------------------------------------------------------
# Weights of one of our plasticity runs
# --------------------------------------------------------------------------
def weights_run(inp):
    """--run if it has mean_weights.txt, else the first such run of ours under the roots."""
    if inp.run is not None and inp.run.mode == 'plasticity':
        need_files(inp.run, 'mean_weights.txt')
        return inp.run
    for runs in inp.runs.values():
        for run in runs:
            if is_own(run) and run.mode == 'plasticity' and run.has('mean_weights.txt'):
                return run
    raise Missing('no plasticity run of this package with mean_weights.txt (give --run LOGDIR, '
                  'or a run folder under %s)' % where(inp))


def decision_strip(ax, run):
    """Reward decisions as ticks: bursts and dips per episode."""
    decisions = np.array(run.decisions())
    for k, (kind, colour) in enumerate((('burst', 'tab:green'), ('dip', 'tab:purple'))):
        episodes = np.flatnonzero(decisions == kind)
        ax.eventplot([episodes], lineoffsets=k, linelengths=0.8, colors=colour)
    ax.set_yticks([0, 1])
    ax.set_yticklabels(['DA burst', 'DA dip'], fontsize=8)
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel('episode')


def figure_weights(inp):
    """D1/D2 × AMPA/NMDA mean cortico-striatal weights of channels 1 and 2."""
    run = weights_run(inp)
    episodes, w = run.mean_weights()
    fig, axes = plt.subplots(3, 2, figsize=(12, 8.5), sharex=True,
                             gridspec_kw={'height_ratios': (3, 3, 1)})
    kinds = ('AMPA', 'NMDA')
    for row, half in enumerate(('D1', 'D2')):
        for col, kind in enumerate(kinds):
            ax = axes[row, col]
            for c in CH:
                series = w[:, c, 2 * row + col]
                ax.plot(episodes, series - series[0], color=CH_COLOUR[c], lw=1.2,
                        marker='.' if len(episodes) < 40 else None,
                        label='channel %d (w = %.5g pA after episode %d)' % (c, series[0],
                                                                             episodes[0]))
            ax.set_ylabel('Δ mean weight (pA)')
            ax.legend(fontsize=7, frameon=False)
            ax.set_title('CSN/PTN → %s MSN, %s' % (half, kind), fontsize=9, loc='left')
            phase_lines(ax, run)
    for col in range(2):
        decision_strip(axes[2, col], run)
        phase_lines(axes[2, col], run)
    bursts, dips = run.reward_counts()
    fig.suptitle('Cortico-striatal weights (mean_weights.txt), change since the first row: %s'
                 '\n%s, %d episodes, %d bursts, %d dips' % (run_cond_text(run),
                                        run.path, len(episodes), bursts, dips), fontsize=10)
    fig.tight_layout()
    return [save(fig, inp, 'Weights.png')]


# --------------------------------------------------------------------------
# Resting state
# --------------------------------------------------------------------------
def resting_run(inp):
    """The --run resting-state run with mean_fr.json."""
    if inp.run is None or inp.run.mode != 'resting_state':
        raise Missing('no resting_state run (give --run LOGDIR of a resting_state run)')
    need_files(inp.run, 'mean_fr.json')
    return inp.run


def target_key(pop):
    """The normalrate key of a population (MSN_d1, MSN_d2 -> MSN)."""
    return 'MSN' if pop.startswith('MSN') else pop


def rate_bars(ax, rates, normal):
    """Measured rate per nucleus (bars) against its normalrate window (shaded)."""
    pops = [p for p in RESTING_ORDER if p in rates or target_key(p) in normal]
    for k, pop in enumerate(pops):
        lo, hi = normal.get(target_key(pop), (np.nan, np.nan))
        ax.fill_between([k - 0.45, k + 0.45], lo, hi, color='tab:green', alpha=0.2, lw=0)
        ax.hlines([lo, hi], k - 0.45, k + 0.45, color='tab:green', lw=1.5, zorder=3)
        if pop in rates:
            ok = lo <= rates[pop] <= hi
            ax.bar(k, rates[pop], width=0.5, color='tab:blue' if ok else 'tab:red')
            ax.text(k, rates[pop] * 1.1, '%.3g' % rates[pop], ha='center', fontsize=7)
        else:
            ax.text(k, np.sqrt(lo * hi), 'not\nrecorded', ha='center', va='center', fontsize=7)
    ax.set_yscale('log')
    ax.set_xticks(range(len(pops)))
    ax.set_xticklabels(pops, rotation=45, ha='right', fontsize=8)
    ax.set_ylabel('mean rate (Hz, log scale)')
    ax.set_title('rates (bars; red = outside) vs normalrate (green)', fontsize=9)


def load_spikes(path):
    """(senders, times) of a ``sender time_ms`` spike file."""
    data = np.loadtxt(path, comments='#', ndmin=2)
    if data.size == 0:
        return np.zeros(0, int), np.zeros(0)
    return data[:, 0].astype(int), data[:, 1]


def raster(ax, run, pop, t0, t1):
    """Spikes in [t0, t1) of the first neurons (in position-file order) of a nucleus."""
    ids = np.loadtxt(run.file(pop + '.txt'), ndmin=2)[:, 0].astype(int)
    senders, times = load_spikes(run.file(pop + '_spikes.dat'))
    rank = np.searchsorted(np.sort(ids), senders)
    keep = (times >= t0) & (times < t1) & (rank < min(RASTER_MAX_NEURONS, len(ids)))
    ax.plot(times[keep], rank[keep], '|', ms=2, color='k')
    ax.set_ylim(-1, min(RASTER_MAX_NEURONS, len(ids)))
    ax.set_xlim(t0, t1)
    ax.set_ylabel('%s neuron\n(%d of %d)' % (pop, min(RASTER_MAX_NEURONS, len(ids)), len(ids)),
                  fontsize=7)
    ax.tick_params(labelsize=7)


def figure_resting(inp):
    """Resting-state rates against normalrate, and a short raster per nucleus."""
    run = resting_run(inp)
    with open(run.file('mean_fr.json')) as fh:
        rates = json.load(fh)
    normal = run.bg.get('normalrate') or fp.read_bg()['normalrate']
    pops = [p for p in RESTING_ORDER if run.has(p + '_spikes.dat', p + '.txt')]
    t0, t_end = run.sim['record_start'], run.sim['simDuration'] + run.sim['initial_ignore']
    t1 = min(t0 + RASTER_MS, t_end)
    fig = plt.figure(figsize=(13, 8))
    grid = fig.add_gridspec(max(len(pops), 1), 2, width_ratios=(1, 1.3))
    rate_bars(fig.add_subplot(grid[:, 0]), rates, normal)
    for k, pop in enumerate(pops):
        ax = fig.add_subplot(grid[k, 1])
        raster(ax, run, pop, t0, t1)
        if k < len(pops) - 1:
            ax.set_xticklabels([])
    if pops:
        ax.set_xlabel('time (ms)')
    fig.suptitle('Resting state: %s\n(scale %g, %g ms simulated, rates from mean_fr.json; '
                 'raster %g–%g ms)' % (run.path, run.sim.get('scale', 1), t_end, t0, t1),
                 fontsize=10)
    fig.tight_layout()
    return [save(fig, inp, 'Resting.png')]


# --------------------------------------------------------------------------
# Action selection: GPi maps
# --------------------------------------------------------------------------
def level_edges(levels):
    """Cell edges around evenly spaced input levels."""
    step = levels[1] - levels[0] if len(levels) > 1 else 1.0
    return np.append(levels - step / 2, levels[-1] + step / 2)


def figure_as(inp):
    """GPi channel 1, channel 2 and their difference over the input grid."""
    run = as_source(inp)
    try:
        levels, g = run.as_grid('GPi')
    except RunFolderError as err:
        raise Missing(str(err))
    edges = level_edges(levels)
    diff = g[:, :, CH[0]] - g[:, :, CH[1]]
    span = max(np.abs(diff).max(), 1e-9)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    both = Normalize(g[:, :, CH].min(), g[:, :, CH].max())   # one scale for both channels
    maps = ((g[:, :, CH[0]], 'GPi channel %d' % CH[0], 'viridis', both, 'rate (Hz)'),
            (g[:, :, CH[1]], 'GPi channel %d' % CH[1], 'viridis', both, 'rate (Hz)'),
            (diff, 'GPi channel %d − channel %d' % CH, 'RdBu_r',
             TwoSlopeNorm(0, -span, span), 'difference (Hz)'))
    for ax, (data, title, cmap, norm, unit) in zip(axes, maps):
        mesh = ax.pcolormesh(edges, edges, data, cmap=cmap, norm=norm, shading='flat')
        fig.colorbar(mesh, ax=ax, label=unit)
        ax.set_title(title, fontsize=10)
        if len(levels) <= MAX_LEVEL_TICKS:
            ax.set_xticks(levels)
            ax.set_yticks(levels)
            ax.set_xticklabels(['%g' % v for v in levels], fontsize=7,
                               rotation=90 if len(levels) > MAX_LEVEL_TICKS // 2 else 0)
            ax.set_yticklabels(['%g' % v for v in levels], fontsize=7)
        ax.set_xlabel('channel %d extra CSN input (Hz)' % CH[1])
        ax.set_ylabel('channel %d extra CSN input (Hz)' % CH[0])
        ax.set_aspect('equal')
    fig.suptitle('Action selection: GPi rates over the %d × %d input grid (%s)'
                 % (len(levels), len(levels), run.path), fontsize=10)
    fig.tight_layout()
    return [save(fig, inp, 'Action_selection.png')]


# --------------------------------------------------------------------------
# 1E, 1F, 1G: topography of an action-selection run
# --------------------------------------------------------------------------
def targets(run, name):
    """(targets, sources) of a ``target source weight`` connection dump."""
    need_files(run, name)
    data = np.loadtxt(run.file(name), comments='#', ndmin=2)
    if data.size == 0:
        return np.zeros(0, int), np.zeros(0, int)
    return data[:, 0].astype(int), data[:, 1].astype(int)


def xy_of(ids, pos):
    """Positions of the given ids (pos = (ids, xy))."""
    all_ids, xy = pos
    order = np.argsort(all_ids)
    idx = order[np.searchsorted(all_ids, ids, sorter=order)]
    return xy[idx]


def sheet_axes(ax, pos, title):
    """All MSNs of one half in grey; equal aspect; labelled axes."""
    ax.scatter(pos[1][:, 0], pos[1][:, 1], s=6, color='0.85', lw=0, label='all MSNs')
    ax.set_aspect('equal')
    ax.set_xlabel('x (sheet units)')
    ax.set_ylabel('y (sheet units)')
    ax.set_title(title, fontsize=9)


def centres(ax, run):
    """Channel centres 1 and 2 as crosses."""
    if run.has('centers.txt'):
        c = np.loadtxt(run.file('centers.txt'), ndmin=2)
        for ch in CH:
            if ch < len(c):
                ax.plot(*c[ch], 'x', color=CH_COLOUR[ch], ms=9, mew=2)


def figure_1e(inp):
    """MSNs targeted by the stimulated CSN / PTN parrots of channels 1 and 2."""
    run = as_source(inp)
    need_files(run, 'MSN_d1.txt', 'MSN_d2.txt')
    pos = {half: run.positions('MSN_' + half) for half in ('d1', 'd2')}
    fig, axes = plt.subplots(2, 2, figsize=(11, 10))
    for row, inp_name in enumerate(STIM_INPUTS):
        for col, half in enumerate(('d1', 'd2')):
            ax = axes[row, col]
            sheet_axes(ax, pos[half], '%s → %s MSN' % (inp_name, half.upper()))
            for c in CH:
                tgt, _ = targets(run, '%s_c%d_to_MSN_%s.txt' % (inp_name, c, half))
                tgt = np.unique(tgt)
                xy = xy_of(tgt, pos[half])
                ax.scatter(xy[:, 0], xy[:, 1], s=12, color=CH_COLOUR[c], alpha=0.6, lw=0,
                           label='channel %d: %d MSNs' % (c, len(tgt)))
            centres(ax, run)
            ax.legend(fontsize=7, loc='upper right', framealpha=0.8)
    fig.suptitle('Figure 1E: MSNs receiving the stimulated cortical afferents of channels 1 '
                 'and 2 (× = channel centre)\n%s' % run.path, fontsize=10)
    fig.tight_layout()
    return [save(fig, inp, 'Figure_1_E.png')]


def busiest_source(run, src_half, channel):
    """The channel's source MSN with the most distinct targets (smallest id on ties)."""
    sources = []
    for half in ('d1', 'd2'):
        tgt, src = targets(run, 'MSN_%s_c%d_to_MSN_%s.txt' % (src_half, channel, half))
        sources.append(np.unique(np.column_stack([src, tgt]), axis=0)[:, 0] if len(src)
                       else src)
    ids, counts = np.unique(np.concatenate(sources), return_counts=True)
    if not len(ids):
        raise Missing('no connections from channel-%d %s MSNs in %s' % (channel, src_half,
                                                                        run.path))
    return ids[np.argmax(counts)]


def collateral_figure(inp, src_half, name):
    """Targets of one presynaptic MSN of channels 1 and 2 on D1 and D2 MSNs."""
    run = as_source(inp)
    need_files(run, 'MSN_d1.txt', 'MSN_d2.txt')
    pos = {half: run.positions('MSN_' + half) for half in ('d1', 'd2')}
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    for col, half in enumerate(('d1', 'd2')):
        sheet_axes(axes[col], pos[half], 'targets on %s MSNs' % half.upper())
    for c in CH:
        source = busiest_source(run, src_half, c)
        for col, half in enumerate(('d1', 'd2')):
            tgt, src = targets(run, 'MSN_%s_c%d_to_MSN_%s.txt' % (src_half, c, half))
            tgt = np.unique(tgt[src == source])
            xy = xy_of(tgt, pos[half])
            ax = axes[col]
            ax.scatter(xy[:, 0], xy[:, 1], s=18, color=CH_COLOUR[c], alpha=0.7, lw=0,
                       label='channel %d: %d targets' % (c, len(tgt)))
            sxy = xy_of(np.array([source]), pos[src_half])[0]
            ax.plot(*sxy, '*', ms=16, color=CH_COLOUR[c], mec='k',
                    label='source %s MSN #%d' % (src_half.upper(), source))
    for ax in axes:
        ax.legend(fontsize=7, loc='upper right', framealpha=0.8)
    fig.suptitle('Figure %s: collaterals of one %s MSN of channel 1 and of channel 2 (the '
                 'source with most targets)\n%s' % (name, src_half.upper(), run.path),
                 fontsize=10)
    fig.tight_layout()
    return fig


def figure_1f(inp):
    """Targets of one D1 MSN per channel."""
    return [save(collateral_figure(inp, 'd1', '1F'), inp, 'Figure_1_F.png')]


def figure_1g(inp):
    """Targets of one D2 MSN per channel."""
    return [save(collateral_figure(inp, 'd2', '1G'), inp, 'Figure_1_G.png')]


# --------------------------------------------------------------------------
# Registry and command line
# --------------------------------------------------------------------------
FIGURES = (
    ('1E', figure_1e), ('1F', figure_1f), ('1G', figure_1g),
    ('3C', fig_single_run('3C')), ('3D', fig_window('3D')),
    ('4A', figure_4a), ('4D', figure_4d), ('5A', figure_5a), ('6AB', figure_6ab),
    ('6C', figure_6c), ('7D', figure_7d),
    ('8A', fig_single_run('8A')), ('8B', fig_single_run('8B')), ('8C', fig_window('8C')),
    ('8D', fig_single_run('8D')), ('8E', fig_window('8E')), ('8F', fig_window('8F')),
    ('validation', figure_validation), ('weights', figure_weights),
    ('resting', figure_resting), ('as', figure_as),
)
NAMES = tuple(name for name, _ in FIGURES)


def parse_args(argv=None):
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', action='append', metavar='DIR',
                   help='root searched for run4_k_*_l_*_m_*/log* folders (repeatable; '
                        'default: the folder of plots.py)')
    p.add_argument('--as-run', metavar='DIR', help='action-selection run folder')
    p.add_argument('--run', metavar='LOGDIR', help='make the figures of this one run')
    p.add_argument('--only', nargs='+', choices=NAMES, metavar='NAME',
                   help='figures to make: %s' % ' '.join(NAMES))
    p.add_argument('--out', default='.', help='output folder (default: current folder)')
    p.add_argument('--strict', action='store_true', help='exit 1 if a figure was skipped')
    args = p.parse_args(argv)
    for opt in ('run', 'as_run'):
        path = getattr(args, opt)
        if path is not None and not os.path.isdir(path):
            p.error('--%s %s: no such folder' % (opt.replace('_', '-'), path))
    return args


def selected(args, inp):
    """The figure names to make: --only, else those of --run (+ AS), else all."""
    if args.only:
        return [n for n in NAMES if n in args.only]
    if inp.run is not None:
        wanted = set(MODE_FIGURES[inp.run.mode]) | (set(AS_FIGURES) if inp.as_run else set())
        return [n for n in NAMES if n in wanted]
    return list(NAMES)


def consistent_runs(found):
    """find_runs' result without empty runs and our runs contradicting their folder name.

    A run of this package copied into ``run4_k_4_l_02_m_1/`` must have those
    parameters in its run.json; one that does not is left out with a note.
    """
    kept = {}
    for folder, runs in found.items():
        cond = parse_condition_folder(folder)
        for run in runs:
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
    """Read the run folders named on the command line."""
    roots = tuple(args.data) if args.data else (HERE,)
    os.makedirs(args.out, exist_ok=True)
    return Inputs(roots=roots, runs=consistent_runs(find_runs(roots)),
                  as_run=RunFolder(args.as_run) if args.as_run else None,
                  run=RunFolder(args.run) if args.run else None, out=args.out)


def make_all(names, inp):
    """Make each figure; returns (made {name: files}, skipped {name: why}, errors)."""
    made, skipped, errors = {}, {}, {}
    functions = dict(FIGURES)
    for name in names:
        try:
            made[name] = functions[name](inp)
            print('made %s: %s' % (name, ', '.join(made[name])))
        except Missing as why:
            skipped[name] = str(why)
            print('skip %s: %s' % (name, why))
        except Exception as err:  # a real error: report it, go on, exit non-zero
            errors[name] = '%s: %s' % (type(err).__name__, err)
            print('error %s:' % name)
            traceback.print_exc()
            plt.close('all')
    return made, skipped, errors


def summary(made, skipped, errors, out):
    """Final lines: made figures with files, skipped and failed ones."""
    files = [f for fs in made.values() for f in fs]
    print('summary: made %d figures (%d files in %s): %s' % (
        len(made), len(files), os.path.abspath(out), ', '.join(files) or '-'))
    print('summary: skipped %d: %s' % (len(skipped), ', '.join(skipped) or '-'))
    if errors:
        print('summary: FAILED %d: %s' % (len(errors), '; '.join(
            '%s (%s)' % kv for kv in errors.items())))


def main(argv=None):
    """Make the figures; returns the exit status."""
    args = parse_args(argv)
    inp = make_inputs(args)
    made, skipped, errors = make_all(selected(args, inp), inp)
    summary(made, skipped, errors, args.out)
    if errors:
        return 2
    return 1 if args.strict and skipped else 0


if __name__ == '__main__':
    sys.exit(main())
