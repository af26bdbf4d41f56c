"""Hostile cases: concurrent sweeps, signals, odd files, full disks, overflowing
parameters, huge values. Each test stages one case with real processes (scale
0.02, one thread, a few episodes) and checks what the user is promised: no
finished result is lost, every refusal names the file or option, the key,
the value (at most 200 characters) and what is allowed, and no traceback.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import connectivity
import errors
import fetch_params as fp
import run_control as rc
import run_folder as rf
import sweep
from conftest import REPO, load_json, run_model

SCRIPT = os.path.join(REPO, 'stim_all_model.py')
SWEEP = os.path.join(REPO, 'sweep.py')

# A resting sweep of two seeds whose runs take a few seconds each.
RESTING_SWEEP = """\
name = "hostile"
[fixed]
scale = 0.02
nbcpu = 1
simDuration = 1100.0
save_spikes = false
[seeds]
list = [814, 815]
"""
# A plasticity sweep of one seed: 3 episodes, a checkpoint after each.
PLASTIC_SWEEP = """\
name = "hostile_pl"
[fixed]
resting_state = false
plasticity = true
scale = 0.02
nbcpu = 1
con_ep = 1
gen_ep = 1
dis_ep = 1
probe_T1 = []
probe_T2 = []
n_unreinforced = 0
checkpoint_every = 1
save_spikes = false
[seeds]
list = [814]
"""


def _sweep(*args, timeout=600):
    return subprocess.run([sys.executable, SWEEP] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)


def _popen(cmd, out):
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(predicate, what, timeout=300):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.1)


def _refused(proc, *parts):
    """Exit 2, one 'error:' line holding every part, no traceback."""
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    line = proc.stderr.strip().splitlines()[-1]
    for part in parts:
        assert part in line, (part, line)
    return line


def _write_toml(tmp_path, text, name='s.toml'):
    path = tmp_path / name
    path.write_text(text)
    return path


def _files(folder):
    return {n: (folder / n).read_bytes() for n in sorted(os.listdir(folder))
            if (folder / n).is_file() and n != rc.LOCK_NAME}


# --------------------------------------------------------------------------
# 1. Two sweeps on one root never delete a finished run
# --------------------------------------------------------------------------
def test_two_sweeps_on_one_root_never_redo_a_finished_run(tmp_path):
    """Sweep A reads run 1 as incomplete, is frozen (SIGSTOP) while its run 0
    goes on; sweep B skips run 0 (running) and finishes run 1; A, resumed,
    finds run 1 finished when it reaches it and leaves it alone."""
    desc = _write_toml(tmp_path, RESTING_SWEEP)
    root = tmp_path / 'root'
    runs = sweep.expand(str(desc), root=str(root))
    run1 = runs[1]
    os.makedirs(run1.folder)                      # an earlier attempt that never finished
    with open(os.path.join(run1.folder, 'run.json'), 'w') as fh:
        json.dump({'msd': 815, 'mode': 'resting_state', 'status': 'running',
                   'simParams': {k: v for k, v in run1.sim.items() if k != 'mode'},
                   'bgParams': run1.bg}, fh)
    assert sweep.state(run1) == 'incomplete'
    out_a = tmp_path / 'a.txt'
    with open(out_a, 'w') as fh:
        a = _popen([sys.executable, SWEEP, 'run', str(desc), '--root', str(root)], fh)
    try:
        # the run's own lock, not the moment sweep A itself holds it to read the state
        _wait_for(lambda: rc.lock_holder(runs[0].folder).split(' ')[0] not in ('', str(a.pid)),
                  "sweep A's run 0 to start")
        os.kill(a.pid, signal.SIGSTOP)
        status = _sweep('status', desc, '--root', root)
        row0 = [ln for ln in status.stdout.splitlines() if ln.startswith('0 ')][0]
        assert ' running ' in row0 and 'held by PID' in row0, status.stdout
        b = _sweep('run', desc, '--root', root)
        assert b.returncode == 0, b.stdout + b.stderr
        assert 'running elsewhere' in b.stdout and 'running: run 0' in b.stdout, b.stdout
        assert load_json(os.path.join(run1.folder, 'run.json'))['status'] == 'finished'
        after_b = _files(root / os.path.relpath(run1.folder, root))
        _wait_for(lambda: not rc.lock_holder(runs[0].folder), "A's run 0 to end")
    finally:
        os.kill(a.pid, signal.SIGCONT)
    assert a.wait(timeout=300) == 0, out_a.read_text()
    text = out_a.read_text()
    assert 'run 1 is finished now; skipped' in text, text
    assert _files(root / os.path.relpath(run1.folder, root)) == after_b    # untouched
    assert load_json(os.path.join(runs[0].folder, 'run.json'))['status'] == 'finished'


def test_overwrite_unfinished_keeps_a_finished_run(own_runs, tmp_path):
    """The option a sweep restarts runs with refuses a finished run, whatever
    the sweep believed when it started."""
    d = tmp_path / 'log'
    shutil.copytree(own_runs['resting_state'], d)
    before = _files(d)
    proc = run_model(d, 'scale=0.02', 'nbcpu=1', extra=['--overwrite-unfinished'])
    _refused(proc, str(d), 'holds a finished run', '--overwrite')
    assert _files(d) == before


# --------------------------------------------------------------------------
# 2. Every signal the sweep receives reaches every live run
# --------------------------------------------------------------------------
def test_sigterm_to_a_sweep_reaches_its_last_run(tmp_path):
    desc = _write_toml(tmp_path, PLASTIC_SWEEP)
    root = tmp_path / 'root'
    run = sweep.expand(str(desc), root=str(root))[0]
    out = tmp_path / 'sweep.txt'
    with open(out, 'w') as fh:
        proc = _popen([sys.executable, SWEEP, 'run', str(desc), '--root', str(root)], fh)
    logs = root / 'sweep_logs'
    _wait_for(lambda: logs.is_dir() and any('ep   0/' in (logs / f).read_text()
                                            for f in os.listdir(logs)), 'episode 0')
    proc.send_signal(signal.SIGTERM)            # no run is pending: only the live one
    code = proc.wait(timeout=300)
    text = out.read_text()
    assert code == 143, text
    assert 'SIGTERM: passed on to the 1 running run(s)' in text and 'interrupted run 0' in text
    meta = load_json(os.path.join(run.folder, 'run.json'))
    assert meta['status'] == 'interrupted' and meta['signal'] == 'SIGTERM'
    with np.load(os.path.join(run.folder, 'checkpoint.npz')) as z:
        assert int(z['next_episode']) == meta['next_episode'] < 3
    assert sweep.state(run) == 'resumable'


# --------------------------------------------------------------------------
# 3. Resting and action-selection runs stop at a signal
# --------------------------------------------------------------------------
@pytest.mark.parametrize('mode, sig, code', [
    ('resting_state', signal.SIGINT, 130),
    ('resting_state', signal.SIGTERM, 143),
    ('action_selection', signal.SIGTERM, 143),
])
def test_signal_stops_a_task_or_resting_run(tmp_path, mode, sig, code):
    d = tmp_path / 'log'
    settings = {'resting_state': ['simDuration=1000000.0'],
                'action_selection': ['resting_state=False', 'action_selection=True',
                                     'as_grid=30']}[mode]
    cmd = [sys.executable, SCRIPT, '--log-dir', str(d)]
    for item in ['scale=0.02', 'nbcpu=1', 'save_spikes=False'] + settings:
        cmd += ['--set', item]
    out = tmp_path / 'out.txt'
    with open(out, 'w') as fh:
        proc = _popen(cmd, fh)
        _wait_for(lambda: (d / 'run.json').exists(), 'the run to start')
        time.sleep(1.0)
        t0 = time.time()
        proc.send_signal(sig)
        assert proc.wait(timeout=120) == code, out.read_text()[-3000:]
    assert time.time() - t0 < 60                   # at the next chunk, not the run's end
    text = out.read_text()
    assert 'interrupted by %s' % signal.Signals(sig).name in text and 'Traceback' not in text
    meta = load_json(d / 'run.json')
    assert meta['status'] == 'interrupted' and meta['signal'] == signal.Signals(sig).name
    if mode == 'resting_state':
        assert 0 < meta['model_ms'] < 1e6 and not (d / 'mean_fr.json').exists()
    else:
        rows = np.loadtxt(d / 'GPi_fr.txt', ndmin=2)
        assert len(rows) == meta['next_episode'] < 900


def test_nohup_run_keeps_ignoring_sighup():
    """A SIGHUP ignored before the run (nohup) stays ignored; otherwise it stops
    the run like SIGTERM (exit 129)."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        flag = rc.StopFlag().install()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        flag.uninstall()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        flag = rc.StopFlag().install()
        os.kill(os.getpid(), signal.SIGHUP)
        with pytest.raises(errors.Interrupted) as err:
            flag.check(3)
        flag.uninstall()
        assert err.value.exit_code == 129 and err.value.next_episode == 3
    finally:
        signal.signal(signal.SIGHUP, previous)


# --------------------------------------------------------------------------
# 4. do_tests.txt that is not a regular file
# --------------------------------------------------------------------------
def test_do_tests_reads_only_regular_files_without_blocking(tmp_path):
    from modes import DoTests
    cases = {'dev zero': lambda p: os.symlink('/dev/zero', p),
             'fifo': lambda p: os.mkfifo(p)}
    for label, make in cases.items():
        path = tmp_path / label.replace(' ', '_')
        make(path)
        lines, result = [], []
        reader = DoTests(str(path), lines.append)
        worker = threading.Thread(target=lambda: result.append(
            [reader.read() for _ in range(2)]), daemon=True)
        worker.start()
        worker.join(timeout=10)
        assert result == [['F', 'F']], '%s: read blocked or failed' % label
        assert len(lines) == 1 and 'is not a regular file' in lines[0], (label, lines)
    lines = []
    assert DoTests(str(tmp_path / 'never_made.txt'), lines.append).read() == 'F'
    assert lines == []                               # F is the default: nothing to say
    big = tmp_path / 'big.txt'
    with open(big, 'w') as fh:
        fh.write('x' * 10_000_000 + '\nT2\n')
    assert DoTests(str(big), lines.append).read() == 'T2'


# --------------------------------------------------------------------------
# 5. A full disk
# --------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A real 11-MB file system (tmpfs): room for one checkpoint of the scale-0.02
    network (7.0 MB) but not for the temporary copy of a second one."""
    mnt = tmp_path / 'disk'
    mnt.mkdir()
    proc = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=11m', 'tmpfs', str(mnt)],
                          capture_output=True, text=True)
    if proc.returncode:
        pytest.skip('cannot mount a small tmpfs here (needs root): %s' % proc.stderr.strip())
    yield mnt
    subprocess.run(['umount', '-l', str(mnt)], capture_output=True)


def test_full_disk_fails_cleanly_and_resumes_when_space_is_back(small_disk):
    d = small_disk / 'log'
    settings = ('scale=0.02', 'nbcpu=1', 'resting_state=False', 'plasticity=True', 'con_ep=2',
                'gen_ep=1', 'dis_ep=1', 'probe_T1=[]', 'probe_T2=[]', 'n_unreinforced=0',
                'checkpoint_every=1', 'save_spikes=False')
    proc = run_model(d, *settings)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith('error: cannot write %s' % d) and 'No space left on device' in line
    assert 'MB free on that file system' in line
    meta = load_json(d / 'run.json')
    assert meta['status'] == 'failed' and 'No space left' in meta['error']
    assert not [n for n in os.listdir(d) if '.tmp' in n]
    with np.load(d / 'checkpoint.npz') as z:
        done = int(z['next_episode'])
    assert 1 <= done < 4
    subprocess.run(['mount', '-o', 'remount,size=64m', str(small_disk)], check=True)
    res = subprocess.run([sys.executable, SCRIPT, '--resume', str(d)], capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    meta = load_json(d / 'run.json')
    assert meta['status'] == 'finished' and meta['resumes'][0]['episode'] == done
    assert len(np.loadtxt(d / 'GPi_fr.txt', ndmin=2)) == 4


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / 'x.json'
    target.write_text('old')
    with pytest.raises(RuntimeError):
        with rf.atomic_write(str(target)) as fh:
            fh.write('half')
            raise RuntimeError('interrupted while writing')
    assert target.read_text() == 'old' and os.listdir(tmp_path) == ['x.json']
    err = rf.WriteError(str(target), OSError(28, 'No space left on device'))
    assert str(err).startswith('cannot write %s: No space left on device (' % target)


# --------------------------------------------------------------------------
# 6. Overflowing parameters and weights that stop being numbers
# --------------------------------------------------------------------------
def _windows_with(entry):
    """The shipped stdp_windows with normal/burst/d1 A_plus replaced, as a --set value."""
    windows = fp.read_sim()['stdp_windows']
    windows['normal']['burst']['d1'][0] = entry
    return 'stdp_windows=%r' % (windows,)


@pytest.mark.quick
@pytest.mark.parametrize('settings, where', [
    ((_windows_with('1e308/1e-10'),), "--set: key 'stdp_windows' has bad value"),
    ((_windows_with('1e300/1e-7'), 'dc=1e10'), 'stdp_windows[normal][burst][d1] x dc = '
                                                 '(inf, '),
    (('as_rate_step=1e308',), 'largest action-selection stimulus (CSN, PTN Hz) = (inf, inf)'),
    (('pl_rate_step=1e308',), 'largest plasticity stimulus (CSN, PTN Hz) = (inf, inf)'),
])
def test_overflowing_parameters_are_refused_before_the_build(tmp_path, settings, where):
    proc = run_model(tmp_path / 'log', 'scale=0.02', *settings)
    line = _refused(proc, where)
    assert 'built the network' not in proc.stdout and len(line) < 700
    assert not (tmp_path / 'log').exists()


def test_a_weight_that_is_not_finite_stops_the_run_naming_it():
    from modes import check_weights
    good = np.full(24, 0.5)
    check_weights(good, 7, 5)                      # nothing to say
    bad = good.copy()
    bad[4 * 2 + 3] = np.nan                        # channel 2, MSN_d2 NMDA
    with pytest.raises(errors.RunFailed) as err:
        check_weights(bad, 7, 5)
    text = str(err.value)
    assert text.startswith('episode 7: the mean weight of CSN/PTN -> MSN_d2 NMDA, channel 2, '
                           'is nan') and 'resumes at episode 5' in text
    bad[0] = np.inf
    with pytest.raises(errors.RunFailed, match='MSN_d1 AMPA, channel 0, is inf .2 values'):
        check_weights(bad, 0, None)


# --------------------------------------------------------------------------
# 8. A parameter file that exits or raises
# --------------------------------------------------------------------------
@pytest.mark.quick
@pytest.mark.parametrize('statement, named', [
    ('import sys\nsys.exit(0)', 'sys.exit(0)'),
    ('raise KeyboardInterrupt', 'KeyboardInterrupt'),
    ('raise SystemExit("bye")', "sys.exit('bye')"),
    ('x = 1 / 0', 'ZeroDivisionError: division by zero'),
])
def test_parameter_file_that_exits_or_raises_is_refused(tmp_path, statement, named):
    source = open(os.path.join(REPO, 'simParams.py')).read()
    path = tmp_path / 'simParams.py'
    path.write_text('# a parameter file\n\n' + statement + '\n' + source)
    proc = subprocess.run([sys.executable, SCRIPT, '--sim-params', str(path), '--log-dir',
                           str(tmp_path / 'log')], capture_output=True, text=True, timeout=120)
    line = _refused(proc, str(path), 'line %d raised %s' % (statement.count('\n') + 3, named))
    assert 'may only define data' in line and not (tmp_path / 'log').exists()


# --------------------------------------------------------------------------
# 9. Sweep files are never silently rewritten
# --------------------------------------------------------------------------
@pytest.mark.quick
@pytest.mark.parametrize('change, parts', [
    (('list = [814, 815]', 'bsae = 900'), ['[seeds]: unknown key', "'bsae'",
                                           "did you mean 'base'?"]),
    (('[fixed]\n', '[fixed]\nmsd = 1234\n'), ['[fixed]: msd = 1234 cannot be set here',
                                              '[seeds]']),
    (('[seeds]', '[vary]\nmsd = [1, 2]\n[seeds]'), ['[vary]: msd = [1, 2] cannot be set here']),
    (('[seeds]', '[[conditions]]\nnbcpu = 2\n[seeds]'), ['[conditions]: nbcpu cannot vary']),
    (('[seeds]', '[fixed_bg]\nscale = 0.1\n[seeds]'), ["[fixed_bg]: 'scale' is a key of "
                                                       'simParams.py', '[fixed]']),
    (('name = "hostile"', 'name = 3'), ['name = 3; allowed: a string']),
    (('[seeds]', '[fixedd]\n[seeds]'), ["unknown entry 'fixedd'", "did you mean 'fixed'?"]),
])
def test_sweep_file_mistakes_are_refused(tmp_path, change, parts):
    desc = _write_toml(tmp_path, RESTING_SWEEP.replace(*change))
    proc = _sweep('status', desc, '--root', tmp_path / 'root')
    _refused(proc, str(desc), *parts)
    assert not (tmp_path / 'root').exists()


def test_sweep_threads_are_the_files_and_never_changed_by_jobs(tmp_path):
    desc = _write_toml(tmp_path, RESTING_SWEEP)
    runs = sweep.expand(str(desc), root=str(tmp_path / 'r'), default_threads=2)
    assert [r.sim['nbcpu'] for r in runs] == [1, 1]       # the file's, not cores / jobs
    _refused(_sweep('status', desc, '--nbcpu', '2'), '[fixed]: nbcpu = 1',
             'command line asks for 2', 'allowed: --nbcpu 1')
    _refused(_sweep('status', desc, '--set', 'msd=5'), '--set msd', '--seeds')
    two = _write_toml(tmp_path, RESTING_SWEEP.replace('nbcpu = 1', 'nbcpu = %d'
                                                      % sweep.cores()), 'two.toml')
    _refused(_sweep('run', two, '--jobs', '2', '--root', tmp_path / 'r2'), '--jobs 2',
             'allowed: --jobs 1')
    assert not (tmp_path / 'r2').exists()


# --------------------------------------------------------------------------
# 10. A damaged checkpoint is reported, the other runs go on
# --------------------------------------------------------------------------
def test_truncated_checkpoint_is_reported_and_others_proceed(tmp_path):
    text = PLASTIC_SWEEP.replace('list = [814]', 'list = [814, 815]')
    desc = _write_toml(tmp_path, text.replace('dis_ep = 1', 'dis_ep = 0'))
    root = tmp_path / 'root'
    runs = sweep.expand(str(desc), root=str(root))
    os.makedirs(runs[0].folder)
    with open(os.path.join(runs[0].folder, 'run.json'), 'w') as fh:
        json.dump({'msd': 814, 'mode': 'plasticity', 'status': 'interrupted',
                   'simParams': {k: v for k, v in runs[0].sim.items() if k != 'mode'},
                   'bgParams': runs[0].bg}, fh)
    with open(os.path.join(runs[0].folder, 'checkpoint.npz'), 'wb') as fh:
        fh.write(b'PK\x03\x04 truncated')
    status = _sweep('status', desc, '--root', root)
    assert status.returncode == sweep.ATTENTION and 'Traceback' not in status.stderr
    assert 'damaged' in status.stdout and 'checkpoint.npz cannot be read (BadZipFile' \
        in status.stdout, status.stdout
    one = _sweep('one', desc, '--index', 0, '--root', root)
    assert one.returncode == sweep.ATTENTION and 'is damaged (checkpoint.npz cannot be read' \
        in one.stderr
    proc = _sweep('run', desc, '--root', root)
    assert proc.returncode == sweep.ATTENTION, proc.stdout + proc.stderr
    assert 'needs attention: run 0 damaged' in proc.stdout and 'Traceback' not in proc.stderr
    assert load_json(os.path.join(runs[1].folder, 'run.json'))['status'] == 'finished'
    with open(os.path.join(runs[0].folder, 'checkpoint.npz'), 'rb') as fh:
        assert fh.read() == b'PK\x03\x04 truncated'            # left alone


# --------------------------------------------------------------------------
# 12. A network that cannot fit the machine
# --------------------------------------------------------------------------
@pytest.mark.quick
def test_network_too_large_for_memory_is_refused_at_once(tmp_path):
    t0 = time.time()
    proc = subprocess.run([sys.executable, SCRIPT, '--log-dir', str(tmp_path / 'log'),
                           '--bg-set', 'nbMSN=2000000000'], capture_output=True, text=True,
                          timeout=120)
    line = _refused(proc, 'needs about', 'GB, but this machine has', '--skip-memory-check')
    assert time.time() - t0 < 30 and 'built the network' not in proc.stdout
    assert not (tmp_path / 'log').exists()
    del line


def test_network_estimate_matches_built_networks(own_runs):
    """The estimate behind the memory check, against the networks the short runs
    built (tolerance 5 %: the remainders are random) and a full-scale build
    (141 109 nodes and 14.2 M synapses at kappa 2 and 4, lambda 0.1 and 0.2)."""
    for mode, folder in own_runs.items():
        meta = load_json(os.path.join(folder, 'run.json'))
        sim = dict(meta['simParams'], mode=mode)
        nodes, synapses = connectivity.network_estimate(sim, meta['bgParams'])
        assert abs(synapses / meta['n_synapses'] - 1) < 0.05, (mode, synapses)
        assert abs(nodes / meta['n_nodes'] - 1) < 0.05, (mode, nodes)
    full = connectivity.network_estimate(fp.read_sim(), fp.read_bg())
    assert abs(full[0] / 141_109 - 1) < 0.01 and abs(full[1] / 14.2e6 - 1) < 0.05
    sim, bg = fp.read_sim(), fp.read_bg()
    with pytest.raises(fp.ParamError, match='needs about .* GB, but this machine has 1.0 GB'):
        connectivity.check_memory(sim, bg, available=1e9)
    connectivity.check_memory(sim, bg, available=64e9)


# --------------------------------------------------------------------------
# 13. Huge values are never echoed whole; each attempt has its own log
# --------------------------------------------------------------------------
def test_a_huge_value_is_shortened_in_every_message(tmp_path):
    huge = 'x' * 100_000
    for args in (['--set', 'msd=%s' % huge], ['--set', huge], ['--bg-set', '%s=1' % huge]):
        proc = subprocess.run([sys.executable, SCRIPT, '--log-dir', str(tmp_path / 'log')]
                              + args, capture_output=True, text=True, timeout=120)
        line = _refused(proc, '(100', 'characters)')
        assert len(proc.stderr) < 800, (args[0], len(proc.stderr))
    desc = _write_toml(tmp_path, RESTING_SWEEP.replace('[seeds]', '[vary]\nscale = ["%s"]\n'
                                                       '[seeds]' % huge))
    proc = _sweep('status', desc)
    assert proc.returncode == 2 and len(proc.stderr) < 2000
    del line


def test_each_attempt_of_a_run_has_its_own_log(tmp_path):
    desc = _write_toml(tmp_path, RESTING_SWEEP)
    run = sweep.expand(str(desc), root=str(tmp_path / 'r'))[0]
    first, second = (sweep.output_path(run, str(tmp_path / 'r')) for _ in range(2))
    assert first != second and first.endswith('log0_attempt1.txt') \
        and second.endswith('log0_attempt2.txt')
    with open(second, 'w') as fh:
        fh.write('start\n' + 'y' * 5000 + '\nerror: mine\n')
    with open(first, 'w') as fh:
        fh.write('error: the other attempt\n')
    err = sweep.last_error(second)
    assert err.endswith('error: mine') and 'other attempt' not in err and len(err) < 400
