"""go.slurm, run with a stand-in ``srun`` that prints its command line."""
import os
import subprocess

from conftest import REPO


def _run(tmp_path, **env):
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun').write_text('#!/bin/sh\necho "$@"\n')
    (fake / 'srun').chmod(0o755)
    full_env = dict(os.environ, PATH='%s:%s' % (fake, os.environ['PATH']),
                    SLURM_SUBMIT_DIR=REPO, **env)
    return subprocess.run(['bash', os.path.join(REPO, 'go.slurm')], env=full_env,
                          capture_output=True, text=True, timeout=30)


def test_threads_follow_allocation(tmp_path):
    proc = _run(tmp_path, SLURM_CPUS_PER_TASK='24')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['python3', 'stim_all_model.py', '--set', 'nbcpu=24']


def test_resume(tmp_path):
    proc = _run(tmp_path, SLURM_CPUS_PER_TASK='8', RESUME='log')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ['python3', 'stim_all_model.py', '--resume', 'log']
