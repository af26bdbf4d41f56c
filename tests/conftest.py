"""Shared test helpers: repository paths, the reference data and small runs."""
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _reference_root():
    """The authors' published outputs: $BG_REFERENCE_DIR, else ../shared/reference
    next to the checkout, else the project's shared folder (/work/shared)."""
    candidates = [os.environ.get('BG_REFERENCE_DIR', ''),
                  os.path.join(os.path.dirname(REPO), 'shared', 'reference'),
                  '/work/shared/reference']
    return next((c for c in candidates if c and os.path.isdir(c)), candidates[1])


REFERENCE = os.path.join(_reference_root(), 'run4_k_4_l_02_m_1')
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'validation'))


def reference_dir(log='log1'):
    """Path of a reference run folder, or skip the test with the reason."""
    path = os.path.join(REFERENCE, log)
    if not os.path.isdir(path):
        pytest.skip('reference data not found at %s (only the development checkout has '
                    '../shared/reference)' % path)
    return path


def run_model(log_dir, *overrides, timeout=900, extra=()):
    """Run stim_all_model.py with --set overrides (and ``extra`` arguments);
    return the CompletedProcess."""
    cmd = [sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--log-dir', str(log_dir)]
    cmd += list(extra)
    for item in overrides:
        cmd += ['--set', item]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def load_json(path):
    with open(path) as fh:
        return json.load(fh)


# Short runs of each mode made once per test session (scale 0.02, 2 threads).
# The plasticity protocol differs from the paper's on purpose (episode
# counts, probes, unreinforced episodes), so readers that re-typed the
# paper's numbers would fail on it.
OWN_RUN_SETTINGS = {
    'resting_state': ('scale=0.02', 'nbcpu=2', 'simDuration=1500.0'),
    'action_selection': ('scale=0.02', 'nbcpu=2', 'resting_state=False',
                         'action_selection=True', 'as_grid=3', 'as_rate_step=8.5'),
    'plasticity': ('scale=0.02', 'nbcpu=2', 'resting_state=False', 'plasticity=True',
                   'con_ep=3', 'gen_ep=3', 'dis_ep=3', 'probe_T1=[1]', 'probe_T2=[3]',
                   'n_unreinforced=1', 'checkpoint_every=4'),
}


@pytest.fixture(scope='session')
def own_runs(tmp_path_factory):
    """{mode: run folder} of short runs of this package, made once per session."""
    out = {}
    for mode, settings in OWN_RUN_SETTINGS.items():
        d = tmp_path_factory.mktemp('own_' + mode)
        proc = run_model(d, *settings)
        assert proc.returncode == 0, '%s run failed:\n%s' % (mode, proc.stderr[-3000:])
        out[mode] = str(d)
    return out


# A tiny plasticity sweep (4 episodes a run, scale 0.02) for the sweep and
# SLURM-array tests; {runs} is the section that makes the runs.
TINY_SWEEP = """\
# tiny plasticity sweep for the go.slurm array tests (4 episodes a run)
name = "tiny"
root = "{toml_root}"
[fixed]
plasticity = true
resting_state = false
scale = 0.02
con_ep = 2
gen_ep = 1
dis_ep = 1
probe_T1 = []
probe_T2 = []
n_unreinforced = 0
[fixed_bg]
overlap_d1d2 = 0.2
{runs}
[seeds]
list = [814]
"""

from slurm_cluster import slurm_cluster  # noqa: E402,F401  (the session fixture of tests/test_slurm.py)
