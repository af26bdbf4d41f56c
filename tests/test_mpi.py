"""Runs under MPI: 2 ranks x 1 thread against 1 rank x 2 threads.

NEST distributes neurons, random streams and connections over virtual
processes (ranks x threads), so both layouts simulate the same network with
the same spikes; the package combines over ranks every spike count it
decides on or writes. The rate files (and reward decisions, the eta trigger,
n_synapses) must therefore be byte-identical. Both layouts run with the MPI
build of NEST (``mpi/install_nest_mpi.sh``, ``$BG_MPI_PYTHON`` or
``~/.cache/bg-nest-mpi``), so the comparison is not between two builds.
The tests skip with one line where that build or ``mpirun`` is missing;
``.ci/run`` builds it, so in CI they run.
"""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import REPO

MPI_PYTHON = os.environ.get('BG_MPI_PYTHON') or os.path.expanduser(
    '~/.cache/bg-nest-mpi/bin/python3')
SCRIPT = os.path.join(REPO, 'stim_all_model.py')
COMMON = ('scale=0.02', 'save_spikes=True')
# dc 0.05: CS+ bursts teach channel 1 fast enough that it still wins in CS-,
# so the 7 episodes give both bursts and dips (measured with the injector
# drive: none burst burst burst | none | dip dip; at the default dc, msd 814,
# 815 and 816 gave no dip).
PLASTICITY = COMMON + ('resting_state=False', 'plasticity=True', 'con_ep=3', 'gen_ep=1',
                       'dis_ep=3', 'probe_T1=[1]', 'probe_T2=[]', 'n_unreinforced=0',
                       'checkpoint_every=2', 'dc=0.05')


def _mpi_missing():
    """Why the MPI tests cannot run here, or None."""
    if shutil.which('mpirun') is None:
        return 'mpirun not found (bash mpi/install_nest_mpi.sh installs Open MPI)'
    if not os.access(MPI_PYTHON, os.X_OK):
        return 'no MPI build of NEST at %s (bash mpi/install_nest_mpi.sh)' % MPI_PYTHON
    probe = subprocess.run([MPI_PYTHON, '-c', 'import mpi4py, nest, sys; sys.exit(0 if '
                            "nest.GetKernelStatus('build_info')['have_mpi'] else 1)"],
                           capture_output=True, text=True)
    if probe.returncode:
        return '%s has no NEST with MPI and mpi4py' % MPI_PYTHON
    return None


pytestmark = pytest.mark.skipif(_mpi_missing() is not None, reason=str(_mpi_missing()))


def _mpirun(n):
    root = ['--allow-run-as-root'] if os.geteuid() == 0 else []
    return ['mpirun', '-np', str(n), '--oversubscribe'] + root


def _cmd(log_dir, sets, ranks, threads, extra=()):
    cmd = ([] if ranks == 1 else _mpirun(ranks)) + [MPI_PYTHON, SCRIPT]
    cmd += list(extra) if extra else ['--log-dir', str(log_dir)]
    for item in tuple(sets) + ('nbcpu=%d' % threads,):
        cmd += ['--set', item]
    return cmd


def run(log_dir, sets, ranks, threads, extra=(), timeout=900):
    proc = subprocess.run(_cmd(log_dir, sets, ranks, threads, extra), capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def rate_files(log_dir):
    """{name: bytes} of the files the protocol's rates and decisions live in."""
    names = sorted(n for n in os.listdir(log_dir)
                   if n.endswith('_fr.txt') or n in ('mean_fr.json', 'At.json', 'reward.txt',
                                                     'CS_plus.txt', 'CS_minus.txt'))
    assert names, os.listdir(log_dir)
    return {n: open(os.path.join(log_dir, n), 'rb').read() for n in names}


def meta(log_dir):
    with open(os.path.join(log_dir, 'run.json')) as fh:
        return json.load(fh)


@pytest.mark.parametrize('mode,sets', [
    ('resting_state', COMMON + ('simDuration=1500.0',)),
    ('action_selection', COMMON + ('resting_state=False', 'action_selection=True',
                                   'as_grid=2', 'as_rate_step=8.5')),
    ('plasticity', PLASTICITY)])
def test_two_ranks_equal_two_threads(tmp_path, mode, sets):
    out_mpi = run(tmp_path / 'mpi', sets, ranks=2, threads=1).stdout
    out_threads = run(tmp_path / 'threads', sets, ranks=1, threads=2).stdout
    a, b = rate_files(tmp_path / 'mpi'), rate_files(tmp_path / 'threads')
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], name
    ma, mb = meta(tmp_path / 'mpi'), meta(tmp_path / 'threads')
    assert (ma['mpi_processes'], ma['threads'], ma['virtual_processes']) == (2, 1, 2)
    assert (mb['mpi_processes'], mb['threads'], mb['virtual_processes']) == (1, 2, 2)
    assert ma['n_synapses'] == mb['n_synapses'] and ma['n_nodes'] == mb['n_nodes']
    # the same positions, channels (and read-out sample) on both ranks
    for what, digests in ma['rank_checks'].items():
        assert len(digests) == 2 and digests == mb['rank_checks'][what] * 2, what
    # spike files: merged by rank 0, so the same spikes as with threads
    for name in os.listdir(tmp_path / 'threads'):
        if name.endswith('_spikes.dat'):
            sa = sorted(open(tmp_path / 'mpi' / name).read().splitlines())
            sb = sorted(open(tmp_path / 'threads' / name).read().splitlines())
            assert sa == sb, name
    if mode == 'plasticity':
        reward = (tmp_path / 'mpi' / 'reward.txt').read_text()
        assert ' burst' in reward and ' dip' in reward, reward    # both decisions and eta
        eta = [[line for line in out.splitlines() if line.startswith('eta modulation')]
               for out in (out_mpi, out_threads)]
        assert len(eta[0]) == 1 and eta[0] == eta[1], eta


def _rank_pids(log_dir):
    """PIDs of the python processes (the ranks) running into ``log_dir``."""
    pids = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            argv = open('/proc/%s/cmdline' % pid, 'rb').read().split(b'\0')
        except OSError:
            continue
        if argv and argv[0].endswith(b'python3') and str(log_dir).encode() in argv:
            pids.append(int(pid))
    return pids


def test_checkpoint_of_two_ranks_resumes_under_two_ranks_and_under_threads(tmp_path):
    """SIGTERM to one rank only: every rank stops at the same episode end (the
    ranks agree on the signal), rank 0 writes the checkpoint gathered from both.
    Resuming it under 2 ranks x 1 thread and under 1 rank x 2 threads gives
    the same rows and decisions (docs/cluster.md: a checkpoint resumes under any
    layout of the run's number of virtual processes, which fixes the synapses)."""
    d = tmp_path / 'run'
    proc = subprocess.Popen(_cmd(d, PLASTICITY, 2, 1), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    rows = d / 'GPi_fr.txt'
    while time.time() < deadline and proc.poll() is None:
        if rows.exists() and len(rows.read_text().splitlines()) >= 1:  # one episode done
            break
        time.sleep(0.5)
    pids = _rank_pids(d)
    assert len(pids) == 2, pids
    os.kill(max(pids), signal.SIGTERM)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode != 0, out[-1000:]
    m = meta(d)
    assert m['status'] == 'interrupted', m['status']
    n = m['next_episode']
    assert 1 <= n < 7 and len(rows.read_text().splitlines()) == n
    copies = {}
    for name, ranks, threads in (('mpi', 2, 1), ('threads', 1, 2)):
        copies[name] = tmp_path / name
        shutil.copytree(d, copies[name])
        run(None, (), ranks, threads, extra=['--resume', str(copies[name])])
        assert meta(copies[name])['status'] == 'finished'
    a, b = rate_files(copies['mpi']), rate_files(copies['threads'])
    for name in a:
        assert a[name] == b[name], name
    assert len((copies['mpi'] / 'GPi_fr.txt').read_text().splitlines()) == 7   # 7 episodes


def test_bad_input_stops_every_rank_with_one_message(tmp_path):
    """Rank 0 checks the parameters and the folder; every rank stops with its
    exit code (no rank left waiting in NEST), the message printed once."""
    d = tmp_path / 'occupied'
    d.mkdir()
    (d / 'run.json').write_text('{}')
    for sets, text in ((('scale=0',), "'scale'"), ((), 'holds')):
        proc = subprocess.run(_cmd(d, sets, 2, 1), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert proc.stderr.count('error: ') == 1 and text in proc.stderr, proc.stderr
