"""What the figures read: the inputs, run selection, episode windows, averaging.

Every protocol number (episode counts, phase bounds, probes) comes from the
run folders (``run_folder.RunFolder``: run.json, or the paper's protocol for
the authors' folders); this module holds none.
"""
import json
import os
from dataclasses import dataclass

import numpy as np

from run_folder import condition_folder, condition_mismatches

CH = (1, 2)                                   # the two stimulated channels of the task
POPS = (('MSN_d1', 'D1 MSN'), ('MSN_d2', 'D2 MSN'), ('GPi', 'GPi'))
REFERENCE = (4, 0.2, 1, 'normal')             # condition of 3C and of the validation figure
VALIDATION_WIDTH = 10                         # episodes per window (docs/model.md §10.2)
SCREENED = ('GPi_fr.txt', 'MSN_d1_fr.txt', 'MSN_d2_fr.txt', 'mean_weights.txt')
SHOWN_CHARS = 60                              # of a bad row, in messages


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
        {condition folder: [RunFolder, ...]}, malformed and empty runs left out.
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
# Malformed files
# --------------------------------------------------------------------------
def bad_row(path):
    """(line number, reason) of the first malformed data row of a numeric table, or None.

    A data row is a line that is neither blank nor a ``#`` comment; every
    value must be a number and every row as long as the first.
    """
    width = None
    with open(path, errors='replace') as fh:
        for number, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith('#'):
                continue
            values = text.split()
            try:
                [float(v) for v in values]
            except ValueError:
                return number, 'not a number in %r' % text[:SHOWN_CHARS]
            if width is None:
                width = len(values)
            elif len(values) != width:
                return number, '%d values where the rows above have %d' % (len(values), width)
    return None


def malformed(run):
    """'FILE line N: reason' for the first malformed table of a run folder, or ''."""
    for name in SCREENED:
        if run.has(name):
            found = bad_row(run.file(name))
            if found:
                return '%s line %d: %s' % (run.file(name), *found)
    return ''


# --------------------------------------------------------------------------
# Run selection
# --------------------------------------------------------------------------
def where(inp):
    """The data roots, for messages."""
    return ', '.join(inp.roots)


def is_own(run):
    """True for a run of this package (it has run.json)."""
    return run.meta is not None


def run_matches(run, cond):
    """True if a run has the parameters (κ, λ, η, condition) of cond."""
    return not condition_mismatches(run, cond)


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
    return runs[0], 'log%d missing: %s drawn instead' % (number, runs[0].short_name())


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
    """CS+ conditioning episodes [0, con_ep) (0-99 in the paper, as its Figure 4)."""
    return 0, run.bounds[0]


def cs_minus(run):
    """CS- training episodes to the end [gen_end + 1, n_total) (131-229); the last
    unreinforced ones are drawn on grey (:func:`unreinforced_span`)."""
    return run.bounds[1] + 1, run.n_total


def whole(run):
    """Every episode of the protocol [0, n_total) (0-229)."""
    return 0, run.n_total


def validation_windows(run, width=VALIDATION_WIDTH):
    """The four window ranges of docs/model.md §10.2 from the run's protocol.

    First and last ``width`` CS+ episodes, first ``width`` CS- episodes and
    last ``width`` reinforced CS- episodes; (0,10), (90,100), (131,141),
    (218,228) for the paper's protocol. ``width`` shrinks to the phase
    length of short runs.
    """
    con, gen = run.bounds
    end = reinforced_end(run)
    w_plus, w_minus = min(width, con), max(min(width, end - gen - 1), 0)
    return [(0, w_plus), (con - w_plus, con), (gen + 1, gen + 1 + w_minus), (end - w_minus, end)]


def unreinforced_text(run):
    """'episodes 228–229' (or 'episode 8') never reinforced; '' if none."""
    first, last = reinforced_end(run), run.n_total - 1
    if last < first:
        return ''
    return 'episode %d' % first if last == first else 'episodes %d–%d' % (first, last)


def grey_note(runs):
    """Caption note on the grey span ('' when no run has unreinforced episodes)."""
    spans = sorted({unreinforced_text(r) for r in runs} - {''})
    return ('grey: %s, never reinforced (no dopamine)' % ' / '.join(spans)) if spans else ''


def join_notes(*notes):
    """Non-empty notes joined by '; '."""
    return '; '.join(n for n in notes if n)


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


def cond_text(cond, skip=()):
    """'κ 4, λ 0.2, η 1' (+ condition unless normal), leaving out the keys in skip."""
    kappa, lam, eta, condition = cond
    parts = [('kappa', 'κ %g' % kappa), ('lambda', 'λ %s' % lam_text(lam)),
             ('eta', 'η %g' % eta)]
    text = ', '.join(p for key, p in parts if key not in skip)
    return text if condition == 'normal' else '%s, %s' % (condition, text)


def run_cond_text(run):
    """cond_text of a run's own parameters."""
    return cond_text(run.condition_values)


def protocol_text(run):
    """'paper protocol, 230 episodes' or 'own protocol (run.json), 9 episodes'."""
    kind = 'own protocol (run.json)' if is_own(run) else 'paper protocol'
    return '%s, %d episodes' % (kind, run.n_total)


def protocols_differ(runs):
    """True when the runs do not share one protocol (episode counts, probes)."""
    keys = ('con_ep', 'gen_ep', 'dis_ep', 'probe_T1', 'probe_T2', 'n_unreinforced')
    return len({json.dumps([r.sim.get(k) for k in keys]) for r in runs}) > 1


def require_data(counts, runs, window):
    """Missing when no run has an episode in the window yet."""
    if not any(c.size for c in counts):
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


def runs_text(runs):
    """'run4_k_4_l_02_m_1/log0, log1, log2 (n=3)': the folders of one curve."""
    folders = {}
    for r in runs:
        folders.setdefault(os.path.dirname(r.path), []).append(os.path.basename(r.path))
    parts = ['%s/%s' % (os.path.basename(d), ', '.join(logs)) for d, logs in folders.items()]
    return '%s (%s)' % ('; '.join(parts), n_text(runs))
