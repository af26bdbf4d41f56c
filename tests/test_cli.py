"""The command line: --mode, --paper (the 15 conditions defined once) and the
console (no NEST banner, one build line, episode header, closing lines)."""
import os
import subprocess
import sys

import pytest

import conditions
import run_folder as rf
import sweep
from conftest import REPO, load_json

SCRIPT = os.path.join(REPO, 'stim_all_model.py')
SHORT = ['--set', 'scale=0.02', '--set', 'nbcpu=1', '--set', 'con_ep=1', '--set', 'gen_ep=1',
         '--set', 'dis_ep=1', '--set', 'probe_T1=[1]', '--set', 'probe_T2=[]',
         '--set', 'n_unreinforced=0', '--set', 'save_spikes=False']


def _run(*args, timeout=600):
    return subprocess.run([sys.executable, SCRIPT] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.quick
def test_paper_conditions_are_the_paper_sweeps():
    names = conditions.paper_conditions()
    runs = sweep.expand('paper', root='/nonexistent', n_seeds=1)
    assert len(names) == len(runs) == 15
    for name, run in zip(names, runs):
        sim_set, bg_set = names[name]
        folder = rf.condition_folder(run.bg['syn_asymm'], run.bg['overlap_d1d2'],
                                     run.bg['MSND2_mod'], run.sim['condition'])
        assert run.folder.endswith(os.path.join(folder, 'log0'))
        assert conditions.condition_name(run.bg['syn_asymm'], run.bg['overlap_d1d2'],
                                         run.bg['MSND2_mod'], run.sim['condition']) == name
        assert sim_set['plasticity'] and 'full_size_inputs' not in sim_set   # the default inputs
    assert 'k4_l02_m1' in names and 'k4_l01_m1_p' in names and 'k4_l02_m1_s' in names


@pytest.mark.quick
def test_paper_option_refusals(tmp_path):
    listed = _run('--paper', 'list')
    assert listed.returncode == 0 and listed.stdout.split() == list(conditions.paper_conditions())
    bad = _run('--paper', 'k9_l02_m1', '--log-dir', tmp_path / 'a')
    assert bad.returncode == 2 and 'not a condition of the paper; allowed: k2_l002_m1' \
        in bad.stderr
    clash = _run('--paper', 'k4_l02_m1', '--bg-set', 'syn_asymm=2.0', '--log-dir', tmp_path / 'b')
    assert clash.returncode == 2 and '--paper k4_l02_m1 sets syn_asymm = 4.0 itself' in clash.stderr
    both = _run('--paper', 'k4_l02_m1', '--mode', 'resting_state', '--log-dir', tmp_path / 'c')
    assert both.returncode == 2 and 'one of --mode and --paper' in both.stderr
    assert not any((tmp_path / d).exists() for d in 'abc')


def test_paper_run_names_its_condition_and_how_to_compare(tmp_path):
    d = tmp_path / 'pl'
    proc = _run('--paper', 'k4_l02_m1', '--log-dir', d, *SHORT, '--set', "input_draw='nest'")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert 'mode plasticity (normal), msd 814, 1 thread(s), scale 0.02, kappa 4, lambda 0.2, ' \
        'eta 1' in out
    assert 'N E S T' not in out and '  CSN->MSN' not in out
    assert out.count('built the network in') == 1
    assert 'episode/total, stimulus | GPi ch1/ch2' in out and 'ep   2/3 probe CS+' in out
    assert out.rstrip().splitlines()[-1] == (
        'compare with the published runs: python3 validation/learning_curves.py %s '
        '--reference PUBLISHED/run4_k_4_l_02_m_1' % d)
    meta = load_json(d / 'run.json')
    sim = meta['simParams']
    assert sim['plasticity'] and sim['input_draw'] == 'nest'      # the user's own setting wins
    # what was built: NEST's draw from layers at the network's scale
    assert meta['inputs'] == {'layer_scale': 0.02, 'draw': 'nest'}


def test_mode_switch_and_verbose(tmp_path):
    proc = _run('--mode', 'resting_state', '--verbose', '--log-dir', tmp_path / 'r',
                '--set', 'scale=0.02', '--set', 'nbcpu=1', '--set', 'simDuration=1100.0',
                '--set', 'save_spikes=False')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'N E S T' in proc.stdout and '  CSN->MSN' in proc.stdout
    assert 'next: python3 figures/plots.py --run %s' % (tmp_path / 'r') in proc.stdout
    assert load_json(tmp_path / 'r' / 'run.json')['mode'] == 'resting_state'
