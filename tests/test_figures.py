"""figures/plots.py: the figures made from run folders, their skips and exit status.

Nothing is written into the source tree: every call uses ``--out`` in tmp_path.
The reference-data tests skip when ../shared/reference is absent; the tests of
our own runs use the session fixture ``own_runs`` of conftest.py.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize

import numpy as np
import pytest

from conftest import REPO, reference_dir

FIGURES = os.path.join(REPO, 'figures')
sys.path.insert(0, FIGURES)
import plots  # noqa: E402
from run_folder import RunFolder, condition_folder, find_runs  # noqa: E402

REF_LOGS = ('log0', 'log1', 'log2', 'log4', 'log5')
RATE_FILES = ('GPi_fr.txt', 'MSN_d1_fr.txt', 'MSN_d2_fr.txt')
MIN_PNG = 10_000


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def run_cli(args, cwd=FIGURES, timeout=600):
    """``python plots.py ARGS`` from inside figures/ (the documented way)."""
    return subprocess.run([sys.executable, 'plots.py'] + [str(a) for a in args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def run_main(args, capsys):
    """plots.main in-process (faster); returns (exit status, stdout)."""
    status = plots.main([str(a) for a in args])
    return status, capsys.readouterr().out


def pngs(folder):
    """{file name: size} of the PNG files in a folder."""
    return {f: os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)
            if f.endswith('.png')}


def skip_lines(out):
    """{figure name: message} of the 'skip NAME: ...' lines."""
    found = {}
    for line in out.splitlines():
        m = re.match(r'^skip (\S+): (.+)$', line)
        if m:
            assert m.group(1) not in found, 'two skip lines for %s' % m.group(1)
            found[m.group(1)] = m.group(2)
    return found


def assert_pngs(folder, expected):
    """Exactly the expected PNG files, each larger than MIN_PNG bytes."""
    got = pngs(folder)
    assert set(got) == set(expected), sorted(got)
    small = {f: s for f, s in got.items() if s <= MIN_PNG}
    assert not small, small


def reference_root():
    """The folder holding run4_k_4_l_02_m_1 (skips when absent)."""
    return os.path.dirname(os.path.dirname(reference_dir('log1')))


def put_log(root, cond, log, source, rows=None, factor=1.0):
    """A log folder of the authors' layout made from a reference log.

    The three rate files read by the figures are copied (optionally only
    their first ``rows`` rows, optionally scaled), with a plot_labels.txt
    of the condition.
    """
    kappa, lam, eta, condition = cond
    path = os.path.join(root, condition_folder(*cond), log)
    os.makedirs(path)
    for name in RATE_FILES:
        data = np.loadtxt(os.path.join(source, name), ndmin=2)[:rows] * factor
        np.savetxt(os.path.join(path, name), data)
    with open(os.path.join(path, 'plot_labels.txt'), 'w') as fh:
        fh.write('Lambda,%g\nkappa,%g\nMod,%g\n' % (lam, kappa, eta))
    return path


# κ 2 / κ 4 at λ 0.0 and 0.2 (2 logs each, one of them shorter), η 2, and the
# disease folders; parkinson λ 0.2 lacks log2 (8B falls back to log0).
SMALL_LAYOUT = (
    ((2, 0.0, 1, 'normal'), ('log0', 'log1'), None, 0.8),
    ((4, 0.0, 1, 'normal'), ('log0', 'log1'), None, 0.9),
    ((2, 0.2, 1, 'normal'), ('log0', 'log1'), None, 1.1),
    ((4, 0.2, 1, 'normal'), ('log0', 'log1'), 180, 1.0),
    ((4, 0.2, 2, 'normal'), ('log0',), None, 1.2),
    ((4, 0.1, 1, 'parkinson'), ('log0',), None, 0.7),
    ((4, 0.2, 1, 'parkinson'), ('log0', 'log1'), None, 0.6),
    ((4, 0.2, 1, 'schizophrenia'), ('log0',), None, 0.5),
)


@pytest.fixture(scope='module')
def small_root(tmp_path_factory):
    """A data root of small condition folders built from the reference logs."""
    ref = reference_root()
    root = str(tmp_path_factory.mktemp('layout'))
    k = 0
    for cond, logs, rows, factor in SMALL_LAYOUT:
        for i, log in enumerate(logs):
            source = os.path.join(ref, 'run4_k_4_l_02_m_1', REF_LOGS[k % len(REF_LOGS)])
            put_log(root, cond, log, source, rows if i == 1 else None, factor)
            k += 1
    return root


# --------------------------------------------------------------------------
# the rule: no protocol number in plots.py
# --------------------------------------------------------------------------
def test_no_protocol_number_in_plots():
    """Episode counts, bounds, probes, dc, τ and the 70-Hz guard are never number literals."""
    forbidden = {100, 101, 105, 110, 115, 120, 130, 131, 227, 228, 229, 230, 0.00056, 20, 70}
    with open(os.path.join(FIGURES, 'plots.py'), 'rb') as fh:
        hits = [(t.start[0], t.string) for t in tokenize.tokenize(fh.readline)
                if t.type == tokenize.NUMBER and float(t.string) in forbidden]
    assert not hits, hits


def test_windows_follow_the_run_protocol():
    """CS+, CS− and validation windows of a published run equal MODEL_SPEC 7 / 10.2's."""
    run = RunFolder(reference_dir('log1'))
    assert plots.cs_plus(run) == (0, 100)
    assert plots.cs_minus(run) == (131, 228)
    assert plots.whole(run) == (0, 228)
    assert plots.validation_windows(run) == [(0, 10), (90, 100), (131, 141), (218, 228)]


def test_window_means_of_the_band_reproduce_spec_table():
    """The published band of the validation figure gives MODEL_SPEC 10.2's mean ± sd."""
    runs = find_runs([reference_root()])['run4_k_4_l_02_m_1']
    assert len(runs) == 5
    x, m = plots.stack(runs, 'GPi', 1, plots.whole)
    per_run = m[:, (x >= 90) & (x < 100)].mean(axis=1)
    np.testing.assert_allclose([per_run.mean(), per_run.std()], [56.80, 4.26], atol=0.006)
    x, m = plots.stack(runs, 'MSN_d2', 2, plots.cs_minus)
    per_run = m[:, (x >= 218) & (x < 228)].mean(axis=1)
    np.testing.assert_allclose([per_run.mean(), per_run.std()], [6.39, 0.81], atol=0.006)


def test_stack_averages_per_episode_over_the_runs_that_have_it(tmp_path):
    """A shorter run contributes only the episodes it has."""
    source = reference_dir('log1')
    cond = (4, 0.2, 1, 'normal')
    long_run = RunFolder(put_log(str(tmp_path), cond, 'log0', source))
    short_run = RunFolder(put_log(str(tmp_path), cond, 'log1', source, rows=50, factor=2.0))
    x, mean, sd, n = plots.summarise(*plots.stack([long_run, short_run], 'GPi', 1, plots.whole))
    gpi = long_run.rates('GPi')[:, 1]
    assert list(x) == list(range(228))
    assert list(n[:50]) == [2] * 50 and list(n[50:]) == [1] * 178
    np.testing.assert_allclose(mean[:50], 1.5 * gpi[:50])
    np.testing.assert_allclose(mean[50:], gpi[50:228])
    np.testing.assert_allclose(sd[50:], 0)


def test_stdp_window_curve_signs():
    """A+ at Δt → 0+, −A− at Δt → 0−, decaying with τ."""
    y = plots.window_curve(np.array([-1e-9, 1e-9, 20.0]), 2.0, 3.0, 20.0)
    np.testing.assert_allclose(y, [-3.0, 2.0, 2.0 / np.e], rtol=1e-6)


# --------------------------------------------------------------------------
# the command line on the published runs
# --------------------------------------------------------------------------
REFERENCE_PNGS = {'Figure_3_C.png', 'Figure_3_D.png', 'Figure_4_D_l_02.png', 'Figure_5_A.png',
                  'Figure_6_AB.png', 'Figure_6_C.png', 'Figure_7_D.png', 'Figure_8_C.png',
                  'Figure_8_E.png', 'Figure_8_F.png', 'Validation.png'}
REFERENCE_SKIPS = {'1E', '1F', '1G', '4A', '8A', '8B', '8D', 'weights', 'resting', 'as'}


def test_cli_on_reference_data(tmp_path):
    """From inside figures/: the figures the 5 published logs allow, one skip line per other."""
    out = tmp_path / 'figs'
    proc = run_cli(['--data', reference_root(), '--out', out])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_pngs(out, REFERENCE_PNGS)
    skips = skip_lines(proc.stdout)
    assert set(skips) == REFERENCE_SKIPS, skips
    assert 'run4_k_4_l_002_m_1/log*' in skips['4A']
    assert 'run4_k_4_l_01_m_1_p_no_conv/log*' in skips['8A']
    assert 'run4_k_4_l_02_m_1_s/log*' in skips['8D']
    # comparison figures name the conditions they lack
    assert re.search(r'^note 7D: missing run4_k_4_l_02_m_2, run4_k_4_l_02_m_4 ', proc.stdout,
                     re.M), proc.stdout
    assert re.search(r'^note 4D: no file for λ 0.0: no run folder run4_k_2_l_002_m_1/log\*, '
                     r'run4_k_4_l_002_m_1/log\* under ', proc.stdout, re.M), proc.stdout
    assert 'summary: made 11 figures (11 files' in proc.stdout
    assert 'summary: skipped 10: ' in proc.stdout
    assert 'Traceback' not in proc.stderr


def test_cli_strict_exits_one_when_something_is_skipped(tmp_path, capsys):
    status, out = run_main(['--data', reference_root(), '--out', tmp_path, '--strict',
                            '--only', '3D', '4A'], capsys)
    assert status == 1
    assert set(skip_lines(out)) == {'4A'}
    assert_pngs(tmp_path, {'Figure_3_D.png'})
    status, _ = run_main(['--data', reference_root(), '--out', tmp_path, '--strict',
                          '--only', '3D', '3C'], capsys)
    assert status == 0


def test_missing_inputs_give_one_skip_line(tmp_path, capsys):
    """An empty data root: each figure needing runs is skipped, naming the folder it lacks."""
    empty = tmp_path / 'empty'
    empty.mkdir()
    out = tmp_path / 'figs'
    status, text = run_main(['--data', empty, '--out', out, '--only', '4A', '6C', '3C', '8B',
                             'validation', 'as', 'resting'], capsys)
    assert status == 0
    skips = skip_lines(text)
    assert set(skips) == {'4A', '6C', '3C', '8B', 'validation', 'as', 'resting'}
    assert skips['4A'] == 'no run folder run4_k_4_l_002_m_1/log* under %s' % empty
    assert skips['6C'].startswith('no run folder run4_k_4_l_02_m_1/log*, run4_k_4_l_03_m_1/log*,'
                                  ' run4_k_4_l_04_m_1/log* under ')
    assert 'run4_k_4_l_02_m_1_p_no_conv/log*' in skips['8B']
    assert '--as-run' in skips['as'] and '--run' in skips['resting']
    assert pngs(out) == {}
    status, _ = run_main(['--data', empty, '--out', out, '--only', '4A', '--strict'], capsys)
    assert status == 1


def test_missing_folder_on_command_line_is_an_error(tmp_path):
    proc = run_cli(['--run', tmp_path / 'nope', '--out', tmp_path])
    assert proc.returncode == 2
    assert 'no such folder' in proc.stderr


def test_unfinished_runs(tmp_path, capsys):
    """An empty log is left out; a 3-episode log gives 3C but no CS− figure."""
    cond = os.path.join(tmp_path, 'data', 'run4_k_4_l_02_m_1')
    rng = np.random.default_rng(1)
    for log, rows in (('log0', 0), ('log1', 3)):
        os.makedirs(os.path.join(cond, log))
        for name in RATE_FILES:
            np.savetxt(os.path.join(cond, log, name), rng.uniform(0, 80, (rows, 5)))
    status, out = run_main(['--data', tmp_path / 'data', '--out', tmp_path / 'figs', '--only',
                            '3C', '5A'], capsys)
    assert status == 0, out
    assert 'note: %s left out: no episode written' % os.path.join(cond, 'log0') in out
    assert skip_lines(out) == {'5A': 'no episode of cs_minus written yet in '
                                     'run4_k_4_l_02_m_1/log1'}
    assert_pngs(tmp_path / 'figs', {'Figure_3_C.png'})


# --------------------------------------------------------------------------
# multi-condition figures on a small layout
# --------------------------------------------------------------------------
MULTI = ('4A', '4D', '5A', '6AB', '6C', '7D', '8A', '8B', '8D')
MULTI_PNGS = {'Figure_4_A.png', 'Figure_4_D_l_002.png', 'Figure_4_D_l_02.png', 'Figure_5_A.png',
              'Figure_6_AB.png', 'Figure_6_C.png', 'Figure_7_D.png', 'Figure_8_A.png',
              'Figure_8_B.png', 'Figure_8_D.png'}


def test_multi_condition_figures(small_root, tmp_path, capsys):
    status, out = run_main(['--data', small_root, '--out', tmp_path, '--strict',
                            '--only'] + list(MULTI), capsys)
    assert status == 0, out
    assert skip_lines(out) == {}
    assert_pngs(tmp_path, MULTI_PNGS)
    # named missing conditions, fallback log and unequal lengths are reported
    assert re.search(r'^note 5A: missing run4_k_2_l_01_m_1, run4_k_4_l_01_m_1, '
                     r'run4_k_2_l_03_m_1, run4_k_4_l_03_m_1 ', out, re.M), out
    assert re.search(r'^note 7D: missing run4_k_4_l_02_m_4 ', out, re.M), out
    assert re.search(r'^note 8B: run4_k_4_l_02_m_1_p_no_conv/log2 missing, drawn from '
                     r'run4_k_4_l_02_m_1_p_no_conv/log0$', out, re.M), out
    assert re.search(r'^note 6C: unequal run lengths', out, re.M), out
    assert not re.search(r'^note 4A: unequal', out, re.M), out


def test_comparison_legend_counts_logs(small_root):
    """Legends say how many logs each curve has."""
    inp = plots.Inputs(roots=(small_root,), runs=find_runs([small_root]), as_run=None,
                       run=None, out='.')
    present, missing = plots.gather(inp, '7D', [(4, 0.2, eta, 'normal') for eta in (1, 2, 4)])
    assert [(c[2], len(r)) for c, r in present] == [(1, 2), (2, 1)]
    assert missing == ['run4_k_4_l_02_m_4']
    assert plots.n_text(present[0][1]) == 'n=2'


# --------------------------------------------------------------------------
# our own runs (conftest.own_runs: short real runs of each mode)
# --------------------------------------------------------------------------
def test_action_selection_figures(own_runs, tmp_path, capsys):
    status, out = run_main(['--as-run', own_runs['action_selection'], '--out', tmp_path,
                            '--strict', '--only', '1E', '1F', '1G', 'as'], capsys)
    assert status == 0, out
    assert_pngs(tmp_path, {'Figure_1_E.png', 'Figure_1_F.png', 'Figure_1_G.png',
                           'Action_selection.png'})


def test_collateral_source_is_the_busiest(own_runs):
    """1F/1G draw the channel's source MSN with the most distinct targets."""
    run = RunFolder(own_runs['action_selection'])
    for half in ('d1', 'd2'):
        counts = {}
        for tgt_half in ('d1', 'd2'):
            tgt, src = plots.targets(run, 'MSN_%s_c1_to_MSN_%s.txt' % (half, tgt_half))
            for s, t in set(zip(src.tolist(), tgt.tolist())):
                counts[s] = counts.get(s, 0) + 1
        best = max(counts.values())
        assert plots.busiest_source(run, half, 1) == min(s for s, c in counts.items()
                                                         if c == best)


def test_run_by_mode(own_runs, tmp_path, capsys):
    """--run makes the figures of the run's mode, and only those."""
    expected = {'action_selection': {'Figure_1_E.png', 'Figure_1_F.png', 'Figure_1_G.png',
                                     'Action_selection.png'},
                'resting_state': {'Resting.png'}}
    for mode, files in expected.items():
        out = tmp_path / mode
        status, text = run_main(['--run', own_runs[mode], '--out', out, '--strict'], capsys)
        assert status == 0, text
        assert_pngs(out, files)


def test_run_plasticity(own_runs, tmp_path, capsys):
    """--run of a plasticity run: learning curves and weights; validation if it is κ 4, λ 0.2."""
    path = own_runs['plasticity']
    run = RunFolder(path)
    status, out = run_main(['--run', path, '--out', tmp_path], capsys)
    assert status == 0, out
    matches = plots.run_matches(run, plots.REFERENCE)
    expected = {'Figure_3_C.png', 'Weights.png'} | ({'Validation.png'} if matches else set())
    assert_pngs(tmp_path, expected)
    skips = skip_lines(out)
    if matches:
        assert skips == {}
    else:
        assert set(skips) == {'validation'}
        assert 'not the validation condition' in skips['validation']


def test_validation_with_own_run_in_authors_layout(own_runs, tmp_path, capsys):
    """Our run placed next to the published logs: drawn against their band.

    The copy's run.json is set to κ 4, λ 0.2, η 1 (the folder's condition)
    whatever the fixture run used: this tests the figure, not the model.
    """
    cond_dir = tmp_path / 'data' / 'run4_k_4_l_02_m_1'
    cond_dir.mkdir(parents=True)
    for log in REF_LOGS:
        os.symlink(os.path.join(reference_root(), 'run4_k_4_l_02_m_1', log), cond_dir / log)
    ours, stray = cond_dir / 'log9', cond_dir / 'log8'
    shutil.copytree(own_runs['plasticity'], ours)
    with open(ours / 'run.json') as fh:
        meta = json.load(fh)
    stray_meta = json.loads(json.dumps(meta))
    meta['bgParams'].update(syn_asymm=4.0, overlap_d1d2=0.2, MSND2_mod=1.0)
    meta['simParams']['condition'] = 'normal'
    with open(ours / 'run.json', 'w') as fh:
        json.dump(meta, fh)
    # a run whose run.json contradicts the folder name is left out, with a note
    shutil.copytree(own_runs['plasticity'], stray)
    stray_meta['bgParams'].update(syn_asymm=2.0)
    with open(stray / 'run.json', 'w') as fh:
        json.dump(stray_meta, fh)
    out = tmp_path / 'figs'
    status, text = run_main(['--data', tmp_path / 'data', '--out', out, '--strict', '--only',
                             'validation', 'weights'], capsys)
    assert status == 0, text
    assert_pngs(out, {'Validation.png', 'Weights.png'})
    assert re.search(r'^note: %s left out: its run.json says κ 2' % re.escape(str(stray)), text,
                     re.M), text
    inp = plots.Inputs(roots=(str(tmp_path / 'data'),),
                       runs=plots.consistent_runs(find_runs([str(tmp_path / 'data')])),
                       as_run=None, run=None, out=str(tmp_path))
    mine, published = plots.validation_runs(inp, plots.REFERENCE)
    assert [r.path for r in mine] == [str(ours)] and len(published) == 5
