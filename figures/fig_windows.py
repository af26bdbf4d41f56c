"""Analytic STDP windows of the paper (Figures 3D, 8C, 8E, 8F; docs/model.md §5, §7).

Drawn from the parameter files (``simParams.py``: ``stdp_windows``, ``dc``;
``bgParams.py``: τ), not from a run.
"""
from types import MappingProxyType

import numpy as np

import fetch_params as fp
import protocol
import style
from populations import HALVES

WINDOW_FIGURES = MappingProxyType({            # name: (condition, file)
    '3D': ('normal', 'Figure_3_D.png'), '8C': ('parkinson', 'Figure_8_C.png'),
    '8E': ('schizophrenia', 'Figure_8_E.png'), '8F': ('normal', 'Figure_8_F.png')})
PHASE_NAMES = MappingProxyType({'burst': 'DA burst (CS+ reward)', 'dip': 'DA dip (CS− error)'})
TAU_SPAN = 5                  # Δt axis: ±5 τ
HEADROOM = 1.45               # y range: ±HEADROOM × the largest |amplitude|
LABEL_Y = 0.55                # amplitude labels at ±LABEL_Y of the y range


def window_curve(dt, a_plus, a_minus, tau):
    """Δc per pairing: A+·exp(−Δt/τ) for Δt > 0, −A−·exp(Δt/τ) for Δt < 0."""
    return np.where(dt > 0, a_plus * np.exp(-dt / tau), -a_minus * np.exp(dt / tau))


def signed(text):
    """'+1/4', '−3/4' from a window entry ('1/4', '-3/4')."""
    text = str(text).strip()
    return '−' + text[1:] if text.startswith('-') else '+' + text


def negated(text):
    """The entry with its sign flipped ('1/4' → '−1/4')."""
    text = str(text).strip()
    return '+' + text[1:] if text.startswith('-') else '−' + text


def amplitude_labels(ax, a_plus, a_minus, texts, span):
    """The value at Δt → 0+ and 0− in units of dc, beside the curve on the far side of 0."""
    for side, value, text in ((1, a_plus, 'A+ = %s dc' % signed(texts[0])),
                              (-1, -a_minus, '−A− = %s dc' % negated(texts[1]))):
        above = value <= 0
        ax.text(side * 0.6 * span, (LABEL_Y if above else -LABEL_Y) * ax.get_ylim()[1],
                text, ha='center', va='center', color='0.15')


def stdp_window_figure(condition):
    """The 4 windows (burst/dip × D1/D2) of a condition, y in units of dc.

    Returns
    -------
    (Figure, dc, τ)
    """
    sim, tau = fp.read_sim(), fp.read_bg()['stdp']['tau_plus']
    dc, win = sim['dc'], protocol.stdp_windows(sim, condition)
    text = sim['stdp_windows'][condition]
    span = TAU_SPAN * tau
    dt = np.linspace(-span, span, 501)
    fig, axes = style.subplots(2, 2, style.FULL_WIDTH, 4.3, sharex=True)
    for i, phase in enumerate(('burst', 'dip')):
        for j, half in enumerate(HALVES):
            ax = axes[i, j]
            a_plus, a_minus = win[phase][half]
            y = window_curve(dt, a_plus, a_minus, tau) / dc
            for side in (dt < 0, dt > 0):
                ax.plot(dt[side], y[side], color='k', lw=1.2)
            top = HEADROOM * max(abs(a_plus), abs(a_minus)) / dc
            ax.set_ylim(-top, top)
            ax.axhline(0, color='0.6', lw=0.6)
            ax.axvline(0, color='0.6', lw=0.6)
            amplitude_labels(ax, a_plus / dc, a_minus / dc, text[phase][half], span)
            ax.set_title('%s MSN, %s' % (half.upper(), PHASE_NAMES[phase]))
            if j == 0:
                ax.set_ylabel('Δc per pairing (dc)')
    for ax in axes[-1]:
        ax.set_xlabel('Δt = t_post − t_pre (ms)')
    return fig, dc, tau


def figure_window(name):
    """The figure function of 3D / 8C / 8E / 8F."""
    condition, filename = WINDOW_FIGURES[name]

    def make(inp):
        """Analytic STDP windows from the parameter files."""
        fig, dc, tau = stdp_window_figure(condition)
        return [style.finish(
            fig, filename, 'Figure %s. STDP windows, %s condition' % (name, condition),
            'Source: simParams.py (stdp_windows, dc = %g) and bgParams.py (τ = %g ms); no run'
            % (dc, tau),
            notes='Δc = A+·exp(−Δt/τ) for Δt > 0 and −A−·exp(Δt/τ) for Δt < 0, so a positive '
                  'A− depresses; in units of dc, each panel on its own scale')]
    make.__name__ = 'figure_' + name
    make.__doc__ = 'Figure %s: analytic STDP windows, %s condition.' % (name, condition)
    return make
