"""Never lose a run: folder checks, the lock, resume refusals, interruption, do_tests.txt.

Runs at scale 0.02 with short protocols; the refusals happen before NEST is
imported, so most of these tests take about a second.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import checkpoint
import fetch_params as fp
import run_control as rc
import run_folder as rf
from conftest import REPO, load_json, run_model

SCRIPT = os.path.join(REPO, 'stim_all_model.py')
PL_SHORT = ('scale=0.02', 'nbcpu=2', 'resting_state=False', 'plasticity=True', 'con_ep=2',
            'gen_ep=1', 'dis_ep=3', 'probe_T1=[1]', 'probe_T2=[]', 'checkpoint_every=4')


def _files(d):
    """{name: bytes} of a folder's files, run.lock aside (each run writes its PID there)."""
    return {n: (d / n).read_bytes() for n in os.listdir(d)
            if (d / n).is_file() and n != rc.LOCK_NAME}


def _resume(d, *extra, timeout=600):
    return subprocess.run([sys.executable, SCRIPT, '--resume', str(d)] + list(extra),
                          capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------
# The folder
# --------------------------------------------------------------------------
def test_folder_holding_a_run_is_refused(own_runs, tmp_path):
    d = tmp_path / 'log'
    shutil.copytree(own_runs['plasticity'], d)
    before = _files(d)
    proc = run_model(d, 'scale=0.02', 'nbcpu=1')
    assert proc.returncode == 2
    assert 'holds a run (run.json: plasticity run, msd 814, status finished, checkpoint.npz)' \
        in proc.stderr and '--resume' in proc.stderr and '--overwrite' in proc.stderr
    assert _files(d) == before and 'built the network' not in proc.stdout


def test_published_folder_without_run_json_is_refused(tmp_path):
    """The authors' folders have only rate files: they count as a run too."""
    from conftest import reference_dir
    d = tmp_path / 'log1'
    shutil.copytree(reference_dir('log1'), d)
    before = _files(d)
    proc = run_model(d, 'scale=0.02')
    assert proc.returncode == 2 and 'output files without run.json' in proc.stderr
    assert _files(d) == before


def test_strong_weaker_than_weak_is_announced(tmp_path):
    """Istrong < Iweak swaps the channels' roles: allowed (tests force dips that
    way) but never silent."""
    d = tmp_path / 'log'
    d.mkdir()
    (d / 'run.json').write_text('{}')           # stop at the occupied folder, before NEST
    proc = run_model(d, 'resting_state=False', 'plasticity=True', 'Istrong=0', 'Iweak=12')
    assert 'note: Istrong (0) < Iweak (12): channel 1 gets the WEAKER stimulus' in proc.stdout
    assert proc.returncode == 2


def test_scaled_input_layers_are_announced(tmp_path):
    """A reduced scale says at start what its inputs are (layers, draw, the two
    input statistics against the full network's); NEST's draw from scaled
    layers also that its MSN rates are about twice the paper's; a scale below
    the smallest compared one that its numbers are not the paper's. Nothing
    is said with full-size inputs or at scale 1."""
    d = tmp_path / 'log'
    d.mkdir()
    (d / 'run.json').write_text('{}')           # stop at the occupied folder, before NEST
    proc = run_model(d, 'scale=0.1')
    assert ("note: scale 0.1 with the input layers at scale 0.2 (input_draw 'matched': "
            "full_scale_repeats): each MSN's input variance factor is 1.04 and its "
            "stimulated-count variance 0.82 of the full network's (there 1.04 and 1)"
            in proc.stdout)
    assert 'twice' not in proc.stdout and 'smallest scale' not in proc.stdout
    proc = run_model(d, 'scale=0.1', "input_draw='nest'")
    assert ("note: scale 0.1 with the input layers at scale 0.1 (input_draw 'nest'): each "
            "MSN's input variance factor is 1.44 and its stimulated-count variance 1.00"
            in proc.stdout)
    assert 'twice the published rate' in proc.stdout
    for extra in (('scale=0.1', 'full_size_inputs=True'), ('scale=1.0',),
                  ('scale=0.1', 'input_layer_scale=1.0')):
        proc = run_model(d, *extra)
        assert proc.returncode == 2 and 'input layers at scale' not in proc.stdout
    proc = run_model(d, 'scale=0.1', 'input_layer_scale=0.3', "input_draw='balanced_repeats'")
    assert ("note: scale 0.1 with the input layers at scale 0.3 (input_draw "
            "'balanced_repeats'): each MSN's input variance factor is 1.10 and its "
            "stimulated-count variance 0.95") in proc.stdout
    assert 'twice' not in proc.stdout
    proc = run_model(d, 'scale=0.05', 'full_size_inputs=True')
    assert ('note: scale 0.05 is below 0.1, the smallest scale compared with the paper: its '
            'MSN rates and its learning are not the published ones') in proc.stdout


def test_log_folder_that_is_a_file(tmp_path):
    (tmp_path / 'afile').write_text('x')
    proc = run_model(tmp_path / 'afile')
    assert proc.returncode == 2 and 'is a file, not a folder' in proc.stderr
    proc = run_model(tmp_path / 'afile' / 'sub')
    assert proc.returncode == 2 and 'cannot be created' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_live_run_lock_names_the_pid_and_dies_with_the_process(tmp_path):
    d = tmp_path / 'log'
    d.mkdir()
    holder = subprocess.Popen([sys.executable, '-c', (
        'import sys, time; sys.path.insert(0, %r); import run_control as rc; '
        'lock = rc.RunLock(%r).acquire(); print("locked", flush=True); time.sleep(120)')
        % (REPO, str(d))], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == 'locked'
    proc = run_model(d, 'scale=0.02')
    assert proc.returncode == 2
    assert 'in use by a live run (PID %d on ' % holder.pid in proc.stderr
    holder.send_signal(signal.SIGKILL)          # the kernel drops the flock with the process
    holder.wait()
    assert (d / 'run.lock').exists()            # a stale file, but no longer a lock
    lock = rc.RunLock(str(d)).acquire()
    assert (d / 'run.lock').read_text().startswith('%d on ' % os.getpid())
    lock.release()
    rc.RunLock(str(d)).acquire().release()      # released: free again


def test_too_many_stimulated_parrots_refused_before_writing(tmp_path):
    d = tmp_path / 'log'
    proc = run_model(d, *(PL_SHORT + ('pl_n_stim=100000',)))
    assert proc.returncode == 2, proc.stderr[-1500:]
    assert "key 'pl_n_stim' has bad value 100000" in proc.stderr and 'Traceback' not in \
        proc.stderr
    assert os.listdir(d) == [rc.LOCK_NAME]          # nothing but the (released) lock


# --------------------------------------------------------------------------
# Resume refusals (before anything is written)
# --------------------------------------------------------------------------
@pytest.fixture()
def stopped_run(own_runs, tmp_path):
    """A copy of the fixture's plasticity run, marked as still running."""
    d = tmp_path / 'pl'
    shutil.copytree(own_runs['plasticity'], d)
    meta = load_json(d / 'run.json')
    meta['status'] = 'running'
    (d / 'run.json').write_text(json.dumps(meta))
    return d


def test_resume_of_a_finished_run_does_nothing(own_runs, tmp_path):
    d = tmp_path / 'pl'
    shutil.copytree(own_runs['plasticity'], d)
    before = _files(d)
    proc = _resume(d)
    assert proc.returncode == 2 and 'the run is finished (9 of 9 episodes); nothing to do' \
        in proc.stderr
    assert _files(d) == before


def test_resume_refuses_a_checkpoint_of_other_parameters(stopped_run):
    meta = load_json(stopped_run / 'run.json')
    meta['simParams']['msd'] = meta['msd'] = 815          # run.json edited after the run
    (stopped_run / 'run.json').write_text(json.dumps(meta))
    before = _files(stopped_run)
    proc = _resume(stopped_run)
    assert proc.returncode == 2 and 'written with other parameters' in proc.stderr
    assert _files(stopped_run) == before


def test_resume_refuses_missing_rows(stopped_run):
    rows = (stopped_run / 'GPi_fr.txt').read_text().splitlines()
    (stopped_run / 'GPi_fr.txt').write_text('\n'.join(rows[:5]) + '\n')
    np.savez(stopped_run / 'checkpoint.npz', **dict(np.load(stopped_run / 'checkpoint.npz'),
                                                    next_episode=8))
    before = _files(stopped_run)
    proc = _resume(stopped_run)
    assert proc.returncode == 2 and 'GPi_fr.txt has 5 rows, fewer than the 8' in proc.stderr
    assert _files(stopped_run) == before


@pytest.mark.parametrize('damage, message', [
    ('truncated checkpoint', 'checkpoint.npz cannot be read'),
    ('foreign checkpoint', 'checkpoint.npz lacks next_episode, eta_done'),
    ('truncated run.json', 'run.json cannot be read'),
    ('foreign run.json', "run.json lacks the key 'mode'"),
])
def test_resume_refuses_damaged_files(stopped_run, damage, message):
    ck, meta = stopped_run / 'checkpoint.npz', stopped_run / 'run.json'
    if damage == 'truncated checkpoint':
        ck.write_bytes(ck.read_bytes()[:200])
    elif damage == 'foreign checkpoint':
        np.savez(ck, weights=np.zeros(3))
    elif damage == 'truncated run.json':
        meta.write_text(meta.read_text()[:100])
    else:
        meta.write_text('{"a": 1}')
    before = _files(stopped_run)
    proc = _resume(stopped_run)
    assert proc.returncode == 2 and message in proc.stderr and 'Traceback' not in proc.stderr, \
        proc.stderr
    assert _files(stopped_run) == before


def test_rebuild_threads_keeps_the_virtual_processes():
    """A run's network depends on its virtual processes (ranks x threads):
    4 of them rebuild as 2 ranks x 2 threads or 1 x 4, never on 3 ranks or as
    1 x 2; older run.json files give threads x processes, or nbcpu."""
    meta = {'virtual_processes': 4, 'simParams': {'nbcpu': 4}}
    assert checkpoint.rebuild_threads(meta, 2) == 2 and checkpoint.rebuild_threads(meta, 1, 4) == 4
    with pytest.raises(fp.ParamError, match='which 3 ranks cannot share'):
        checkpoint.rebuild_threads(meta, 3)
    with pytest.raises(fp.ParamError, match=r'--set nbcpu=2 would rebuild the run on 2 virtual '
                                            r'processes, but it was made on 4.*allowed: nbcpu=4'):
        checkpoint.rebuild_threads(meta, 1, 2)
    assert checkpoint.rebuild_threads({'threads': 3, 'mpi_processes': 2, 'simParams': {}}, 1) == 6
    assert checkpoint.rebuild_threads({'simParams': {'nbcpu': 5}}, 1) == 5


def test_resume_on_other_virtual_processes_is_refused_before_the_build(stopped_run):
    """The fixture's run was made on 2 threads; --set nbcpu=1 would rebuild
    another network (found only after the build, as 'other synapses'), so it
    is refused at once, naming the run's number, and nothing changes."""
    np.savez(stopped_run / 'checkpoint.npz', **dict(np.load(stopped_run / 'checkpoint.npz'),
                                                    next_episode=4))
    before = _files(stopped_run)
    proc = _resume(stopped_run, '--set', 'nbcpu=1', timeout=60)
    assert proc.returncode == 2 and 'it was made on 2' in proc.stderr, proc.stderr
    assert 'built the network' not in proc.stdout
    assert _files(stopped_run) == before


def test_resume_ignores_broken_current_parameter_files(stopped_run, tmp_path):
    """Everything comes from run.json: a copy of the package with a broken
    simParams.py still reads (and here refuses, as finished) the run."""
    pkg = tmp_path / 'pkg'
    shutil.copytree(REPO, pkg, ignore=shutil.ignore_patterns('.git', '__pycache__', 'log'))
    (pkg / 'simParams.py').write_text('simParams = {broken\n')
    meta = load_json(stopped_run / 'run.json')
    meta['status'] = 'finished'
    (stopped_run / 'run.json').write_text(json.dumps(meta))
    proc = subprocess.run([sys.executable, str(pkg / 'stim_all_model.py'), '--resume',
                           str(stopped_run)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and 'nothing to do' in proc.stderr, proc.stderr


# --------------------------------------------------------------------------
# Interruption and resume: checkpoint, spike files, fresh noise
# --------------------------------------------------------------------------
def _split_at(path, t_cut):
    """Index of the first spike row at t >= t_cut; every row before is earlier, every row
    after later (a continuous time axis, nothing replayed)."""
    t = np.loadtxt(path, ndmin=2)[:, 1]
    i = int(np.argmax(t >= t_cut))
    return i, bool((t[:i] < t_cut).all() and (t[i:] >= t_cut).all())


def test_sigterm_leaves_a_checkpoint_that_resumes_to_a_whole_run(tmp_path):
    d = tmp_path / 'pl'
    out = tmp_path / 'out.txt'
    cmd = [sys.executable, SCRIPT, '--log-dir', str(d)]
    for p in PL_SHORT:
        cmd += ['--set', p]
    with open(out, 'w') as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.time() + 600
        while 'ep   1/' not in out.read_text() and time.time() < deadline:
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=600)
    text = out.read_text()
    assert code == 143, text[-2000:]
    assert 'resume with: python3 stim_all_model.py --resume' in text
    meta = load_json(d / 'run.json')
    n = meta['next_episode']
    assert meta['status'] == 'interrupted' and meta['signal'] == 'SIGTERM' and 2 <= n < 6
    with np.load(d / 'checkpoint.npz') as z:
        assert int(z['next_episode']) == n
    assert len(np.loadtxt(d / 'GPi_fr.txt', ndmin=2)) == n
    res = _resume(d)
    assert res.returncode == 0, res.stderr[-2000:]
    meta = load_json(d / 'run.json')
    assert meta['status'] == 'finished' and meta['resumes'][0]['episode'] == n
    assert meta['resumes'][0]['nest_seed'] == checkpoint.resume_seed(814, n)
    # the commit of each segment, taken when it started (the same code here)
    assert meta['git_commit'] == meta['resumes'][0]['git_commit'] == rf.git_commit()
    for name in rf.files_of('plasticity', 'per_episode'):
        rows = [ln for ln in open(d / name) if not ln.startswith('#')]
        assert len(rows) == 6, name
    ep_len = 2800.0
    i, ok = _split_at(d / 'STN_spikes.dat', 1000.0 + ep_len * n)
    assert ok and i > 0


def test_do_tests_read_problems_give_one_warning_and_F(tmp_path):
    from modes import DoTests
    cases = {
        'utf16': lambda p: p.write_bytes('T1\n'.encode('utf-16')),
        'folder': lambda p: p.mkdir(),
        'huge line': lambda p: p.write_text('x' * 200_000 + '\n'),
    }
    for label, make in cases.items():
        path = tmp_path / label / 'do_tests.txt'
        path.parent.mkdir()
        make(path)
        lines = []
        reader = DoTests(str(path), lines.append)
        assert [reader.read() for _ in range(3)] == ['F'] * 3, label
        assert len(lines) == 1 and 'treating it as F' in lines[0], (label, lines)
        assert len(lines[0]) < 300, label                 # the value is shortened
