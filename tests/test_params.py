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
]


@pytest.mark.parametrize('label, change, key, value, allowed', CASES, ids=[c[0] for c in CASES])
def test_bad_sim_value(tmp_path, label, change, key, value, allowed):
    proc, seconds = _run(tmp_path, sim_text=_sim_text(**change))
    assert proc.returncode == 2, proc.stderr
    msg = proc.stderr
    assert 'sim.py' in msg and key in msg and value in msg and allowed in msg, msg
    assert 'N E S T' not in proc.stdout + proc.stderr      # NEST never imported
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
    proc, _ = _run(tmp_path, extra=['--set', 'nbcpus=4'])
    assert proc.returncode == 2 and "unknown key(s) 'nbcpus'" in proc.stderr


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
