"""Figures of this package's own outputs: cortico-striatal weights, the resting state,
the action-selection maps, and the paper's topography Figures 1E-1G (docs/model.md §6).
"""
from types import MappingProxyType

import numpy as np
from matplotlib.colors import Normalize, TwoSlopeNorm

import style
from episode_axes import episode_frame, phase_header
from populations import RESTING_ORDER, STIMULATED_INPUTS
from run_folder import RunFolderError
from selection import (
    CH,
    Missing,
    as_source,
    grey_note,
    is_own,
    need_files,
    run_cond_text,
    unreinforced_text,
)

HALVES = (('d1', 'D1'), ('d2', 'D2'))
RECEPTORS = ('AMPA', 'NMDA')
FEMTO_BELOW = 0.1            # pA: weight changes smaller than this are shown in fA
SAME_CHANGE = 1e-3           # AMPA and NMDA changes equal to this fraction of the largest
RASTER_MS = 500.0            # resting raster length
RASTER_MAX_NEURONS = 80      # neurons shown per raster
MAX_LEVEL_TICKS = 6          # AS maps: a tick per input level up to this many, else every other
LEGEND_COLUMNS = 3           # entries per row of the legends under the maps
POP_NAMES = MappingProxyType({'MSN_d1': 'D1 MSN', 'MSN_d2': 'D2 MSN'})
DECISION_COLOUR = MappingProxyType({'burst': style.OKABE_ITO['green'], 'dip': style.OKABE_ITO['purple']})


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
                  'or a run folder under %s)' % ', '.join(inp.roots))


def weight_unit(change):
    """(scale, unit) for weight changes: pA, or fA when they are all below FEMTO_BELOW pA."""
    return (1e3, 'fA') if np.nanmax(np.abs(change)) < FEMTO_BELOW else (1.0, 'pA')


def weight_panels(change):
    """[(row label, receptor indices)]: AMPA and NMDA together when their changes agree."""
    largest = max(np.nanmax(np.abs(change)), 1e-300)
    panels = []
    for h, (_, half) in enumerate(HALVES):
        a, n = change[..., 2 * h], change[..., 2 * h + 1]
        if np.nanmax(np.abs(a - n)) <= SAME_CHANGE * largest:
            panels.append(('%s MSN, AMPA and NMDA (same change)' % half, (2 * h,)))
        else:
            panels += [('%s MSN, %s' % (half, kind), (2 * h + k,))
                       for k, kind in enumerate(RECEPTORS)]
    return panels


def decision_strip(ax, run):
    """Reward decisions as ticks: bursts and dips per episode."""
    decisions = np.array(run.decisions())
    for k, kind in enumerate(('burst', 'dip')):
        episodes = np.flatnonzero(decisions == kind)
        ax.eventplot([episodes], lineoffsets=k, linelengths=0.7, colors=DECISION_COLOUR[kind],
                     linewidths=1.2)
    ax.set_yticks([0, 1])
    ax.set_yticklabels(['DA burst', 'DA dip'])
    ax.set_ylim(-0.6, 1.6)
    ax.spines['left'].set_visible(False)
    ax.tick_params(axis='y', length=0)
    ax.set_xlabel('episode')


def initial_weights_text(w):
    """'initial mean weights (pA), channel 1/2: D1 AMPA 1.05/1.05, ...'."""
    names = ['%s %s' % (half, kind) for _, half in HALVES for kind in RECEPTORS]
    return 'mean weights after episode 0 (pA), channel 1 / 2: %s' % ', '.join(
        '%s %.3g / %.3g' % (name, w[0, CH[0], k], w[0, CH[1], k]) for k, name in enumerate(names))


def figure_weights(inp):
    """Change of the mean cortico-striatal weights of channels 1 and 2 over a run."""
    run = weights_run(inp)
    episodes, w = run.mean_weights()
    change = w - w[:1]
    scale, unit = weight_unit(change[:, list(CH)])
    panels = weight_panels(change[:, list(CH)])
    fig, axes = style.subplots(len(panels) + 1, 1, style.FULL_WIDTH,
                               1.35 * len(panels) + 1.6, sharex=True,
                               gridspec_kw={'height_ratios': (3,) * len(panels) + (1.2,)})
    for ax, (label, (k,)) in zip(axes, panels):
        for c in CH:
            ax.plot(episodes, scale * change[:, c, k], color=style.CH_COLOUR[c],
                    ls=style.CH_STYLE[c], marker=style.marker(len(episodes)), ms=3,
                    label='channel %d' % c)
        ax.axhline(0, color='0.6', lw=0.5)
        ax.set_ylabel('Δw (%s)' % unit)
        ax.set_title(label)
        episode_frame(ax, run)
    decision_strip(axes[-1], run)
    episode_frame(axes[-1], run)
    phase_header(axes[0], run)
    handles = axes[0].get_legend_handles_labels()[0]
    if unreinforced_text(run):
        handles.append(style.unreinforced_patch())
    style.legend_on_top(fig, handles, ncol=3)
    bursts, dips = run.reward_counts()
    return [style.finish(
        fig, 'Weights.png',
        'Cortico-striatal weights: change since episode %d, %s' % (episodes[0],
                                                                   run_cond_text(run)),
        'Data: %s/mean_weights.txt (this package, %d episodes, %d bursts, %d dips); n=1 run, '
        'mean over the read-out MSNs of each channel' % (run.path, len(episodes), bursts, dips),
        notes='; '.join(n for n in (initial_weights_text(w), grey_note([run])) if n))]


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


def rate_bars(ax, pops, rates, normal):
    """Measured rate per nucleus (bars) against its normalrate window (shaded)."""
    for k, pop in enumerate(pops):
        lo, hi = normal[target_key(pop)]
        ax.fill_between([k - 0.42, k + 0.42], lo, hi, color=style.OKABE_ITO['green'], alpha=0.25,
                        lw=0)
        ok = lo <= rates[pop] <= hi
        ax.bar(k, rates[pop], width=0.45, color=style.OKABE_ITO['blue'] if ok else
               style.OKABE_ITO['vermillion'], hatch=None if ok else '///', edgecolor='white',
               lw=0)
        ax.text(k, rates[pop] * 1.25, '%.2f' % rates[pop], ha='center', va='bottom')
    ax.set_yscale('log')
    ax.set_xticks(range(len(pops)))
    ax.set_xticklabels([POP_NAMES.get(p, p).replace(' ', '\n') for p in pops])
    ax.set_ylabel('mean rate (Hz, log scale)')
    ax.set_ylim(top=ax.get_ylim()[1] * 3)
    ax.set_title('a  rate (bar) and target range (green)')


def raster(ax, run, pop, t0, t1):
    """Spikes in [t0, t1) of the first neurons (in position-file order) of a nucleus."""
    ids = np.loadtxt(run.file(pop + '.txt'), ndmin=2)[:, 0].astype(int)
    senders, times = run.spikes(pop)
    rank = np.searchsorted(np.sort(ids), senders)
    shown = min(RASTER_MAX_NEURONS, len(ids))
    keep = (times >= t0) & (times < t1) & (rank < shown)
    ax.plot(times[keep], rank[keep], '|', ms=1.5, mew=0.5, color='k')
    ax.set_ylim(-1, shown)
    ax.set_xlim(t0, t1)
    ax.set_yticks([])
    ax.set_ylabel(POP_NAMES.get(pop, pop), rotation=0, ha='right', va='center')
    ax.spines['left'].set_visible(False)
    return shown, len(ids)


def figure_resting(inp):
    """Resting-state rates against normalrate, and a short raster per nucleus."""
    run = resting_run(inp)
    rates = run.resting_rates()
    normal = run.bg['normalrate']
    bars = [p for p in RESTING_ORDER if p in rates and target_key(p) in normal]
    unrecorded = [p for p in RESTING_ORDER if p not in rates]
    pops = [p for p in RESTING_ORDER if run.has(p + '_spikes.dat', p + '.txt')]
    if not bars:
        raise Missing('no rate of %s in %s' % ', '.join(RESTING_ORDER), run.file('mean_fr.json'))
    t0, t_end = run.sim['record_start'], run.sim['simDuration'] + run.sim['initial_ignore']
    t1 = min(t0 + RASTER_MS, t_end)
    fig = style.figure(style.FULL_WIDTH, 3.9)
    grid = fig.add_gridspec(max(len(pops), 1), 2, width_ratios=(1, 1.25))
    rate_bars(fig.add_subplot(grid[:, 0]), bars, rates, normal)
    shown = []
    for k, pop in enumerate(pops):
        ax = fig.add_subplot(grid[k, 1])
        shown.append('%s %d of %d' % (POP_NAMES.get(pop, pop), *raster(ax, run, pop, t0, t1)))
        if k == 0:
            ax.set_title('b  spikes, %g–%g ms' % (t0, t1))
        if k < len(pops) - 1:
            ax.set_xticklabels([])
            ax.tick_params(axis='x', length=0)
    if pops:
        ax.set_xlabel('time (ms)')
    outside = [p for p in bars if not normal[target_key(p)][0] <= rates[p] <=
               normal[target_key(p)][1]]
    return [style.finish(
        fig, 'Resting.png', 'Resting state: rates against the target ranges, %s' % (
            'all inside' if not outside else '%s outside' % ', '.join(outside)),
        'Data: %s (this package, scale %g, %g ms; rates over %g–%g ms from mean_fr.json); n=1 '
        'run' % (run.path, run.sim.get('scale', 1), t_end, t0, t_end),
        missing=('%s (not recorded in this mode)' % ', '.join(unrecorded)) if unrecorded else '',
        notes='hatched vermillion bar: outside the target range (bgParams.py normalrate); '
              'raster rows: the first neurons of each nucleus (%s)' % ', '.join(shown))]


# --------------------------------------------------------------------------
# Action selection: GPi maps
# --------------------------------------------------------------------------
def level_edges(levels):
    """Cell edges around evenly spaced input levels."""
    step = levels[1] - levels[0] if len(levels) > 1 else 1.0
    return np.append(levels - step / 2, levels[-1] + step / 2)


def level_ticks(ax, levels):
    """A tick per input level, or every other one on large grids."""
    shown = levels if len(levels) <= MAX_LEVEL_TICKS else levels[::2]
    ax.set_xticks(shown)
    ax.set_yticks(shown)
    ax.set_xticklabels(['%g' % v for v in shown])
    ax.set_yticklabels(['%g' % v for v in shown])


def winner_colourbar(fig, mesh, ax):
    """The difference colour bar, with which channel wins at each end."""
    bar = fig.colorbar(mesh, ax=ax, shrink=0.8)
    bar.set_label('GPi ch %d − ch %d (Hz)' % (CH[1], CH[0]))
    bar.ax.text(0.5, 1.02, 'ch %d wins' % CH[0], transform=bar.ax.transAxes, ha='center',
                va='bottom')
    bar.ax.text(0.5, -0.02, 'ch %d wins' % CH[1], transform=bar.ax.transAxes, ha='center',
                va='top')


def figure_as(inp):
    """GPi channel 1, channel 2 and their difference over the input grid."""
    run = as_source(inp)
    try:
        levels, g = run.as_grid('GPi')
    except RunFolderError as err:
        raise Missing(str(err))
    edges = level_edges(levels)
    diff = g[:, :, CH[1]] - g[:, :, CH[0]]      # > 0: channel 1 is inhibited less → selected
    span = max(np.abs(diff).max(), 1e-9)
    fig, axes = style.subplots(1, 3, style.FULL_WIDTH, 2.9)
    both = Normalize(g[:, :, list(CH)].min(), g[:, :, list(CH)].max())   # one scale
    maps = ((g[:, :, CH[0]], 'a  GPi channel %d' % CH[0], 'viridis', both),
            (g[:, :, CH[1]], 'b  GPi channel %d' % CH[1], 'viridis', both),
            (diff, 'c  selected channel', 'PuOr_r', TwoSlopeNorm(0, -span, span)))
    for ax, (data, title, cmap, norm) in zip(axes, maps):
        mesh = ax.pcolormesh(edges, edges, data, cmap=cmap, norm=norm, shading='flat')
        ax.set_title(title)
        level_ticks(ax, levels)
        ax.set_xlabel('ch %d input (Hz)' % CH[1])
        ax.set_ylabel('ch %d input (Hz)' % CH[0])
        if ax is axes[1]:
            fig.colorbar(mesh, ax=axes[1], label='GPi rate (Hz)')
    if diff.min() < 0 < diff.max():
        axes[2].contour(levels, levels, diff, levels=[0], colors='k', linewidths=0.8)
    winner_colourbar(fig, mesh, axes[2])
    return [style.finish(
        fig, 'Action_selection.png',
        'Action selection: GPi output over a %d × %d grid of extra cortical input' % (
            len(levels), len(levels)),
        'Data: %s (this package, %s, %g Hz CSN per level, %g ms per stimulus); n=1 run, '
        'one episode per cell' % (run.path, run_cond_text(run), run.sim['as_rate_step'],
                                  run.sim['as_stim_duration']),
        notes='GPi inhibits its channel, so the channel with the lower GPi rate is selected; '
              'in c, orange: channel %d selected, purple: channel %d; black line: no '
              'difference' % (CH[0], CH[1]))]


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
    """All MSNs of one half as light grey dots; equal aspect; labelled axes."""
    ax.scatter(pos[1][:, 0], pos[1][:, 1], s=3, color='0.82', lw=0, label='other MSNs')
    ax.set_aspect('equal')
    ax.set_xlabel('x (sheet units)')
    ax.set_ylabel('y (sheet units)')
    ax.set_title(title)


def draw_targets(ax, xy, c, size=9):
    """Target MSNs of channel c: its colour and marker, opaque, white edge."""
    ax.scatter(xy[:, 0], xy[:, 1], s=size, color=style.CH_COLOUR[c], marker=style.CH_MARKER[c],
               lw=0.3, edgecolors='white', label='targets of channel %d' % c)


def centres(ax, run):
    """Channel centres 1 and 2 as crosses."""
    if run.has('centers.txt'):
        c = np.loadtxt(run.file('centers.txt'), ndmin=2)
        for ch in CH:
            if ch < len(c):
                ax.plot(*c[ch], 'x', color='k', ms=6, mew=1.5, label='channel centre')
                ax.annotate(str(ch), c[ch], xytext=(4, 4), textcoords='offset points',
                            weight='bold')


def legend_below(fig, ax):
    """One legend under the panels, from the entries of ``ax`` (duplicates merged)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    for label, handle in unique.items():
        handle.set_label(label)
    style.legend_below(fig, list(unique.values()), ncol=min(len(unique), LEGEND_COLUMNS))


def figure_1e(inp):
    """MSNs targeted by the stimulated CSN / PTN parrots of channels 1 and 2."""
    run = as_source(inp)
    need_files(run, 'MSN_d1.txt', 'MSN_d2.txt')
    pos = {half: run.positions('MSN_' + half) for half, _ in HALVES}
    fig, axes = style.subplots(2, 2, style.FULL_WIDTH, 6.9)
    for row, inp_name in enumerate(STIMULATED_INPUTS):
        for col, (half, name) in enumerate(HALVES):
            ax = axes[row, col]
            counts = []
            sheet_axes(ax, pos[half], '')
            for c in CH:
                tgt = np.unique(targets(run, '%s_c%d_to_MSN_%s.txt' % (inp_name, c, half))[0])
                draw_targets(ax, xy_of(tgt, pos[half]), c)
                counts.append(len(tgt))
            centres(ax, run)
            ax.set_title('%s  %s → %s MSN (%d / %d MSNs)' % ('abcd'[2 * row + col], inp_name,
                                                            name, *counts))
    legend_below(fig, axes[0, 0])
    return [style.finish(
        fig, 'Figure_1_E.png',
        'Figure 1E. MSNs reached by the stimulated cortical afferents of channels 1 and 2',
        'Data: %s (this package, %s); n=1 network; counts in the titles: channel 1 / channel 2'
        % (run.path, run_cond_text(run)),
        notes='markers are opaque: an MSN reached by both channels shows the channel drawn '
              'last (2)')]


def busiest_source(run, src_half, channel):
    """The channel's source MSN with the most distinct targets (smallest id on ties)."""
    sources = []
    for half, _ in HALVES:
        tgt, src = targets(run, 'MSN_%s_c%d_to_MSN_%s.txt' % (src_half, channel, half))
        sources.append(np.unique(np.column_stack([src, tgt]), axis=0)[:, 0] if len(src)
                       else src)
    ids, counts = np.unique(np.concatenate(sources), return_counts=True)
    if not len(ids):
        raise Missing('no connections from channel-%d %s MSNs in %s' % (channel, src_half,
                                                                        run.path))
    return ids[np.argmax(counts)]


def collateral_figure(inp, src_half, name, filename):
    """Targets of one presynaptic MSN of channels 1 and 2 on D1 and D2 MSNs."""
    run = as_source(inp)
    need_files(run, 'MSN_d1.txt', 'MSN_d2.txt')
    pos = {half: run.positions('MSN_' + half) for half, _ in HALVES}
    fig, axes = style.subplots(1, 2, style.FULL_WIDTH, 3.9)
    counts = {half: [] for half, _ in HALVES}
    for col, (half, _) in enumerate(HALVES):
        sheet_axes(axes[col], pos[half], '')
    sources = []
    for c in CH:
        source = busiest_source(run, src_half, c)
        sources.append('#%d' % source)
        sxy = xy_of(np.array([source]), pos[src_half])[0]
        for col, (half, _) in enumerate(HALVES):
            tgt, src = targets(run, 'MSN_%s_c%d_to_MSN_%s.txt' % (src_half, c, half))
            tgt = np.unique(tgt[src == source])
            draw_targets(axes[col], xy_of(tgt, pos[half]), c, size=14)
            axes[col].plot(*sxy, '*', ms=11, color=style.CH_COLOUR[c], mec='k', mew=0.6,
                           label='source MSN of channel %d' % c)
            counts[half].append(len(tgt))
    for letter, ax, (half, name_half) in zip('ab', axes, HALVES):
        ax.set_title('%s  targets on %s MSNs (%d / %d)' % (letter, name_half, *counts[half]))
    legend_below(fig, axes[0])
    src_name = src_half.upper()
    return [style.finish(
        fig, filename,
        'Figure %s. Collaterals of one %s MSN of channel 1 and one of channel 2' % (name,
                                                                                 src_name),
        'Data: %s (this package, %s); n=1 source MSN per channel (%s: the one with most '
        'targets); counts in the titles: channel 1 / channel 2' % (run.path, run_cond_text(run),
                                                                   ', '.join(sources)),
        notes='the star is drawn on the %s sheet in both panels (D1 and D2 MSNs share '
              'positions)' % src_name)]


def figure_1f(inp):
    """Targets of one D1 MSN per channel."""
    return collateral_figure(inp, 'd1', '1F', 'Figure_1_F.png')


def figure_1g(inp):
    """Targets of one D2 MSN per channel."""
    return collateral_figure(inp, 'd2', '1G', 'Figure_1_G.png')
