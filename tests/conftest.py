"""Shared test helpers: repository paths, the reference data and small runs."""
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(os.path.dirname(REPO), 'shared', 'reference', 'run4_k_4_l_02_m_1')
sys.path.insert(0, REPO)


def reference_dir(log='log1'):
    """Path of a reference run folder, or skip the test with the reason."""
    path = os.path.join(REFERENCE, log)
    if not os.path.isdir(path):
        pytest.skip('reference data not found at %s (only the development checkout has '
                    '../shared/reference)' % path)
    return path


def run_model(log_dir, *overrides, timeout=900):
    """Run stim_all_model.py with --set overrides; return the CompletedProcess."""
    cmd = [sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--log-dir', str(log_dir)]
    for item in overrides:
        cmd += ['--set', item]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def load_json(path):
    with open(path) as fh:
        return json.load(fh)
