"""The run-folder contract (run_folder.OUTPUTS) and the reader (run_folder.RunFolder)."""
import itertools
import json
import os
import shutil

import numpy as np
import pytest

import fetch_params as fp
import protocol
import run_folder as rf
from conftest import REFERENCE, load_json, reference_dir, run_model

REF_LOGS = (0, 1, 2, 4, 5)


def _ref_runs():
    reference_dir('log1')
    return [rf.RunFolder(os.path.join(REFERENCE, 'log%d' % k)) for k in REF_LOGS]


def _with_d2_tripled(run):
    """A fresh reader of ``run``'s folder whose MSN_d2 rates are three times the logged ones."""
    shifted = rf.RunFolder(run.path)
    shifted._rates['MSN_d2'] = shifted.rates('MSN_d2') * 3.0
    return shifted


def test_reader_reproduces_spec_window_means_and_rewards():
    """docs/model.md §10.2: window means across the 5 published logs (2 decimals as
    tabulated, so tolerance 0.006) and the CS- dip counts 83, 75, 75, 63, 69."""
    import comparison
    runs = _ref_runs()
    assert all(r.meta is None and 'paper protocol' in r.protocol_source for r in runs)
    assert [(r.kappa, r.lam, r.eta, r.condition) for r in runs] == [(4.0, 0.2, 1.0, 'normal')] * 5
    spec = {('GPi', 0): [82.15, 84.05], ('GPi', 1): [56.80, 77.61], ('GPi', 2): [58.98, 74.71],
            ('GPi', 3): [62.42, 60.35], ('MSN_d1', 0): [0.16, 0.06], ('MSN_d1', 1): [1.61, 0.21],
            ('MSN_d1', 3): [1.21, 0.17], ('MSN_d2', 2): [0.05, 0.15],
            ('MSN_d2', 3): [0.56, 6.39]}
    wins = comparison.windows(runs[0])
    assert wins == ((0, 10), (90, 100), (131, 141), (218, 228))
    for (pop, k), expected in spec.items():
        means = np.array([r.window_mean(pop, *wins[k]) for r in runs])
        np.testing.assert_allclose(means.mean(0), expected, atol=0.006, err_msg=pop)
    counts = [r.reward_counts() for r in runs]
    assert [d for _, d in counts] == [83, 75, 75, 63, 69]
    assert all(99 <= b <= 101 for b, _ in counts)


def test_learning_curves_scores_a_published_log_in_and_a_shifted_one_out():
    """The score of validation/learning_curves.py: every window mean of a
    published log lies within 3 (floored) sd of the 5 logs' mean; the same log
    with its D2 rates tripled does not in the last CS- window (0.56 +- 0.24 ->
    1.9, D2 channel 2 6.4 +- 0.8 -> 21)."""
    import comparison
    assert comparison.band([1.0, 1.0]) == (1.0, 0.1) and comparison.band([0.01, 0.01]) == (0.01, 0.05)
    assert comparison.band([10.0, 12.0]) == (11.0, 1.1)
    runs = _ref_runs()
    assert not [ln for ln in comparison.table(runs[1], runs) if 'NO' in ln]
    shifted = _with_d2_tripled(runs[1])
    bad = [ln for ln in comparison.table(shifted, runs) if 'NO' in ln]
    assert any(ln.startswith('| 218-227 | MSN_d2 |') for ln in bad), bad
    # several runs are scored by their mean: two published logs pass, a published
    # log with its tripled copy (mean D2 doubled: 6.4 -> ~13) does not
    assert not [ln for ln in comparison.table([runs[1], runs[2]], runs) if 'NO' in ln]
    pair = comparison.table([runs[1], shifted], runs)
    assert '2 runs' in pair[0]
    assert any(ln.startswith('| 218-227 | MSN_d2 |') and 'NO' in ln for ln in pair), pair
    assert 'dips in the reference range 63-83: yes' in comparison.reward_line([runs[1], runs[2]], runs)


def test_reversal_fit_of_the_published_runs():
    """The CS- reversal fit of learning_curves.py: in each published log GPi
    channel 2 falls 2.8-3.3 Hz per Hz of MSN_d2 channel 2 over episodes
    131-227 (measured -2.87 to -3.21; the band is wide enough for rounding,
    narrow enough to catch a wrong column or window); with D2 tripled the
    slope is exactly a third (a linear fit), and the fit recovers known
    coefficients."""
    import comparison
    x = np.linspace(0.0, 1.0, 50)
    np.testing.assert_allclose(comparison.fit_gpi_ch2(80.0 - 2.0 * x - 30.0 * x ** 2, x, x ** 2),
                               (80.0, -2.0, -30.0), atol=1e-9)
    runs = _ref_runs()
    assert comparison.cs_minus_training(runs[0]) == (131, 228)
    slopes = [comparison.reversal_fit(r)[1] for r in runs]
    assert all(-3.3 <= b <= -2.8 for b in slopes), slopes
    shifted = _with_d2_tripled(runs[1])
    assert comparison.reversal_fit(shifted)[1] == pytest.approx(slopes[1] / 3.0, rel=1e-9)
    line = comparison.reversal_line([runs[1]], runs)
    assert '(ours: episodes 131-227)' in line and '(%.2f,' % slopes[1] in line


def test_learning_curves_refuses_runs_of_different_protocols(own_runs):
    """Seeds are averaged window by window, so runs with other phases are refused."""
    import comparison
    with pytest.raises(ValueError, match='different protocols'):
        comparison.table([_ref_runs()[0], rf.RunFolder(own_runs['plasticity'])], _ref_runs())


def _cs_plus_only(run):
    """A reader of ``run`` cut to its CS+ phase, with the protocol of a CS+-only run
    (gen_ep 0, dis_ep 1: 101 episodes, no CS- training)."""
    import comparison
    cut = rf.RunFolder(run.path)
    cut.sim = dict(run.sim, gen_ep=0, dis_ep=1, n_unreinforced=0, probe_T1=[], probe_T2=[])
    for pop in comparison.POPS:
        cut._rates[pop] = run.rates(pop)[:cut.n_total]
    return cut


def test_a_cs_plus_only_run_is_scored_on_the_cs_plus_windows():
    """A run of the CS+ phase only has the paper's first two windows (0-9, 90-99)
    and nothing else: learning_curves scores a published log cut to 101 episodes
    on those 6 rows (3 populations x 2 windows), all in the band; a CS+ phase of
    another length (con_ep 90) is refused, and so is averaging it with a whole run."""
    import comparison
    import learning_curves
    runs = _ref_runs()
    cut = _cs_plus_only(runs[1])
    assert cut.n_total == 101 and cut.n_episodes == 101
    assert comparison.windows(cut) == ((0, 10), (90, 100))
    assert comparison.cs_plus_only(cut) and not comparison.cs_plus_only(runs[1])
    rows = comparison.table(cut, runs)[2:]
    assert [ln.split('|')[1].strip() for ln in rows] == ['0-9'] * 3 + ['90-99'] * 3
    assert not [ln for ln in rows if 'NO' in ln]
    assert learning_curves.protocol_mismatch(['cut'], [cut], runs) == ''
    short = _cs_plus_only(runs[1])
    short.sim['con_ep'] = 90
    why = learning_curves.protocol_mismatch(['short'], [short], runs)
    assert 'short has the comparison windows 0-9, 80-89' in why and 'CS+ phase only' in why
    with pytest.raises(ValueError, match='different protocols'):
        comparison.table([runs[1], cut], runs)


def test_spread_table_sets_our_sd_next_to_the_reference_sd():
    """comparison.spread_table: the published runs against themselves give a
    ratio of exactly 1 in every row; the same runs with every rate doubled give
    2 (the sd scales with the rates); the expected column is sqrt(1/scale)."""
    import comparison
    runs = _ref_runs()
    same = comparison.spread_table(runs, runs)
    assert '5 runs' in same[0] and len(same) == 2 + 4 * 3
    assert all(ln.split('|')[5].strip() == '1.0 / 1.0' for ln in same[2:]), same
    doubled = []
    for run in runs:
        twice = rf.RunFolder(run.path)
        for pop in comparison.POPS:
            twice._rates[pop] = run.rates(pop) * 2.0
        doubled.append(twice)
    rows = comparison.spread_table(doubled, runs)[2:]
    assert all(ln.split('|')[5].strip() == '2.0 / 2.0' for ln in rows), rows
    doubled[0].sim = dict(doubled[0].sim, scale=0.1)
    assert comparison.spread_table(doubled, runs)[2].split('|')[6].strip() == '3.2'


def test_learning_curves_against_our_own_runs(capsys):
    """--against scores runs against other run folders (here three published
    logs against the other two): the table, the spread table, exit 0."""
    import learning_curves
    runs = _ref_runs()
    code = learning_curves.main([runs[0].path, runs[1].path, runs[2].path,
                                 '--against', runs[3].path, runs[4].path])
    out = capsys.readouterr().out
    assert code == 0
    assert '3 runs' in out and 'reference ch1 / ch2 (mean +- sd, 2 runs)' in out
    assert 'spread across runs:' in out and 'dips in the reference range' in out


def test_learning_curves_without_a_reference(capsys):
    """--no-reference prints each run's window means and their mean +- sd (ddof 1),
    unscored: 4 windows x 3 populations, the numbers of comparison.window_means."""
    import comparison
    import learning_curves
    runs = _ref_runs()[:2]
    assert learning_curves.main([runs[0].path, runs[1].path, '--no-reference']) == 0
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith('| 90-99 | MSN_d1')]
    a, b = (comparison.window_means(r)['MSN_d1', (90, 100)] for r in runs)
    assert rows == ['| 90-99 | MSN_d1 | %.3f+-%.3f / %.3f+-%.3f | %.3f / %.3f, %.3f / %.3f |' % (
        (a[0] + b[0]) / 2, abs(a[0] - b[0]) / 2 ** 0.5, (a[1] + b[1]) / 2,
        abs(a[1] - b[1]) / 2 ** 0.5, a[0], a[1], b[0], b[1])]


def test_condition_mismatches_name_each_parameter_that_differs():
    """One description of a condition serves the figures and learning_curves:
    a published run of run4_k_4_l_02_m_1 is (4, 0.2, 1, 'normal'), λ parsed
    from '02' equals 0.2, and each differing parameter is named with both values."""
    ref = _ref_runs()[0]
    assert ref.condition_values == (4.0, 0.2, 1.0, 'normal')
    assert rf.condition_mismatches(ref, (4, 0.2, 1, 'normal')) == []
    assert rf.condition_mismatches(ref, (4, 0.1, 1, 'parkinson')) == [
        ('overlap_d1d2 (lambda)', 0.2, 0.1), ('condition', 'normal', 'parkinson')]


def test_learning_curves_refuses_a_run_of_another_condition(own_runs, capsys):
    """A run is only scored against published runs of its own κ, λ, η and
    condition: our plasticity run has the shipped κ 2, λ 0.1 and is refused
    against run4_k_4_l_02_m_1 (κ 4, λ 0.2) with both parameters named, exit 2,
    before any table; a published log with η changed to 2 is refused by η alone."""
    import comparison
    import learning_curves
    refs = _ref_runs()
    own = rf.RunFolder(own_runs['plasticity'])
    assert (own.kappa, own.lam, own.eta) == (2.0, 0.1, 1.0)
    wrong = comparison.parameter_mismatches([own], refs[0])
    assert len(wrong) == 2
    assert 'syn_asymm (kappa) = 2.0' in wrong[0] and 'has 4.0' in wrong[0]
    assert 'overlap_d1d2 (lambda) = 0.1' in wrong[1] and 'has 0.2' in wrong[1]
    assert learning_curves.main([own_runs['plasticity'], '--reference', os.path.dirname(refs[0].path)]) == 2
    out, err = capsys.readouterr()
    assert 'not the reference condition' in err and '| episodes |' not in out
    other_eta = rf.RunFolder(refs[1].path)
    other_eta.bg['MSND2_mod'] = 2.0
    assert comparison.parameter_mismatches([refs[2], other_eta], refs[0]) == [
        '%s has MSND2_mod (eta) = 2.0, the reference %s has 1.0'
        % (refs[1].path, os.path.dirname(refs[0].path))]
    with pytest.raises(ValueError, match='MSND2_mod'):
        comparison.table(other_eta, refs)


def test_reader_takes_the_protocol_of_our_run(own_runs):
    """A run made with con_ep 3, gen_ep 3, dis_ep 3, probes T1 [1], T2 [3] and
    1 unreinforced episode is read with its own phases and probes."""
    run = rf.RunFolder(own_runs['plasticity'])
    assert run.protocol_source == 'run.json' and run.status == 'finished'
    assert run.meta['format_version'] == rf.FORMAT_VERSION and run.meta['git_commit']
    assert run.n_total == run.n_episodes == 9
    assert run.bounds == (3, 6)
    assert run.probes == {'T1': [4], 'T2': [6]}
    plan = run.plan()
    assert [p for p, _ in plan] == ['CS+'] * 4 + ['CS-'] * 5
    assert [f for _, f in plan] == ['F'] * 4 + ['T1', 'T', 'T2', 'F', 'F']
    decisions = run.decisions()
    assert decisions[4:7] == ['none'] * 3 and decisions[8] == 'none'     # probes, unreinforced
    # the reward rule applied to the logged rates gives the run's own decisions
    gpi, d2 = run.rates('GPi'), run.rates('MSN_d2')
    again = [protocol.reward_decision(p, f, e, {'GPi': gpi[e], 'MSN_d2': d2[e]}, run.sim)
             for e, (p, f) in enumerate(plan)]
    assert again == decisions
    episodes, w = run.mean_weights()
    assert list(episodes) == list(range(9)) and w.shape == (9, 5, 4)


def test_every_written_file_is_in_the_contract(own_runs):
    for mode, path in own_runs.items():
        listed = set(rf.files_of(mode))
        for name in os.listdir(path):
            assert name in listed, '%s wrote %s, not in run_folder.OUTPUTS for %s' % (
                mode, name, mode)
        for name in rf.files_of(mode, 'per_episode'):
            if mode == 'plasticity' or name.endswith('_fr.txt'):
                assert os.path.exists(os.path.join(path, name)), (mode, name)


def test_fresh_run_leaves_no_stale_file_of_ours(own_runs, tmp_path):
    """A resting run into a folder holding a plasticity run and an action-selection
    run's dumps removes every contract file it does not write itself, and keeps
    files the contract does not list (even look-alikes)."""
    d = tmp_path / 'log'
    shutil.copytree(own_runs['plasticity'], d)
    shutil.copy(os.path.join(own_runs['action_selection'], 'CSN_c1_to_MSN_d1.txt'), d)
    user_files = ('notes_spikes.dat', 'my_to_MSN_d1.txt', 'do_tests.txt', 'GPi_fr.txt.bak')
    for name in user_files:
        (d / name).write_text('mine\n')
    proc = run_model(d, 'scale=0.02', 'nbcpu=2', 'simDuration=1200.0', extra=['--overwrite'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    resting = set(rf.files_of('resting_state'))
    for name in os.listdir(d):
        assert name in resting or name in user_files, 'stale file %s' % name
    for name in user_files:
        assert (d / name).read_text() == 'mine\n'
    assert load_json(d / 'run.json')['mode'] == 'resting_state'


def test_folder_names_of_the_authors_layout():
    assert rf.condition_folder(4, 0.2, 1) == 'run4_k_4_l_02_m_1'
    assert rf.condition_folder(2.0, 0.0, 1.0) == 'run4_k_2_l_002_m_1'
    assert rf.condition_folder(4, 0.1, 1, 'parkinson') == 'run4_k_4_l_01_m_1_p_no_conv'
    assert rf.condition_folder(4, 0.2, 4, 'schizophrenia') == 'run4_k_4_l_02_m_4_s'
    for args in ((4, 0.2, 1, 'normal'), (2, 0.0, 2, 'parkinson'), (4, 0.4, 4, 'schizophrenia'),
                 (4, 0.25, 1, 'normal')):
        assert rf.parse_condition_folder(rf.condition_folder(*args)) == args
    assert rf.parse_condition_folder('log1') is None
    with pytest.raises(rf.RunFolderError, match="code '002' means 0.0"):
        rf.condition_folder(4, 0.02, 1)


def test_find_runs_skips_suffixed_logs(tmp_path):
    """log{N} with an integer N only, as the original (docs/model.md [Q-27])."""
    for log in ('log0', 'log3x', 'log7m', 'log12'):
        p = tmp_path / 'run4_k_2_l_01_m_1' / log
        p.mkdir(parents=True)
        (p / 'GPi_fr.txt').write_text('1 2 3 4 5\n')
    found = rf.find_runs([str(tmp_path)])
    assert [os.path.basename(r.path) for r in found['run4_k_2_l_01_m_1']] == ['log0', 'log12']
    assert found['run4_k_2_l_01_m_1'][0].lam == 0.1           # from the folder name


def test_paper_protocol_equals_the_shipped_defaults():
    """simParams.paperProtocol (used to read the authors' folders) and the
    shipped simParams defaults describe the same protocol."""
    sim, paper = fp.read_sim(), fp.read_paper_protocol()
    for key in fp.PAPER_PROTOCOL_KEYS:
        assert sim[key] == paper[key], key
    assert protocol.n_episodes(paper) == 230 and protocol.phase_bounds(paper) == (100, 130)
    assert protocol.probe_episodes(paper) == {'T1': [105, 115], 'T2': [110, 120]}


def test_stdp_windows_follow_the_parameter_entries():
    """Windows are dc times the fractions in simParams (exact for 'p/q' entries)."""
    sim = fp.read_sim()
    w = protocol.stdp_windows(sim, 'normal')
    dc = sim['dc']
    assert w['burst']['d2'] == (dc / 3, 3 * dc / 4) and w['dip']['d1'] == (-dc / 40, dc / 40)
    assert protocol.stdp_windows(sim, 'parkinson')['burst']['d1'] == (-dc, dc / 4)
    assert protocol.stdp_windows(sim, 'schizophrenia')['dip']['d2'] == (dc / 4, -dc / 4)
    sim2 = dict(sim, dc=1.0)
    sim2['stdp_windows'] = json.loads(json.dumps(sim['stdp_windows']))
    sim2['stdp_windows']['normal']['burst']['d1'] = [2.5, '1/8']
    assert protocol.stdp_windows(sim2, 'normal')['burst']['d1'] == (2.5, 0.125)


def test_upgrade_of_a_format_1_run_json():
    sim, bg = fp.read_sim(), fp.read_bg()
    old_sim = {k: v for k, v in sim.items() if k not in (
        'stim_delay', 'stdp_windows', 'mode', 'input_generator', 'full_size_inputs')}
    old_bg = {k: v for k, v in bg.items() if k not in ('plastic_projections', 'normalrate')}
    meta, added = rf.upgrade_meta({'simParams': old_sim, 'bgParams': old_bg}, sim, bg)
    assert sorted(added) == ['full_size_inputs', 'input_generator', 'normalrate',
                             'plastic_projections', 'stdp_windows', 'stim_delay']
    # formats 1 and 2 were made with the old drive, whatever the current default
    assert meta['simParams']['input_generator'] == 'poisson_generator'
    assert meta['simParams']['full_size_inputs'] is False
    assert meta['format_version'] == rf.FORMAT_VERSION
    assert meta['simParams']['stdp_windows'] == sim['stdp_windows']
    with pytest.raises(rf.RunFolderError, match="lacks the key 'bgParams'"):
        rf.upgrade_meta({'simParams': old_sim}, sim, bg)
    with pytest.raises(rf.RunFolderError, match='newer than this package'):
        rf.upgrade_meta({'format_version': 99, 'simParams': {}, 'bgParams': {}}, sim, bg)


def test_upgrade_of_a_format_2_run_json_keeps_its_digest():
    """Format 2 lacks input_generator and full_size_inputs; the upgrade adds the
    values its runs were made with, and the parameter digest (checkpoint,
    sweep state) is unchanged by it."""
    sim, bg = fp.read_sim(), fp.read_bg()
    old_sim = {k: v for k, v in sim.items() if k not in ('input_generator', 'full_size_inputs')}
    before = rf.params_digest(old_sim, bg)
    meta, added = rf.upgrade_meta({'format_version': 2, 'simParams': dict(old_sim),
                                   'bgParams': bg}, {}, {})
    assert sorted(added) == ['full_size_inputs', 'input_generator']
    assert rf.params_digest(meta['simParams'], bg) == before
    assert rf.params_digest(dict(meta['simParams'], input_generator='poisson_generator_ps'),
                            bg) != before


def test_a_run_that_fails_its_checks_keeps_the_old_results(own_runs, tmp_path):
    """The clean-up runs only after the build and every check: a run that fails
    there (scale too small for the masks) leaves the previous run untouched."""
    d = tmp_path / 'log'
    shutil.copytree(own_runs['resting_state'], d)
    def files():
        return {n: (d / n).read_bytes() for n in os.listdir(d) if n != 'run.lock'}

    before = files()
    proc = run_model(d, 'scale=0.001', 'nbcpu=1', extra=['--overwrite'])
    assert proc.returncode == 2 and "'scale'" in proc.stderr, proc.stderr[-2000:]
    assert files() == before


def test_resume_refuses_overrides_that_change_the_science(own_runs):
    import subprocess
    import sys

    from conftest import REPO
    cmd = [sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--resume',
           own_runs['plasticity']]
    proc = subprocess.run(cmd + ['--set', 'dc=0.1'], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert '--set dc cannot be changed on resume' in proc.stderr and 'nbcpu' in proc.stderr
    proc = subprocess.run(cmd + ['--bg-set', 'syn_asymm=2.0'], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and '--bg-set' in proc.stderr


def test_reader_of_a_run_without_episodes_yet(tmp_path):
    """A run folder whose rate file has only been created reads as 0 episodes."""
    d = tmp_path / 'run4_k_4_l_02_m_1' / 'log0'
    d.mkdir(parents=True)
    (d / 'GPi_fr.txt').write_text('')
    run = rf.RunFolder(str(d))
    assert run.n_episodes == 0 and run.rates('GPi').shape == (0, 5)
    assert run.window_mean('GPi', 0, 10) is None


def test_weight_spread_summary_of_known_distributions():
    """Ten equal weights: top-tenth share 0.10, no learner; one MSN of ten holding
    91 of 100 pA: share 0.91, median 1, max 91, one learner; a weight of exactly
    twice the median is not a learner, one just above is."""
    import weight_spread as ws
    even = ws.spread(np.full(10, 2.0))
    assert even['top_share'] == pytest.approx(0.10) and even['learners'] == 0
    s = ws.spread([91.0] + [1.0] * 9)
    assert (s['n'], s['top_share'], s['p50'], s['max'], s['learners']) == (
        10, pytest.approx(0.91), 1.0, 91.0, 1)
    assert ws.spread([2.0, 2.001] + [1.0] * 8)['learners'] == 1
    ids, mean = ws.per_msn_mean(np.array([7, 5, 7, 5, 9]), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert list(ids) == [5, 7, 9] and list(mean) == [3.0, 2.0, 5.0]


def test_weight_spread_of_our_run_matches_its_weight_readout(own_runs):
    """At scale 0.02 the per-episode read-out (mean_weights.txt) covers every
    MSN of a channel, and the checkpoint is taken at the end of the last
    episode: the channel means from checkpoint.npz must equal the last row
    (written with 9 significant digits, hence rel 1e-7). This checks the
    channel membership, the receptor port and the per-MSN averaging."""
    import weight_spread as ws
    run = rf.RunFolder(own_runs['plasticity'])
    episodes, w = run.mean_weights()
    columns = list(itertools.product(('d1', 'd2'), ('AMPA', 'NMDA')))   # mean_weights order
    for receptor in ('AMPA', 'NMDA'):
        episode, rows = ws.channel_rows(run, receptor, channels=range(w.shape[1]))
        assert episode == run.n_total == episodes[-1] + 1
        for half, ch, s in rows:
            col = columns.index((half, receptor))
            assert s['n'] <= run.sim['weights_readout_msn']
            assert s['mean'] == pytest.approx(w[-1, ch, col], rel=1e-7), (half, receptor, ch)
    lines = ws.report(run, 'NMDA', [1, 2])
    assert 'after %d episodes' % run.n_total in lines[0] and len(lines) == 6


def test_afferent_drive_counts_each_synapse():
    """Target 20 has afferents 1, 1 (a multapse) and 2: drive (10+10+40)/3 Hz;
    target 30 has none (NaN); target 10 one afferent of 0 Hz. Synapses onto
    targets that are not reported (99) are ignored."""
    import probe_checkpoint as pc
    rates = {1: 10.0, 2: 40.0, 3: 0.0}
    drive = pc.afferent_drive(np.array([1, 1, 2, 3, 2]), np.array([20, 20, 20, 10, 99]),
                              lambda s: np.array([rates[i] for i in s]),
                              np.array([30, 20, 10]))
    assert np.isnan(drive[0]) and drive[1] == pytest.approx(20.0) and drive[2] == 0.0


def test_probe_of_our_checkpoint_drives_the_pattern_channel(own_runs, tmp_path):
    """probe_checkpoint.py on the finished scale-0.02 run: the checkpoint is
    restored (the tool reads the weights back and compares), and 2 episodes of
    T2 (channel 2 strong) against 2 of silence (T, same trains otherwise) raise
    channel 2's MSN rate and lower channel 2's GPi rate. In the run's own
    probe episodes GPi channel 2 drops by ~10 Hz under T2 (~160 spikes of 8
    neurons over 2 s against a Poisson sd of ~40), so a wrong channel or a
    missing stimulus fails."""
    import subprocess
    import sys
    tool = os.path.join(os.path.dirname(rf.__file__), 'validation', 'probe_checkpoint.py')
    res = {}
    for pattern in ('T2', 'T'):
        out = tmp_path / (pattern + '.npz')
        proc = subprocess.run([sys.executable, tool, own_runs['plasticity'], '--pattern', pattern,
                               '--episodes', '2', '--out', str(out)],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert 'probe %s x 2 after episode 9' % pattern in proc.stdout
        res[pattern] = np.load(out)
    def ch2_mean(z, pop):
        return z['%s_rate' % pop][z['%s_ch2' % pop]].mean()
    msn = {p: ch2_mean(res[p], 'MSN_d1') + ch2_mean(res[p], 'MSN_d2') for p in res}
    gpi = {p: ch2_mean(res[p], 'GPi') for p in res}
    assert msn['T2'] > msn['T'] and gpi['T2'] < gpi['T'] - 3.0, (msn, gpi)
    assert np.all(np.isfinite(res['T2']['drive_d2']))


def test_input_scale_study_runs_the_reference_condition(tmp_path, monkeypatch):
    """validation/input_scale_study.py makes its plasticity runs with the κ, λ,
    η of the --reference folder's name (not the shipped κ 2, λ 0.1), in a
    folder named after that condition, and refuses a name that is not one."""
    import input_scale_study as study
    bg_sets, name = study.reference_condition('/x/run4_k_4_l_02_m_1')
    assert bg_sets == ['syn_asymm=4.0', 'overlap_d1d2=0.2', 'MSND2_mod=1.0']
    assert name == 'run4_k_4_l_02_m_1'
    assert study.reference_condition('run4_k_2_l_002_m_2')[0] == [
        'syn_asymm=2.0', 'overlap_d1d2=0.0', 'MSND2_mod=2.0']
    for bad in ('run4_k_4_l_02_m_1_p_no_conv', 'val_full'):
        with pytest.raises(SystemExit, match='condition folder'):
            study.reference_condition(bad)
    calls = []
    monkeypatch.setattr(study.subprocess, 'run', lambda cmd, **kw: calls.append(cmd))
    study.run_once(str(tmp_path / 'p'), ['scale=0.1'], bg_sets)
    cmd = calls[0]
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == '--bg-set'] == bg_sets
    assert cmd[cmd.index('--set') + 1] == 'scale=0.1'


def test_input_scale_study_table_counts_the_band_and_the_bias():
    """The study's Markdown table: a candidate at exactly the published means is
    in the band everywhere with a rate ratio of 1; one at twice the MSN rates
    has ratio 2 and leaves the band where 2x exceeds 3 floored sd; candidate
    names parse into their simParams overrides."""
    import input_scale_study as study
    keys = [('GPi', (0, 10)), ('MSN_d1', (0, 10))]
    ref = [{keys[0]: np.array([82.0, 84.0]), keys[1]: np.array([0.16, 0.06])},
           {keys[0]: np.array([82.4, 84.2]), keys[1]: np.array([0.18, 0.06])}]
    mean = {k: np.mean([r[k] for r in ref], axis=0) for k in keys}
    exact = [[mean[keys[0]], mean[keys[1]]]] * 2
    double = [[mean[keys[0]], 2 * mean[keys[1]]]] * 2
    base = {'resting': [[81.0, 66.0, 15.0, 10.0]] * 2, 'synchrony': [None, None],
            'wall_plasticity': [5.0, 6.0]}
    text = study.markdown_table({'exact': dict(base, windows=exact),
                                 'double': dict(base, windows=double)}, keys, ref)
    band_row = [line for line in text.splitlines() if line.startswith('| in the band')][0]
    # 0.34 Hz against 0.17 +- 3 x max(0.01, 0.017, 0.05): out; 0.12 against 0.06: in
    assert '| 4 of 4 / 8 of 8 | 3 of 4 / 6 of 8 |' in band_row
    ratio_row = [line for line in text.splitlines() if 'geometric mean' in line][0]
    assert '| 1.00 (1.00–1.00) | 2.00 (2.00–2.00) |' in ratio_row      # mean (seeds from-to)
    assert '| | wall s per model s | 5.5 | 5.5 | |' in text
    assert study.candidate('in0.3_norep') == {'full_size_inputs': False, 'input_layer_scale': 0.3,
                                              'input_draw': 'without_repetition',
                                              'msn_draw': 'nest'}
    assert study.candidate('full_msnfsr')['msn_draw'] == 'full_scale_repeats'
    assert study.candidate('matched') == {'full_size_inputs': False, 'input_draw': 'matched',
                                          'msn_draw': 'nest'}
    assert study.candidate('scaled')['input_draw'] == 'nest'        # the original's reduced scale
    assert study.candidate('in0.3_sometimes') is None and study.candidate('half') is None
