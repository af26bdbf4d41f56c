"""figures/plots.py: the figures made from run folders, their skips, layout and exit status.

Nothing is written into the source tree: every call uses ``--out`` in tmp_path.
The reference-data tests skip when ../shared/reference is absent; the tests of
our own runs use the module fixture ``own_runs`` (short real runs of each
mode, one thread). The HTML page and the refused options are in
test_figures_page.py.
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

from conftest import OWN_RUN_SETTINGS, REPO, reference_dir, run_model

FIGURES = os.path.join(REPO, 'figures')
sys.path.insert(0, FIGURES)
import plots

import fig_curves
import fig_own
import fig_windows
import registry
import selection
import style
from run_folder import RunFolder, condition_folder, find_runs

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


def assert_clean_layout(out):
    """No 'layout FILE: ...' line: no text of any figure overlaps another or leaves the canvas."""
    bad = [line for line in out.splitlines() if line.startswith('layout ')]
    assert not bad, '\n'.join(bad)


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


def own_copy(source, dest, cond=(4, 0.2, 1, 'normal')):
    """Our run copied to ``dest`` with run.json saying condition ``cond``.

    This tests the figures, not the model: the copy's parameters are set to
    the folder's condition whatever the run used.
    """
    shutil.copytree(source, dest)
    meta_path = os.path.join(dest, 'run.json')
    with open(meta_path) as fh:
        meta = json.load(fh)
    meta['bgParams'].update(syn_asymm=float(cond[0]), overlap_d1d2=cond[1],
                            MSND2_mod=float(cond[2]))
    meta['simParams']['condition'] = cond[3]
    with open(meta_path, 'w') as fh:
        json.dump(meta, fh)
    return dest


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


def make_small_root(root):
    """Fill ``root`` with the condition folders of SMALL_LAYOUT from the reference logs."""
    ref = reference_root()
    k = 0
    for cond, logs, rows, factor in SMALL_LAYOUT:
        for i, log in enumerate(logs):
            source = os.path.join(ref, 'run4_k_4_l_02_m_1', REF_LOGS[k % len(REF_LOGS)])
            put_log(root, cond, log, source, rows if i == 1 else None, factor)
            k += 1
    return root


@pytest.fixture(scope='module')
def small_root(tmp_path_factory):
    """A data root of small condition folders built from the reference logs."""
    return make_small_root(str(tmp_path_factory.mktemp('layout')))


@pytest.fixture(scope='module')
def own_runs(tmp_path_factory):
    """{mode: run folder}: conftest's short runs of each mode, made here with one thread."""
    out = {}
    for mode, settings in OWN_RUN_SETTINGS.items():
        d = tmp_path_factory.mktemp('fig_own_' + mode)
        one_thread = [s for s in settings if not s.startswith('nbcpu=')] + ['nbcpu=1']
        proc = run_model(d, *one_thread)
        assert proc.returncode == 0, '%s run failed:\n%s' % (mode, proc.stderr[-3000:])
        out[mode] = str(d)
    return out


# --------------------------------------------------------------------------
# the rule: no protocol number in the figure code
# --------------------------------------------------------------------------
def test_no_protocol_number_in_figure_code():
    """Episode counts, bounds, probes, dc, τ and the 70-Hz guard are never number literals."""
    forbidden = {100, 101, 105, 110, 115, 120, 130, 131, 227, 228, 229, 230, 0.00056, 20, 70}
    hits = []
    for name in sorted(os.listdir(FIGURES)):
        if name.endswith('.py'):
            with open(os.path.join(FIGURES, name), 'rb') as fh:
                hits += [(name, t.start[0], t.string) for t in tokenize.tokenize(fh.readline)
                         if t.type == tokenize.NUMBER and float(t.string) in forbidden]
    assert not hits, hits


def test_windows_follow_the_run_protocol():
    """CS+, CS− and validation windows of a published run: the paper's (docs/model.md §7, §10.2)."""
    run = RunFolder(reference_dir('log1'))
    assert selection.cs_plus(run) == (0, 100)
    assert selection.cs_minus(run) == (131, 230)
    assert selection.whole(run) == (0, 230)
    assert selection.reinforced_end(run) == 228
    assert selection.unreinforced_text(run) == 'episodes 228–229'
    assert selection.validation_windows(run) == [(0, 10), (90, 100), (131, 141), (218, 228)]


def test_window_means_of_the_band_reproduce_spec_table():
    """The published band of the validation figure gives docs/model.md §10.2's mean ± sd."""
    runs = find_runs([reference_root()])['run4_k_4_l_02_m_1']
    assert len(runs) == 5
    x, m = selection.stack(runs, 'GPi', 1, selection.whole)
    per_run = m[:, (x >= 90) & (x < 100)].mean(axis=1)
    np.testing.assert_allclose([per_run.mean(), per_run.std()], [56.80, 4.26], atol=0.006)
    x, m = selection.stack(runs, 'MSN_d2', 2, selection.cs_minus)
    per_run = m[:, (x >= 218) & (x < 228)].mean(axis=1)
    np.testing.assert_allclose([per_run.mean(), per_run.std()], [6.39, 0.81], atol=0.006)


def test_stack_averages_per_episode_over_the_runs_that_have_it(tmp_path):
    """A shorter run contributes only the episodes it has."""
    source = reference_dir('log1')
    cond = (4, 0.2, 1, 'normal')
    long_run = RunFolder(put_log(str(tmp_path), cond, 'log0', source))
    short_run = RunFolder(put_log(str(tmp_path), cond, 'log1', source, rows=50, factor=2.0))
    x, mean, sd, n = selection.summarise(*selection.stack([long_run, short_run], 'GPi', 1,
                                                          selection.whole))
    gpi = long_run.rates('GPi')[:, 1]
    assert list(x) == list(range(230))
    assert list(n[:50]) == [2] * 50 and list(n[50:]) == [1] * 180
    np.testing.assert_allclose(mean[:50], 1.5 * gpi[:50])
    np.testing.assert_allclose(mean[50:], gpi[50:])
    np.testing.assert_allclose(sd[50:], 0)


def test_stdp_window_curve_signs():
    """A+ at Δt → 0+, −A− at Δt → 0−, decaying with τ."""
    y = fig_windows.window_curve(np.array([-1e-9, 1e-9, 20.0]), 2.0, 3.0, 20.0)
    np.testing.assert_allclose(y, [-3.0, 2.0, 2.0 / np.e], rtol=1e-6)


# --------------------------------------------------------------------------
# the layout check
# --------------------------------------------------------------------------
def test_layout_check_finds_overlapping_clipped_and_small_text(tmp_path):
    """text_problems names texts on top of each other, off the canvas or below 7 pt."""
    fig, ax = style.subplots(1, 1, style.HALF_WIDTH, 2.0)
    ax.set_xlabel('episode')
    out = style.finish(fig, 'x.png', 'A title', 'Data: none')
    assert style.save(out, str(tmp_path / 'clean.png')) == []
    fig, ax = style.subplots(1, 1, style.HALF_WIDTH, 2.0)
    ax.text(0.5, 0.5, 'first label', transform=ax.transAxes)
    ax.text(0.52, 0.5, 'second label', transform=ax.transAxes)
    fig.text(0.9, 0.5, 'runs off the right edge')
    fig.text(0.1, 0.2, 'tiny', fontsize=5)
    problems = style.save(style.finish(fig, 'x.png', 'A title', 'Data: none'),
                          str(tmp_path / 'bad.png'))
    assert "'first label' overlaps 'second label'" in problems, problems
    assert "'runs off the right edge' leaves the canvas" in problems, problems
    assert "'tiny' is 5 pt, below 7 pt" in problems, problems


def test_layout_check_ignores_ticks_outside_the_view(tmp_path):
    """Tick labels of ticks the axis does not draw are not checked."""
    fig, ax = style.subplots(1, 1, style.HALF_WIDTH, 2.0)
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([-5, 0, 0.5, 1, 5])
    ax.set_xlim(0, 1)
    problems = style.save(style.finish(fig, 'x.png', 'A title', 'Data: none'),
                          str(tmp_path / 'ticks.png'))
    assert problems == []


def test_caption_sentences():
    """The caption: source, notes (capitalised) and what is missing, each a sentence."""
    out = style.Output('f.png', None, 't', 'Data: a (n=2)', missing='b', notes='grey: c')
    assert out.caption() == 'Data: a (n=2). Grey: c. Not found: b.'


# --------------------------------------------------------------------------
# the command line on the published runs
# --------------------------------------------------------------------------
REFERENCE_PNGS = {'Figure_3_C.png', 'Figure_3_D.png', 'Figure_4_D_l_02.png', 'Figure_5_A.png',
                  'Figure_6_AB.png', 'Figure_6_C.png', 'Figure_8_C.png', 'Figure_8_E.png',
                  'Figure_8_F.png', 'Validation.png'}
REFERENCE_SKIPS = {'1E', '1F', '1G', '4A', '7D', '8A', '8B', '8D', 'weights', 'resting', 'as'}


def test_cli_on_reference_data(tmp_path):
    """From inside figures/: the figures the 5 published logs allow, one skip line per other."""
    out = tmp_path / 'figs'
    proc = run_cli(['--data', reference_root(), '--out', out])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_pngs(out, REFERENCE_PNGS)
    assert_clean_layout(proc.stdout)
    skips = skip_lines(proc.stdout)
    assert set(skips) == REFERENCE_SKIPS, skips
    assert 'run4_k_4_l_002_m_1/log*' in skips['4A']
    assert 'run4_k_4_l_01_m_1_p_no_conv/log*' in skips['8A']
    assert 'run4_k_4_l_02_m_1_s/log*' in skips['8D']
    # 7D would repeat 6C with η 1 alone
    assert skips['7D'].startswith('only η 1 found (drawn in 6C); no run folder '
                                  'run4_k_4_l_02_m_2/log*, run4_k_4_l_02_m_4/log* under ')
    assert re.search(r'^note 4D: no file for λ 0.0: no run folder run4_k_2_l_002_m_1/log\*, '
                     r'run4_k_4_l_002_m_1/log\* under ', proc.stdout, re.M), proc.stdout
    assert 'summary: made 10 figures (10 files' in proc.stdout
    assert 'summary: skipped 11 figures: ' in proc.stdout
    assert os.path.exists(out / 'index.html')
    assert 'Traceback' not in proc.stderr


def test_cli_strict_exits_one_when_something_is_skipped(tmp_path, capsys):
    status, out = run_main(['--data', reference_root(), '--out', tmp_path, '--strict',
                            '--only', '3D', '4A'], capsys)
    assert status == 1
    assert set(skip_lines(out)) == {'4A'}
    assert_pngs(tmp_path, {'Figure_3_D.png'})
    assert 'summary: made 1 figure (1 file in ' in out
    assert 'summary: skipped 1 figure: 4A' in out
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
    assert_clean_layout(out)


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
    assert_clean_layout(out)
    # named missing conditions, fallback log and unequal lengths are reported
    assert re.search(r'^note 5A: missing run4_k_2_l_01_m_1, run4_k_4_l_01_m_1, '
                     r'run4_k_2_l_03_m_1, run4_k_4_l_03_m_1 ', out, re.M), out
    assert re.search(r'^note 7D: missing run4_k_4_l_02_m_4 ', out, re.M), out
    assert re.search(r'^note 8B: log2 missing: run4_k_4_l_02_m_1_p_no_conv/log0 drawn '
                     r'instead$', out, re.M), out
    assert re.search(r'^note 6C: unequal run lengths', out, re.M), out
    assert not re.search(r'^note 4A: unequal', out, re.M), out


def test_comparison_titles_name_what_is_drawn(small_root):
    """A κ comparison with one κ found says that κ, and the caption names the missing folder."""
    inp = plots.Inputs(roots=(small_root,), runs=find_runs([small_root]), as_run=None,
                       run=None, out='.')
    out = fig_curves.figure_4d(inp)
    titles = {o.file: o.title for o in out}
    assert titles['Figure_4_D_l_02.png'].endswith('κ 2 vs 4 at λ 0.2')
    out = fig_curves.figure_5a(inp)[0]
    assert out.title == 'Figure 5A. CS− training, κ 2 vs 4'
    assert 'run4_k_2_l_01_m_1' in out.missing
    assert 'n=2' in out.source
    plots.plt.close('all')


def test_comparison_legend_counts_logs(small_root):
    """Legends say how many logs each curve has."""
    inp = plots.Inputs(roots=(small_root,), runs=find_runs([small_root]), as_run=None,
                       run=None, out='.')
    present, missing = selection.gather(inp, '7D', [(4, 0.2, eta, 'normal') for eta in (1, 2, 4)])
    assert [(c[2], len(r)) for c, r in present] == [(1, 2), (2, 1)]
    assert missing == ['run4_k_4_l_02_m_4']
    assert selection.n_text(present[0][1]) == 'n=2'


# --------------------------------------------------------------------------
# weights: unit and panels
# --------------------------------------------------------------------------
def test_weight_panels_merge_equal_ampa_nmda_changes():
    """AMPA and NMDA share a panel when their changes agree, else each has its own."""
    change = np.zeros((4, 2, 4))
    change[:, :, 0] = change[:, :, 1] = np.linspace(0, 3e-4, 4)[:, None]   # D1: same
    change[:, :, 2] = np.linspace(0, -1e-4, 4)[:, None]                    # D2: differ
    labels = [label for label, _ in fig_own.weight_panels(change)]
    assert labels == ['D1 MSN, AMPA and NMDA (same change)', 'D2 MSN, AMPA', 'D2 MSN, NMDA']
    assert fig_own.weight_unit(change) == (1e3, 'fA')
    assert fig_own.weight_unit(change * 1e4) == (1.0, 'pA')


# --------------------------------------------------------------------------
# our own runs (short real runs of each mode)
# --------------------------------------------------------------------------
def test_action_selection_figures(own_runs, tmp_path, capsys):
    """--as-run alone: the four action-selection figures, nothing else and no skip line."""
    status, out = run_main(['--as-run', own_runs['action_selection'], '--out', tmp_path,
                            '--strict'], capsys)
    assert status == 0, out
    assert_pngs(tmp_path, {'Figure_1_E.png', 'Figure_1_F.png', 'Figure_1_G.png',
                           'Action_selection.png'})
    assert skip_lines(out) == {}
    assert_clean_layout(out)
    assert 'summary: skipped 0 figures: -' in out


def test_collateral_source_is_the_busiest(own_runs):
    """1F/1G draw the channel's source MSN with the most distinct targets."""
    run = RunFolder(own_runs['action_selection'])
    for half in ('d1', 'd2'):
        counts = {}
        for tgt_half in ('d1', 'd2'):
            tgt, src = fig_own.targets(run, 'MSN_%s_c1_to_MSN_%s.txt' % (half, tgt_half))
            for s, t in set(zip(src.tolist(), tgt.tolist())):
                counts[s] = counts.get(s, 0) + 1
        best = max(counts.values())
        assert fig_own.busiest_source(run, half, 1) == min(s for s, c in counts.items()
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
        assert_clean_layout(text)


def test_run_plasticity(own_runs, tmp_path, capsys):
    """--run of a plasticity run: learning curves and weights; validation if it is κ 4, λ 0.2."""
    path = own_runs['plasticity']
    run = RunFolder(path)
    status, out = run_main(['--run', path, '--out', tmp_path], capsys)
    assert status == 0, out
    assert_clean_layout(out)
    matches = selection.run_matches(run, selection.REFERENCE)
    expected = {'Figure_3_C.png', 'Weights.png'} | ({'Validation.png'} if matches else set())
    assert_pngs(tmp_path, expected)
    skips = skip_lines(out)
    if matches:
        assert skips == {}
    else:
        assert set(skips) == {'validation'}
        assert 'not the validation condition' in skips['validation']


def test_short_run_shows_its_unreinforced_episodes(own_runs):
    """3C of a short run draws every written episode; the unreinforced ones are named."""
    inp = plots.Inputs(roots=(), runs={}, as_run=None, run=RunFolder(own_runs['plasticity']),
                       out='.')
    out = registry.BY_NAME['3C'].make(inp)[0]
    lines = [ln for ax in out.fig.axes for ln in ax.get_lines() if ln.get_label().startswith(
        'channel')]
    assert lines and all(len(ln.get_xdata()) == inp.run.n_episodes for ln in lines)
    assert 'grey: episode %d, never reinforced' % (inp.run.n_total - 1) in out.notes
    plots.plt.close('all')


def test_every_figure_from_our_runs_and_the_published_layout(own_runs, small_root, tmp_path,
                                                            capsys):
    """One data root with published logs and ours, plus --as-run: every figure but resting."""
    root = tmp_path / 'data'
    shutil.copytree(small_root, root)
    own_copy(own_runs['plasticity'], root / 'run4_k_4_l_02_m_1' / 'log9')
    status, out = run_main(['--data', root, '--as-run', own_runs['action_selection'],
                            '--out', tmp_path / 'figs'], capsys)
    assert status == 0, out
    assert set(skip_lines(out)) == {'resting'}
    assert_clean_layout(out)
    made = {m.group(1) for m in re.finditer(r'^made (\S+):', out, re.M)}
    assert made == set(registry.NAMES) - {'resting'}
    # the page says why our short run gets no window table, and leaves out the unfinished log
    with open(tmp_path / 'figs' / 'index.html', encoding='utf-8') as fh:
        source = fh.read()
    assert ('No table: the protocol of run4_k_4_l_02_m_1/log9 (%d episodes) is shorter than '
            'the comparison windows' % RunFolder(own_runs['plasticity']).n_total) in source
    assert 'Left out, unfinished: run4_k_4_l_02_m_1/log1.' in source


def test_validation_with_own_run_in_authors_layout(own_runs, tmp_path, capsys):
    """Our run placed next to the published logs: drawn against their band."""
    cond_dir = tmp_path / 'data' / 'run4_k_4_l_02_m_1'
    cond_dir.mkdir(parents=True)
    for log in REF_LOGS:
        os.symlink(os.path.join(reference_root(), 'run4_k_4_l_02_m_1', log), cond_dir / log)
    ours = own_copy(own_runs['plasticity'], cond_dir / 'log9')
    # a run whose run.json contradicts the folder name is left out, with a note
    stray = own_copy(own_runs['plasticity'], cond_dir / 'log8', (2, 0.2, 1, 'normal'))
    out = tmp_path / 'figs'
    status, text = run_main(['--data', tmp_path / 'data', '--out', out, '--strict', '--only',
                             'validation', 'weights'], capsys)
    assert status == 0, text
    assert_pngs(out, {'Validation.png', 'Weights.png'})
    assert_clean_layout(text)
    assert re.search(r'^note: %s left out: its run.json says κ 2' % re.escape(str(stray)), text,
                     re.M), text
    inp = plots.Inputs(roots=(str(tmp_path / 'data'),),
                       runs=plots.usable_runs(find_runs([str(tmp_path / 'data')])),
                       as_run=None, run=None, out=str(tmp_path))
    mine, published = fig_curves.validation_runs(inp, selection.REFERENCE)
    assert [r.path for r in mine] == [str(ours)] and len(published) == 5
