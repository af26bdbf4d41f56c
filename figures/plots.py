#!/usr/bin/env python3
"""Paper figures from run folders (run inside figures/).

Usage::

    python plots.py                       # Figure 3C from ./run4_k_4_l_02_m_1/log1 and 3D
    python plots.py --run ../log          # Figure 3C of any plasticity run folder
    python plots.py --figures 3C 3D 8CEF

Run folders use the authors' layout (``run4_k_{kappa}_l_{lambda}_m_{eta}/log{N}``)
or are given with --run. PNG files are written next to this script.
"""
import argparse
import os
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from stim_all_model import stdp_windows  # noqa: E402

DC = 0.00056
TAU = 20.0          # STDP window time constant (ms)


def load_rates(run, pop):
    """Rows = episodes, columns = channels 0-4 (Hz)."""
    return np.loadtxt(os.path.join(run, '%s_fr.txt' % pop), ndmin=2)


def figure_3c(run, out):
    """D1 / D2 rates (channels 1, 2) and GPi over the protocol, with phase lines."""
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    n = min(228, len(load_rates(run, 'GPi')))
    x = np.arange(n)
    for ax, pop, label in zip(axes, ('MSN_d1', 'MSN_d2', 'GPi'), ('D1 MSN', 'D2 MSN', 'GPi')):
        r = load_rates(run, pop)[:n]
        ax.plot(x, r[:, 1], color='tab:blue', label='channel 1')
        ax.plot(x, r[:, 2], color='tab:red', label='channel 2')
        ax.set_ylabel('%s rate (Hz)' % label)
        for edge in (100, 130):
            ax.axvline(edge, color='k', lw=0.8, ls='--')
        for probe, marker in ((105, 'A'), (115, 'A'), (110, 'B'), (120, 'B')):
            if probe < n:
                ax.annotate(marker, (probe, ax.get_ylim()[1]), ha='center', va='bottom',
                            fontsize=8)
    axes[0].legend(loc='upper left', frameon=False)
    axes[0].set_title('CS+ conditioning | generalisation | CS- discrimination\n%s' % run,
                      fontsize=9)
    axes[-1].set_xlabel('episode')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _window(ax, a_plus, a_minus, title):
    dt = np.linspace(-100, 100, 401)
    w = np.where(dt > 0, a_plus * np.exp(-dt / TAU), -a_minus * np.exp(dt / TAU))
    ax.plot(dt[dt > 0], w[dt > 0] / DC, color='k')
    ax.plot(dt[dt < 0], w[dt < 0] / DC, color='k')
    ax.axhline(0, color='grey', lw=0.5)
    ax.axvline(0, color='grey', lw=0.5)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel('t_post - t_pre (ms)')


def figure_windows(condition, out):
    """Analytic STDP windows A exp(-|dt|/20) of the four settings (units of dc)."""
    win = stdp_windows(condition, DC)
    fig, axes = plt.subplots(2, 2, figsize=(7, 5.5), sharex=True)
    for i, phase in enumerate(('burst', 'dip')):
        for j, half in enumerate(('d1', 'd2')):
            a_plus, a_minus = win[phase][half]
            _window(axes[i, j], a_plus, a_minus, '%s, %s' % (half.upper(), phase))
            axes[i, j].set_ylabel('change of c per pairing (x dc)')
    fig.suptitle('STDP windows, %s' % condition)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--run', default=os.path.join('run4_k_4_l_02_m_1', 'log1'),
                   help='plasticity run folder for Figure 3C')
    p.add_argument('--figures', nargs='+', default=['3C', '3D'],
                   choices=['3C', '3D', '8CEF'])
    args = p.parse_args()
    if '3C' in args.figures:
        if os.path.exists(os.path.join(args.run, 'GPi_fr.txt')):
            figure_3c(args.run, os.path.join(HERE, 'Figure_3_C.png'))
        else:
            print('Figure 3C skipped: no GPi_fr.txt in %s' % args.run)
    if '3D' in args.figures:
        figure_windows('normal', os.path.join(HERE, 'Figure_3_D.png'))
    if '8CEF' in args.figures:
        for cond, tag in (('parkinson', '8_C'), ('schizophrenia', '8_E'), ('normal', '8_F')):
            figure_windows(cond, os.path.join(HERE, 'Figure_%s.png' % tag))


if __name__ == '__main__':
    main()
