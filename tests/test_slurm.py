"""go.slurm on a real one-node SLURM cluster (fixture in tests/slurm_cluster.py).

Every job runs at scale 0.02 on one CPU, from a pytest tmp folder
(``sbatch --chdir``) with ``BG_HOME`` pointing at this checkout, so nothing is
written into the source tree. Skips with one line without root or SLURM
(``.ci/run`` installs it). About 2 minutes on 2 cores, most of it the tiny
sweep's two 4-episode plasticity runs (side by side, ~1 min).
"""
import glob
import os
import subprocess
import sys

import pytest

import run_folder as rf
from conftest import REPO, TINY_SWEEP, load_json

GO = os.path.join(REPO, 'go.slurm')
SWEEP = os.path.join(REPO, 'sweep.py')
JOB_TIMEOUT = 300            # s; a job here takes 2-60 s
DEFAULT_MEM_MB = 6 * 1024    # go.slurm's --mem=6G

KAPPA_2_4 = '[vary]\nsyn_asymm = [2.0, 4.0]'
# both runs pass the sweep's validation; the first is cut to one episode
# (~20 s), the second stops after its build (exit 2) because its warm-up is
# no multiple of the 100-ms read-out period
FAILS_AT_RUN = ('[[conditions]]\nsyn_asymm = 2.0\ncon_ep = 1\ngen_ep = 0\ndis_ep = 0\n'
                '[[conditions]]\nsyn_asymm = 4.0\npl_warmup = 1050.0')


def sbatch_args(cluster, folder, *extra, array=False, env=''):
    """sbatch options: run in ``folder``, output there, 1 CPU, code from this checkout.

    go.slurm's own --mem is kept unless the test node is too small for it.
    """
    name = '%A_%a' if array else '%j'
    args = ['--chdir=%s' % folder, '--output=%s/%s.out' % (folder, name),
            '--error=%s/%s.err' % (folder, name), '--cpus-per-task=1',
            '--export=ALL,BG_HOME=%s,PYTHONDONTWRITEBYTECODE=1%s' % (REPO, env)]
    if cluster.memory_mb < DEFAULT_MEM_MB:
        args.append('--mem=%dM' % cluster.memory_mb)
    return args + list(extra)


def read(path):
    """Text of a job's output file ('' if missing)."""
    return path.read_text(errors='replace') if path.exists() else ''


def submit_go(cluster, folder, *args, extra=(), array=False, env=''):
    """Submit go.slurm with ``args`` from ``folder``; return the job id.

    ``extra``, ``array`` and ``env`` go to :func:`sbatch_args`.
    """
    return cluster.submit(GO, *args, cwd=str(folder),
                          sbatch_args=sbatch_args(cluster, folder, *extra, array=array, env=env))


# --------------------------------------------------------------------------
# Single runs
# --------------------------------------------------------------------------
def test_run_completes(slurm_cluster, tmp_path):
    job = submit_go(slurm_cluster, tmp_path, '--set', 'scale=0.02', '--set', 'simDuration=1500',
                    '--log-dir', 'run1')
    record = slurm_cluster.job_record(job)
    result = slurm_cluster.wait(job, JOB_TIMEOUT)
    assert result == ('COMPLETED', 0, 0), read(tmp_path / (job + '.err'))
    # the defaults of go.slurm reached the scheduler, the CPUs are ours
    assert 'TimeLimit=08:00:00' in record
    assert 'NumCPUs=1' in record
    if slurm_cluster.memory_mb >= DEFAULT_MEM_MB:
        assert 'MinMemoryNode=6G' in record
    # relative --log-dir: the run folder is in the job's folder
    meta = load_json(tmp_path / 'run1' / 'run.json')
    assert meta['status'] == 'finished'
    assert meta['simParams']['nbcpu'] == 1
    assert meta['simParams']['scale'] == 0.02
    assert meta['simParams']['simDuration'] == 1500
    assert set(load_json(tmp_path / 'run1' / 'mean_fr.json')) >= {'GPi', 'STN', 'MSN'}


def test_bad_parameter_fails_job(slurm_cluster, tmp_path):
    job = submit_go(slurm_cluster, tmp_path, '--set', 'scale=-1', '--log-dir', 'bad')
    result = slurm_cluster.wait(job, JOB_TIMEOUT)
    err = read(tmp_path / (job + '.err'))
    assert result == ('FAILED', 2, 0), err
    assert 'scale' in err and '-1' in err
    assert not (tmp_path / 'bad' / 'run.json').exists()


@pytest.mark.parametrize('how', ['argument', 'RESUME'])
def test_resume_passes_through(slurm_cluster, tmp_path, how):
    """--resume (or the old RESUME=) reaches stim_all_model.py unchanged."""
    if how == 'argument':
        job = submit_go(slurm_cluster, tmp_path, '--resume', 'nowhere')
    else:
        job = submit_go(slurm_cluster, tmp_path, env=',RESUME=nowhere')
    result = slurm_cluster.wait(job, JOB_TIMEOUT)
    err = read(tmp_path / (job + '.err'))
    assert result == ('FAILED', 2, 0), err
    assert "--resume nowhere: no such folder" in err


def test_package_folder_missing(slurm_cluster, tmp_path):
    """Without BG_HOME the code is looked up in the submit folder; say so if absent."""
    args = [a for a in sbatch_args(slurm_cluster, tmp_path) if not a.startswith('--export')]
    job = slurm_cluster.submit(GO, sbatch_args=args, cwd=str(tmp_path))
    result = slurm_cluster.wait(job, JOB_TIMEOUT)
    err = read(tmp_path / (job + '.err'))
    assert result == ('FAILED', 2, 0), err
    assert 'BG_HOME' in err and str(tmp_path) in err


def test_sweep_needs_array(slurm_cluster, tmp_path):
    job = submit_go(slurm_cluster, tmp_path, '--sweep', 'tiny.toml')
    result = slurm_cluster.wait(job, JOB_TIMEOUT)
    err = read(tmp_path / (job + '.err'))
    assert result == ('FAILED', 2, 0), err
    assert '--array' in err


# --------------------------------------------------------------------------
# Job arrays over a sweep (sweep.py one SWEEP --index $SLURM_ARRAY_TASK_ID)
# --------------------------------------------------------------------------
RUN_K2 = os.path.join('run4_k_2_l_02_m_1', 'log0', 'run.json')
RUN_K4 = os.path.join('run4_k_4_l_02_m_1', 'log0', 'run.json')


def write_sweep(folder, runs):
    """Tiny sweep file with the ``runs`` section; its own root must not be used."""
    path = folder / 'tiny.toml'
    path.write_text(TINY_SWEEP.format(toml_root=folder / 'toml_root', runs=runs))
    return path


def run_array(cluster, folder, sweep, root, n_tasks):
    """Submit go.slurm --sweep as an array, wait for every task; return the results."""
    job = submit_go(cluster, folder, '--sweep', str(sweep), '--root', str(root),
                    extra=['--array=0-%d' % (n_tasks - 1)], array=True)
    return job, [cluster.wait('%s_%d' % (job, i), JOB_TIMEOUT) for i in range(n_tasks)]


def task_err(folder, job, index):
    """stderr of array task ``index``."""
    return read(folder / ('%s_%d.err' % (job, index)))


def run_files(root):
    """{path: mtime_ns} of every file in the run folders (``run4_*``) under ``root``;
    run.lock aside (a task that finds its run finished takes the lock to read
    the run's state, and writes its PID there)."""
    out = {}
    for run in glob.glob(os.path.join(root, 'run4_*')):
        for top, _, names in os.walk(run):
            for name in names:
                if name == rf.LOCK_NAME:
                    continue
                path = os.path.join(top, name)
                out[path] = os.stat(path).st_mtime_ns
    return out


@pytest.fixture(scope='module')
def finished_sweep(slurm_cluster, tmp_path_factory):
    """A 2-task array of the tiny sweep, run to the end: (folder, root, job, results)."""
    folder = tmp_path_factory.mktemp('sweep')
    sweep = write_sweep(folder, KAPPA_2_4)
    root = folder / 'root'
    job, results = run_array(slurm_cluster, folder, sweep, root, 2)
    return folder, root, job, results


def test_array_runs_every_task(finished_sweep):
    folder, root, job, results = finished_sweep
    count = subprocess.run([sys.executable, SWEEP, 'count', str(folder / 'tiny.toml')],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1'))
    assert count.stdout.strip() == '2', count.stderr
    for i, result in enumerate(results):
        assert result == ('COMPLETED', 0, 0), task_err(folder, job, i)
    for run in (RUN_K2, RUN_K4):
        meta = load_json(root / run)
        assert meta['status'] == 'finished', run
        assert meta['simParams']['nbcpu'] == 1, run
    assert not (folder / 'toml_root').exists()       # --root overrides the file's root
    found = rf.find_runs([str(root)])                  # readable by the run-folder reader
    assert sorted(found) == ['run4_k_2_l_02_m_1', 'run4_k_4_l_02_m_1']
    assert all(r.status == 'finished' and r.n_episodes == r.n_total for v in found.values()
               for r in v)


def test_array_resubmitted_runs_nothing_new(slurm_cluster, finished_sweep):
    folder, root, _, _ = finished_sweep
    before = run_files(root)
    job, results = run_array(slurm_cluster, folder, folder / 'tiny.toml', root, 2)
    for i, result in enumerate(results):
        assert result == ('COMPLETED', 0, 0), task_err(folder, job, i)
    assert before and run_files(root) == before


def test_array_task_with_a_bad_parameter_fails_alone(slurm_cluster, tmp_path):
    """An array task checks only its own run: the task whose run has a bad value
    fails with the package's message (exit 2); the other task completes."""
    sweep = write_sweep(tmp_path, '[vary]\nsyn_asymm = [2.0, -1.0]')
    root = tmp_path / 'root'
    job, results = run_array(slurm_cluster, tmp_path, sweep, root, 2)
    assert results[0] == ('COMPLETED', 0, 0), task_err(tmp_path, job, 0)
    err = task_err(tmp_path, job, 1)
    assert results[1] == ('FAILED', 2, 0), err
    assert "key 'syn_asymm' has bad value -1.0" in err
    assert load_json(root / RUN_K2)['status'] == 'finished'
    assert glob.glob(os.path.join(root, 'run4_*', '*', 'run.json')) == [str(root / RUN_K2)]


def test_array_failing_run_fails_alone(slurm_cluster, tmp_path):
    """A run that stops with an error fails its own task; the other task completes."""
    sweep = write_sweep(tmp_path, FAILS_AT_RUN)
    root = tmp_path / 'root'
    job, (good, bad) = run_array(slurm_cluster, tmp_path, sweep, root, 2)
    assert good == ('COMPLETED', 0, 0), task_err(tmp_path, job, 0)
    err = task_err(tmp_path, job, 1)
    assert bad == ('FAILED', 2, 0), err
    assert 'pl_warmup' in err
    assert load_json(root / RUN_K2)['status'] == 'finished'
    assert not (root / RUN_K4).exists()


# --------------------------------------------------------------------------
# MPI: one run over two tasks (needs the MPI build of NEST, see test_mpi.py)
# --------------------------------------------------------------------------
def test_two_tasks_make_one_mpi_run(slurm_cluster, tmp_path):
    """sbatch --ntasks=2 --cpus-per-task=1 go.slurm: one srun of 2 ranks
    (PMIx) that writes one run folder, equal to 1 process x 2 threads."""
    from test_mpi import MPI_PYTHON, _mpi_missing
    missing = _mpi_missing()
    if missing:
        pytest.skip(missing)
    sets = ('--set', 'scale=0.02', '--set', 'simDuration=1500')
    job = submit_go(slurm_cluster, tmp_path, *sets, '--log-dir', 'run1', extra=('--ntasks=2',),
                    env=',BG_PYTHON=%s,BG_SRUN_MPI=pmix' % MPI_PYTHON)
    result = slurm_cluster.wait(job, JOB_TIMEOUT)
    assert result == ('COMPLETED', 0, 0), read(tmp_path / (job + '.err'))[-3000:]
    meta = load_json(tmp_path / 'run1' / 'run.json')
    assert (meta['mpi_processes'], meta['threads']) == (2, 1)
    # one progress stream (rank 0), not two
    assert read(tmp_path / (job + '.out')).count('built the network') == 1
    ref = tmp_path / 'threads'
    proc = subprocess.run([MPI_PYTHON, os.path.join(REPO, 'stim_all_model.py'), '--log-dir',
                           str(ref), *sets, '--set', 'nbcpu=2'], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ('mean_fr.json', 'At.json'):
        assert (tmp_path / 'run1' / name).read_bytes() == (ref / name).read_bytes(), name


def test_sweep_refuses_several_tasks(slurm_cluster, tmp_path):
    job = submit_go(slurm_cluster, tmp_path, '--sweep', 'tiny.toml',
                    extra=('--ntasks=2', '--array=0-0'), array=True)
    result = slurm_cluster.wait(job + '_0', JOB_TIMEOUT)
    err = read(tmp_path / (job + '_0.err'))
    assert result == ('FAILED', 2, 0), err
    assert '--ntasks=1' in err
