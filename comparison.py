"""Our runs against the published ones: the comparison windows, the band, the table.

The four episode windows of docs/model.md §10.2 (0-9, 90-99, 131-140 and
218-227 in the paper's protocol, derived from each run's own protocol), the
score of a window mean (within 3 published sd, the sd floored at 10 % of
the mean or 0.05 Hz), the reward counts and the CS- reversal fit. Used by
``validation/learning_curves.py`` (the report) and the figures' HTML page.
Nothing here imports NEST.
"""
import os

import numpy as np

import run_folder as rf
from populations import COMPARED_POPS

POPS = COMPARED_POPS


N_SD = 3.0            # band half-width, in reference sd


SD_FLOOR = (0.10, 0.05)   # the sd is at least 10 % of the mean and at least 0.05 Hz


MIN_FIT_EPISODES = 3      # the reversal fit has 3 coefficients


def band(ref_values):
    """(mean, effective sd) of the reference runs' values of one window mean."""
    mean, sd = float(np.mean(ref_values)), float(np.std(ref_values))
    return mean, max(sd, SD_FLOOR[0] * abs(mean), SD_FLOOR[1])


def cs_minus_training(run):
    """Half-open episode range of a run's reinforced CS- training (131-228 for the paper)."""
    _, gen_end = run.bounds
    return gen_end + 1, run.n_total - run.sim['n_unreinforced']


def windows(run, width=10):
    """The comparison windows (half-open episode ranges) of a run's protocol.

    Start of CS+, end of CS+, start of CS- training, end of CS- training
    before the unreinforced episodes: (0, 10), (90, 100), (131, 141),
    (218, 228) for the paper's protocol. A protocol with less than ``width``
    episodes of CS- training (a run of the CS+ phase only, ``gen_ep = 0``,
    ``dis_ep = 1``) has the two CS+ windows only; they are the first two of
    the paper's, so such a run is scored on them.
    """
    con, _ = run.bounds
    first, last = cs_minus_training(run)
    cs_plus = ((0, width), (con - width, con))
    if last - first < width:
        return cs_plus
    return cs_plus + ((first, first + width), (last - width, last))


def cs_plus_only(run):
    """Whether a run's protocol has no CS- training to compare (:func:`windows` gives
    the two CS+ windows only)."""
    return len(windows(run)) == 2


def window_names(wins):
    """'0-9, 90-99, ...': the episodes of half-open windows, as the tables print them."""
    return ', '.join('%d-%d' % (lo, hi - 1) for lo, hi in wins)


def window_means(run, wins=None):
    """{(pop, window): (ch1, ch2)} for one RunFolder (windows not yet written are left out)."""
    run = run if isinstance(run, rf.RunFolder) else rf.RunFolder(run)
    out = {}
    for pop in POPS:
        for lo, hi in (wins or windows(run)):
            m = run.window_mean(pop, lo, hi)
            if m is not None:
                out[pop, (lo, hi)] = m
    return out


def reward_counts(run):
    """(bursts, dips) of a run: reward.txt, or the reward rule applied to its rates."""
    run = run if isinstance(run, rf.RunFolder) else rf.RunFolder(run)
    return run.reward_counts()


def reference_runs(reference):
    """RunFolders of the published logs in a condition folder (log0, log1, ...)."""
    found = rf.find_runs([os.path.dirname(os.path.abspath(reference))])
    return found.get(os.path.basename(os.path.abspath(reference)), [])


def parameter_mismatches(ours, ref):
    """Messages for each of our runs whose κ, λ, η or condition differ from ``ref``'s.

    A window mean is only comparable with the published runs of the same
    condition (a run of the shipped κ 2, λ 0.1 is not one of κ 4, λ 0.2)."""
    return ['%s has %s = %s, the reference %s has %s' % (
        run.path, name, mine, os.path.dirname(ref.path), theirs)
        for run in ours for name, mine, theirs in rf.condition_mismatches(run, ref.condition_values)]


def our_window_means(ours):
    """(windows, {(pop, window): array (runs, 2)}) of a list of RunFolders.

    Every run must have the same comparison windows (the same protocol)."""
    wins = windows(ours[0])
    for run in ours[1:]:
        if windows(run) != wins:
            raise ValueError('runs %s and %s have different protocols (windows %s and %s); '
                             'score them separately' % (ours[0].path, run.path, wins,
                                                         windows(run)))
    each = [window_means(run, wins) for run in ours]
    keys = [k for k in each[0] if all(k in m for m in each)]
    return wins, {k: np.array([m[k] for m in each]) for k in keys}


def rows(ours, refs):
    """The rows every table of ours against a reference is made of, in table order.

    Yields ``(window, pop, o, r)``: the window (half-open episode range of our
    protocol), the population, our window means (array runs x 2 channels) and
    the reference runs' means of the same window (the k-th window of each
    reference run's own protocol; array refs x 2).
    """
    wins, mine = our_window_means(ours)
    ref_means = [window_means(r, windows(r)) for r in refs]
    for k, win in enumerate(wins):
        for pop in POPS:
            if (pop, win) in mine:
                yield win, pop, mine[pop, win], np.array(
                    [m[pop, windows(refs[i])[k]] for i, m in enumerate(ref_means)])


def rate_format(pop):
    """printf format of a window mean of ``pop`` (Hz): GPi to 0.01, MSNs to 0.001."""
    return '%.2f' if pop == 'GPi' else '%.3f'


def table(ours, refs):
    """Markdown table lines: our window means next to the reference mean +- sd.

    ``ours`` is a RunFolder or a list of them; a list is scored by its mean.
    Raises ValueError when they differ in protocol or in condition
    (:func:`parameter_mismatches`) from each other or the reference."""
    ours = [ours] if isinstance(ours, rf.RunFolder) else list(ours)
    n_ours = len(ours)
    our_window_means(ours)          # raises for runs of different protocols, before the check below
    wrong = parameter_mismatches(ours, refs[0])
    if wrong:
        raise ValueError('not the reference condition: %s; score a run against the published '
                         'runs of its own parameters (--reference), or make it with '
                         '--bg-set syn_asymm=... --bg-set overlap_d1d2=... --bg-set '
                         'MSND2_mod=...' % '; '.join(wrong))
    head = 'ours ch1 / ch2' if n_ours == 1 else 'ours ch1 / ch2 (mean +- sd, %d runs)' % n_ours
    lines = ['| episodes | population | %s | reference ch1 / ch2 (mean +- sd, '
             '%d runs) | within %g sd (floored) |' % (head, len(refs), N_SD),
             '|---|---|---|---|---|']
    for (lo, hi), pop, o, r in rows(ours, refs):
        fmt = rate_format(pop)
        verdict, shown = [], []
        for ch in (0, 1):
            mean, sd = band(r[:, ch])
            ours_ch = o[:, ch].mean()
            verdict.append('yes' if abs(ours_ch - mean) <= N_SD * sd else
                           'NO (%.1f sd)' % (abs(ours_ch - mean) / sd))
            shown.append(fmt % ours_ch if n_ours == 1 else
                         (fmt + '+-' + fmt) % (ours_ch, o[:, ch].std(ddof=1)))
        lines.append('| %d-%d | %s | %s / %s | %s+-%s / %s+-%s | %s / %s |' % (
            lo, hi - 1, pop, shown[0], shown[1], fmt % r[:, 0].mean(),
            fmt % r[:, 0].std(), fmt % r[:, 1].mean(), fmt % r[:, 1].std(), *verdict))
    return lines


def means_table(ours):
    """Markdown table lines: our window means (mean +- sd across runs, ch1 / ch2), unscored.

    For a condition with no published runs and no runs of ours to compare with."""
    wins, mine = our_window_means(ours)
    lines = ['| episodes | population | ch1 / ch2 (mean +- sd, %d runs) | each run, ch1 / ch2 |'
             % len(ours), '|---|---|---|---|']
    for lo, hi in wins:
        for pop in POPS:
            if (pop, (lo, hi)) not in mine:
                continue
            o = mine[pop, (lo, hi)]
            fmt = rate_format(pop)
            sd = o.std(axis=0, ddof=1) if len(o) > 1 else np.zeros(2)
            lines.append('| %d-%d | %s | %s / %s | %s |' % (
                lo, hi - 1, pop, (fmt + '+-' + fmt) % (o[:, 0].mean(), sd[0]),
                (fmt + '+-' + fmt) % (o[:, 1].mean(), sd[1]),
                ', '.join((fmt + ' / ' + fmt) % tuple(row) for row in o)))
    return lines


def spread_table(ours, refs):
    """Markdown table lines: the sd across our runs next to the reference runs' sd.

    Both sd with ddof 1 (seeds are a sample). Where the learning of a channel
    sits in a few of its MSNs, each independent of the others, the sd of a
    channel's mean grows as 1 / sqrt(MSNs per channel): sqrt(reference scale /
    our scale), 3.2 at 0.1 against full-scale runs (the published runs are
    full scale), the column ``expected``. ``ours`` and ``refs`` need at least
    two runs each, of one protocol.
    """
    def scale(run):
        return float(run.sim.get('scale', 1.0))
    expected = np.sqrt(scale(refs[0]) / scale(ours[0]))
    lines = ['| episodes | population | sd ours ch1 / ch2 (%d runs) | sd reference ch1 / ch2 '
             '(%d runs) | ratio ch1 / ch2 | expected (sqrt(scale ratio)) |'
             % (len(ours), len(refs)), '|---|---|---|---|---|---|']
    for (lo, hi), pop, o, r in rows(ours, refs):
        o, r = o.std(axis=0, ddof=1), r.std(axis=0, ddof=1)
        fmt = rate_format(pop)
        ratio = ['%.1f' % (a / b) if b > 0 else '-' for a, b in zip(o, r)]
        lines.append('| %d-%d | %s | %s / %s | %s / %s | %s / %s | %.1f |' % (
            lo, hi - 1, pop, fmt % o[0], fmt % o[1], fmt % r[0], fmt % r[1], *ratio, expected))
    return lines


def reward_line(ours, refs):
    """The rewards line: our (bursts, dips) next to the reference runs', scored by the dips.

    ``ours`` is a list of finished RunFolders; several are scored by their mean dip count."""
    mine, theirs = [reward_counts(r) for r in ours], [reward_counts(r) for r in refs]
    dips = [d for _, d in theirs]
    our_dips = float(np.mean([d for _, d in mine]))
    shown = mine[0] if len(mine) == 1 else '%s (mean dips %.1f)' % (mine, our_dips)
    return ('rewards (bursts, dips): ours %s; reference %s; dips in the reference range '
            '%d-%d: %s' % (shown, theirs, min(dips), max(dips),
                           'yes' if min(dips) <= our_dips <= max(dips) else 'NO'))


def fit_gpi_ch2(gpi_ch2, d2_ch2, d1_ch2):
    """Least-squares GPi ch2 = a + b * D2 ch2 + c * D1 ch2 (all Hz); returns (a, b, c).

    b (Hz of GPi per Hz of D2) measures how strongly the indirect-pathway
    potentiation of CS- moves channel 2's output; the published runs give
    b of about -3."""
    x = np.column_stack([np.ones(len(gpi_ch2)), d2_ch2, d1_ch2])
    return tuple(float(v) for v in np.linalg.lstsq(x, gpi_ch2, rcond=None)[0])


def reversal_fit(run):
    """:func:`fit_gpi_ch2` over the CS- training episodes of a finished run
    (NaN when the protocol has fewer than MIN_FIT_EPISODES of them)."""
    lo, hi = cs_minus_training(run)
    if hi - lo < MIN_FIT_EPISODES:
        return (float('nan'),) * 3
    return fit_gpi_ch2(*(run.rates(pop)[lo:hi, ch] for pop, ch in
                         (('GPi', 2), ('MSN_d2', 2), ('MSN_d1', 2))))


def reversal_line(ours, refs):
    """The CS- reversal fit of each of our runs next to the reference runs' (b, c)."""
    def fmt(runs):
        return ', '.join('(%.2f, %.1f)' % reversal_fit(r)[1:] for r in runs)
    lo, hi = cs_minus_training(ours[0])
    span = 'episodes %d-%d' % (lo, hi - 1) if hi - lo >= MIN_FIT_EPISODES else 'too few CS- episodes'
    return ('CS- reversal, GPi ch2 = a + b*D2 ch2 + c*D1 ch2 (ours: %s), (b, c): '
            'ours %s; reference %s' % (span, fmt(ours), fmt(refs)))
