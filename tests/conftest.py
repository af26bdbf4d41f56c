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
