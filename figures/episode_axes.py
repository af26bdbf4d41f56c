"""Episode axes shared by the learning-curve and weight figures.

Phase lines, phase names, probe marks and the grey span of the episodes
that are never reinforced, all from the run's own protocol (the paper's
Figure 3C layout: phase lines after episodes 100 and 130).
"""
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

import style
from selection import reinforced_end, summarise

PHASES = (('CS+', 'CS+ conditioning'), ('probes', 'probes'), ('CS−', 'CS− training'))
PROBE_PT = 1.5                  # probe letters: points above the top panel
PHASE_PT = 11                   # phase names: points above the top panel
TITLE_PAD_PT = 21               # a panel title above both
SHORT_NAMES_BELOW = 0.18        # a phase narrower than this axes fraction gets its short name


def episode_frame(ax, run, lo=0, hi=None):
    """Phase lines, the grey unreinforced span and x limits [lo, hi) of one panel."""
    hi = run.n_total if hi is None else hi
    for edge in run.bounds:
        if lo < edge + 0.5 < hi:
            ax.axvline(edge + 0.5, **style.PHASE_LINE)
    end = reinforced_end(run)
    if end < hi:
        ax.axvspan(max(end, lo) - 0.5, hi - 0.5, color=style.UNREINFORCED_COLOUR, lw=0, zorder=0)
    ax.set_xlim(lo - 0.5 - 0.01 * (hi - lo), hi - 0.5 + 0.01 * (hi - lo))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def above(ax, points):
    """Transform: x in data, y at ``points`` above the top of the axes."""
    return offset_copy(ax.get_xaxis_transform(), fig=ax.figure, y=points, units='points')


def phase_header(ax, run):
    """The phase names above the top panel, centred between the phase lines.

    A title already set on the panel is lifted above them.
    """
    con, gen = run.bounds
    lo, hi = ax.get_xlim()
    trans = above(ax, PHASE_PT)
    if ax.get_title(loc='left'):
        ax.set_title(ax.get_title(loc='left'), loc='left', pad=TITLE_PAD_PT)
    for (a, b), (short, full) in zip(((lo, con + 0.5), (con + 0.5, gen + 0.5),
                                      (gen + 0.5, hi)), PHASES):
        if b <= a:
            continue
        text = full if (b - a) / (hi - lo) >= SHORT_NAMES_BELOW else short
        ax.text((a + b) / 2, 1, text, transform=trans, ha='center', va='bottom',
                color='0.25')


def probe_marks(axes, run):
    """Dotted lines at the probe episodes; 'A' (CS+ pattern), 'B' (CS− pattern) on top."""
    trans = above(axes[0], PROBE_PT)
    for flag, letter in (('T1', 'A'), ('T2', 'B')):
        for e in run.probes[flag]:
            for ax in axes:
                ax.axvline(e, color='0.6', lw=0.5, ls=':', zorder=0)
            axes[0].text(e, 1, letter, transform=trans, ha='center', va='bottom')


def probe_handles(run):
    """Legend entries explaining the probe letters ([] when there are no probes)."""
    if not any(run.probes.values()):
        return []
    return [Line2D([], [], color='0.6', lw=0.5, ls=':',
                   label='probes: A CS+ pattern, B CS− pattern')]


def channel_handles(colour='k'):
    """Legend entries of the channel line styles."""
    return [Line2D([], [], color=colour, ls=style.CH_STYLE[c], label='channel %d' % c)
            for c in (1, 2)]


def shade_mean_sd(ax, episodes, m, colour, label=None, ls='-'):
    """Mean ± sd of a stacked matrix; returns the per-episode run counts."""
    x, mu, sd, n = summarise(episodes, m)
    ax.plot(x, mu, color=colour, ls=ls, label=label, marker=style.marker(len(x)), ms=3)
    ax.fill_between(x, np.maximum(mu - sd, 0), mu + sd, color=colour, alpha=0.2, lw=0)
    return n


def rate_axis(ax, label):
    """A rate axis that starts at 0 (a rate cannot be negative)."""
    ax.set_ylim(bottom=0)
    ax.set_ylabel('%s (Hz)' % label)
