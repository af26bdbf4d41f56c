"""The plasticity protocol as pure functions of the parameters (no NEST).

One place for the rules of docs/model.md §5-6.3: which episode is in which
phase, which stimulus pattern it gets, when dopamine is delivered, and the
STDP windows of each condition. The simulation (``stim_all_model.py``) and
every reader of a run folder (``run_folder.py``, the figures, validation,
the sweep tooling) call these functions with the parameters of the run, so
a protocol number is never re-typed.
"""
from populations import HALVES


def n_episodes(sim):
    """Number of plasticity episodes: ``con_ep + gen_ep + dis_ep`` (230)."""
    return sim['con_ep'] + sim['gen_ep'] + sim['dis_ep']


def episode_length_ms(sim):
    """Plasticity episode (ms): stimulus + break + DA slot + post (2800 by default)."""
    return (sim['stim_duration'] + sim['break_duration'] + sim['burst_duration'] +
            sim['post_duration'])


def stimulus_window(e, sim, t0):
    """(start, stop) in ms of episode ``e``'s stimulus window, episode 0 starting at ``t0``."""
    start = t0 + episode_length_ms(sim) * e
    return start, start + sim['stim_duration']


def phase_bounds(sim):
    """Last episode of CS+ conditioning and last of generalisation (100, 130).

    Episodes ``0 .. con_ep`` are CS+ conditioning, ``con_ep + 1 .. con_ep +
    gen_ep`` generalisation (silence and probes), the rest CS- training.
    """
    return sim['con_ep'], sim['con_ep'] + sim['gen_ep']


def probe_episodes(sim):
    """{'T1': [episodes], 'T2': [episodes]} of the generalisation probes (absolute)."""
    return {flag: [sim['con_ep'] + off for off in sim['probe_' + flag]] for flag in ('T1', 'T2')}


def episode_plan(e, sim):
    """Phase and test flag of episode ``e`` before do_tests.txt is read.

    Returns
    -------
    (phase, flag) : phase 'CS+' or 'CS-'; flag 'F', 'T' (silence), 'T1', 'T2'
        or None (read log/do_tests.txt).
    """
    con, gen = phase_bounds(sim)
    if e <= con:
        return 'CS+', 'F'
    if e <= gen:
        offset = e - con
        if offset in sim['probe_T1']:
            return 'CS-', 'T1'
        if offset in sim['probe_T2']:
            return 'CS-', 'T2'
        return 'CS-', 'T'
    return 'CS-', None


def stimulus_levels(phase, flag, sim):
    """Channel-1 and channel-2 stimulus in rate steps for a phase and flag."""
    strong, weak = sim['Istrong'], sim['Iweak']
    if flag == 'T':
        return 0, 0
    if flag == 'T1' or (flag == 'F' and phase == 'CS+'):
        return strong, weak
    return weak, strong


def reward_decision(phase, flag, e, rates, sim):
    """'burst', 'dip' or 'none' for one episode (docs/model.md §6.3 step 5).

    Parameters
    ----------
    phase, flag : str
        From :func:`episode_plan` (flag after do_tests.txt was read).
    e : int
        Episode index.
    rates : dict
        {'GPi': [Hz per channel], 'MSN_d2': [Hz per channel], ...} of the episode.
    sim : dict
        Protocol parameters (``n_unreinforced``, ``d2_guard_rate``, episode counts).
    """
    if flag != 'F' or e >= n_episodes(sim) - sim['n_unreinforced']:
        return 'none'
    selected_1 = rates['GPi'][1] < rates['GPi'][2]
    if phase == 'CS+':
        return 'burst' if selected_1 else 'none'
    if rates['MSN_d2'][2] < sim['d2_guard_rate'] and selected_1:
        return 'dip'
    return 'none'


def stdp_windows(sim, condition=None):
    """A_plus / A_minus of syn_d1 and syn_d2 per phase, in absolute units.

    Parameters
    ----------
    sim : dict
        Needs ``dc`` and ``stdp_windows`` (fractions of dc per condition,
        phase and half; docs/model.md §5 and 7) and, unless ``condition`` is
        given, ``condition``.
    condition : str, optional
        'normal', 'parkinson' or 'schizophrenia'.

    Returns
    -------
    dict
        {'burst' | 'dip': {'d1': (A_plus, A_minus), 'd2': (A_plus, A_minus)}}.
    """
    fractions = sim['stdp_windows'][condition or sim['condition']]
    return {phase: {half: tuple(times_dc(f, sim['dc']) for f in fractions[phase][half])
                    for half in HALVES} for phase in ('burst', 'dip')}


def parse_fraction(f):
    """(numerator, denominator) of a window entry: a number or a string 'p/q'."""
    if isinstance(f, str):
        num, _, den = f.partition('/')
        return float(num), float(den or 1)
    return float(f), 1.0


def times_dc(f, dc):
    """``dc * p / q`` for a window entry 'p/q' (exactly dc/3 for '1/3'), or dc * f."""
    num, den = parse_fraction(f)
    return dc * num / den
