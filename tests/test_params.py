"""Validation: each class of bad input gives a clear message and a non-zero
exit, quickly (< 20 s, i.e. without building any network)."""
import os
import re
import subprocess
import sys
import time

import pytest

import fetch_params as fp
from conftest import REPO

pytestmark = pytest.mark.quick      # part of the installation check


def _sim_text(**changes):
    """simParams.py text with the given keys' values replaced (value as source text)."""
    with open(os.path.join(REPO, 'simParams.py')) as fh:
        text = fh.read()
    for key, value in changes.items():
        text, n = re.subn(r"('%s':\s*)([^#\n]*?)(,\s*(#.*)?\n)" % key, r"\g<1>%s\3" % value, text,
                          count=1)
        assert n == 1, key
    return text


def _run(tmp_path, sim_text=None, bg_text=None, extra=()):
    cmd = [sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--log-dir',
           str(tmp_path / 'log')]
    if sim_text is not None:
        (tmp_path / 'sim.py').write_text(sim_text)
        cmd += ['--sim-params', str(tmp_path / 'sim.py')]
    if bg_text is not None:
        (tmp_path / 'bg.py').write_text(bg_text)
        cmd += ['--bg-params', str(tmp_path / 'bg.py')]
    t0 = time.time()
    proc = subprocess.run(cmd + list(extra), capture_output=True, text=True, timeout=60)
    return proc, time.time() - t0


CASES = [
    ('negative duration', dict(simDuration='-5.0'), "'simDuration'", '-5.0', '> 0'),
    ('zero scale', dict(scale='0'), "'scale'", '0', '> 0 and <= 1'),
    ('threads < 1', dict(nbcpu='0'), "'nbcpu'", '0', 'an integer >= 1'),
    ('seed <= 0', dict(msd='0'), "'msd'", '0', 'an integer >= 1'),
    ('mistyped value', dict(dt="'0.1'"), "'dt'", "'0.1'", 'a number'),
    ('unknown condition', dict(condition="'sick'"), "'condition'", "'sick'", 'normal'),
    ('two modes', dict(action_selection='True'), 'exactly one of', "['resting_state', "
     "'action_selection']", ''),
    ('no mode', dict(resting_state='False'), 'exactly one of', 'none', ''),
    ('negative rate', dict(DA_rate='-1.0'), "'DA_rate'", '-1.0', '>= 0'),
    ('NaN', dict(dc="float('nan')"), "'dc'", 'nan', '>= 0'),
    ('infinity', dict(pl_warmup='1e400'), "'pl_warmup'", 'inf', '>= 0'),
    ('unknown input drive', dict(input_generator="'poisson_generator_ps2'"),
     "'input_generator'", "'poisson_generator_ps2'", "'poisson_generator'"),
    ('input switch not a bool', dict(full_size_inputs="'yes'"), "'full_size_inputs'", "'yes'",
     'True or False'),
]


@pytest.mark.parametrize('label, change, key, value, allowed', CASES, ids=[c[0] for c in CASES])
def test_bad_sim_value(tmp_path, label, change, key, value, allowed):
    proc, seconds = _run(tmp_path, sim_text=_sim_text(**change))
    assert proc.returncode == 2, proc.stderr
    msg = proc.stderr
    assert 'sim.py' in msg and key in msg and value in msg and allowed in msg, msg
    assert 'built the network' not in proc.stdout + proc.stderr      # NEST never imported
    assert seconds < 20


def test_bad_probability_in_bg(tmp_path):
    with open(os.path.join(REPO, 'bgParams.py')) as fh:
        text = fh.read().replace("'overlap_d1d2': 0.1,", "'overlap_d1d2': 1.5,")
    proc, _ = _run(tmp_path, bg_text=text)
    assert proc.returncode == 2
    assert "bg.py: key 'overlap_d1d2' has bad value 1.5; allowed: a number >= 0 and <= 1" \
        in proc.stderr


def test_missing_file(tmp_path):
    proc, _ = _run(tmp_path, extra=['--sim-params', str(tmp_path / 'nope.py')])
    assert proc.returncode == 2 and 'nope.py: parameter file not found' in proc.stderr


def test_syntax_error(tmp_path):
    proc, _ = _run(tmp_path, sim_text='simParams = {\n  "msd": 814,,\n}\n')
    assert proc.returncode == 2 and 'syntax error at line 2' in proc.stderr


def test_missing_variable(tmp_path):
    proc, _ = _run(tmp_path, sim_text='params = {}\n')
    assert proc.returncode == 2 and "variable 'simParams' is not defined" in proc.stderr


def test_missing_key(tmp_path):
    text = re.sub(r"\s*'nbcpu':[^\n]*\n", '\n', _sim_text())
    proc, _ = _run(tmp_path, sim_text=text)
    assert proc.returncode == 2 and "missing key(s) 'nbcpu'" in proc.stderr


def test_unknown_key_via_set(tmp_path):
    """Named as coming from --set, with the nearest key or the other file's option."""
    proc, _ = _run(tmp_path, extra=['--set', 'nbcpus=4'])
    assert proc.returncode == 2
    assert "--set: unknown key 'nbcpus' (did you mean 'nbcpu'?)" in proc.stderr
    proc, _ = _run(tmp_path, extra=['--set', 'syn_asymm=4.0'])
    assert "--set: unknown key 'syn_asymm' (a key of bgParams.py: use --bg-set)" in proc.stderr
    proc, _ = _run(tmp_path, extra=['--bg-set', 'scale=0.1'])
    assert "--bg-set: unknown key 'scale' (a key of simParams.py: use --set)" in proc.stderr
    proc, _ = _run(tmp_path, extra=['--set', 'dc=-1.0'])
    assert "--set: key 'dc' has bad value -1.0" in proc.stderr


PL_ON = ['--set', 'resting_state=False', '--set', 'plasticity=True']
PROTOCOL_CASES = [
    ('dt off the grid of record_start', ['--set', 'dt=0.3'], "'record_start'",
     'a multiple of dt (0.3 ms)'),
    ('simDuration off the grid', ['--set', 'simDuration=3000.05'], "'simDuration'",
     'a multiple of dt'),
    ('warm-up before recording', PL_ON + ['--set', 'pl_warmup=500.0'], "'pl_warmup'",
     'at least record_start'),
    ('overlapping probes', PL_ON + ['--set', 'probe_T2=[5, 20]'], "'probe_T2'",
     'not also in probe_T1 [5, 15] (both at [5])'),
    ('unreinforced beyond the run', PL_ON + ['--set', 'n_unreinforced=300'], "'n_unreinforced'",
     'at most the number of episodes'),
    ('plasticity without plastic synapses', PL_ON + ['--bg-set', 'plastic_syn=False'],
     "'plastic_syn'", 'True when the plasticity mode is on'),
    ('delay off the dt grid', ['--set', 'dt=0.4', '--set', 'record_start=1200.0',
                               '--set', 'simDuration=3200.0', '--set', 'at_window=1.2',
                               '--set', 'stim_delay=2.0'], 'delay', 'not a multiple of dt'),
]


@pytest.mark.parametrize('label, extra, key, allowed', PROTOCOL_CASES,
                         ids=[c[0] for c in PROTOCOL_CASES])
def test_protocol_consistency_before_the_build(tmp_path, label, extra, key, allowed):
    """Refused with exit 2, key and what is allowed, before NEST is imported."""
    proc, seconds = _run(tmp_path, extra=extra)
    assert proc.returncode == 2, proc.stdout[-500:]
    assert key in proc.stderr and allowed in proc.stderr, proc.stderr
    assert 'built the network' not in proc.stdout + proc.stderr and seconds < 20
    assert not (tmp_path / 'log').exists() or not os.listdir(tmp_path / 'log')


def test_parameter_file_not_utf8(tmp_path):
    text = open(os.path.join(REPO, 'simParams.py'), encoding='utf-8').read()
    (tmp_path / 'sim.py').write_bytes(text.replace('# master seed', '# Ma\xdftre seed')
                                      .encode('latin-1', errors='replace'))
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'stim_all_model.py'),
                           '--sim-params', str(tmp_path / 'sim.py'), '--log-dir',
                           str(tmp_path / 'log')], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and 'not UTF-8 text' in proc.stderr and 'Traceback' not in \
        proc.stderr, proc.stderr


def test_defaults_are_valid_and_the_papers():
    sim, bg = fp.read_sim(), fp.read_bg()
    assert sim['mode'] == 'resting_state' and sim['msd'] == 814 and sim['nbcpu'] == 2
    assert sim['scalefactor'] == [1, 1] and sim['scale'] == 1.0 and sim['dt'] == 0.1
    assert bg['syn_asymm'] == 2.0 and bg['overlap_d1d2'] == 0.1 and bg['MSND2_mod'] == 1.0


def test_too_small_scale_names_scale(tmp_path):
    """At scale 0.01 (msd 814) a focused MSN->GPe mask at the sheet's corner holds
    no D1 neuron and NEST stops the build; the user gets exit 2 and a message
    naming 'scale', the projection and what to do, within seconds."""
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'stim_all_model.py'),
                           '--log-dir', str(tmp_path), '--set', 'scale=0.01', '--set', 'msd=814',
                           '--set', 'nbcpu=1'], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    msg = proc.stderr
    assert "key 'scale'" in msg and 'MSN->GPe' in msg and "a larger 'scale'" in msg, msg
    assert 'Traceback' not in msg
