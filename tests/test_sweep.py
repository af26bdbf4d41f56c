"""sweep.py: expansion, validation before any run, local execution, idempotence."""
import json
import os
import subprocess
import sys

import numpy as np

import run_folder as rf
import sweep
from conftest import REPO, TINY_SWEEP

# 2 conditions x 2 seeds; the sweep's own root is never used (--root is given)
TINY = TINY_SWEEP.format(toml_root='unused_root', runs='[vary]\nsyn_asymm = [2.0, 4.0]').replace(
    'list = [814]', 'list = [814, 815]')


def _sweep_cmd(*args):
    return subprocess.run([sys.executable, os.path.join(REPO, 'sweep.py')] + list(args),
                          capture_output=True, text=True, timeout=900)


def test_paper_sweep_has_the_15_conditions_of_the_paper(tmp_path):
    runs = sweep.expand('paper', root=str(tmp_path), n_seeds=1)
    folders = sorted(os.path.basename(os.path.dirname(r.folder)) for r in runs)
    expected = sorted([rf.condition_folder(k, lam, 1) for k in (2, 4)
                       for lam in (0.0, 0.1, 0.2, 0.3, 0.4)] +
                      [rf.condition_folder(4, 0.2, 2), rf.condition_folder(4, 0.2, 4),
                       rf.condition_folder(4, 0.1, 1, 'parkinson'),
                       rf.condition_folder(4, 0.2, 1, 'parkinson'),
                       rf.condition_folder(4, 0.2, 1, 'schizophrenia')])
    assert folders == expected and len(set(folders)) == 15
    assert all(r.sim['mode'] == 'plasticity' for r in runs)
    # reduced scale stays comparable through the default inputs, not an override
    assert all(r.sim['input_draw'] == 'matched' and not r.sim['full_size_inputs'] for r in runs)
    five = sweep.expand('paper', root=str(tmp_path))
    assert len(five) == 75 and [r.sim['msd'] for r in five[:5]] == [814, 815, 816, 817, 818]
    assert five[3].folder.endswith(os.path.join('run4_k_2_l_002_m_1', 'log3'))


def test_every_run_is_validated_before_any_starts(tmp_path):
    bad = tmp_path / 'bad.toml'
    bad.write_text(TINY.replace('syn_asymm = [2.0, 4.0]', 'syn_asymm = [2.0, -4.0]'))
    proc = _sweep_cmd('run', str(bad), '--root', str(tmp_path / 'root'))
    assert proc.returncode == 2
    assert "2 of 4 runs are invalid (nothing was run)" in proc.stderr
    assert "key 'syn_asymm' has bad value -4.0" in proc.stderr
    assert not (tmp_path / 'root').exists()
    typo = tmp_path / 'typo.toml'
    typo.write_text(TINY.replace('con_ep = 2', 'con_epp = 2'))
    proc = _sweep_cmd('status', str(typo))
    assert proc.returncode == 2 and "unknown key 'con_epp'; did you mean 'con_ep'?" in proc.stderr


def test_state_of_interrupted_and_foreign_runs(tmp_path):
    desc = tmp_path / 'tiny.toml'
    desc.write_text(TINY)
    run = sweep.expand(str(desc), root=str(tmp_path / 'root'))[0]
    assert sweep.state(run) == 'pending'
    os.makedirs(run.folder)
    sim = {k: v for k, v in run.sim.items() if k != 'mode'}
    meta = {'msd': 814, 'mode': 'plasticity', 'status': 'running', 'simParams': sim,
            'bgParams': run.bg}

    def write(m):
        with open(os.path.join(run.folder, 'run.json'), 'w') as fh:
            json.dump(m, fh)

    write(meta)
    assert sweep.state(run) == 'incomplete'          # no checkpoint: restarted
    cmd = sweep.command(run)      # restarted, but never over a run finished meanwhile
    assert '--log-dir' in cmd and '--overwrite-unfinished' in cmd and '--overwrite' not in cmd
    ck = os.path.join(run.folder, 'checkpoint.npz')
    np.savez(ck, next_episode=2, eta_done=False)
    assert sweep.state(run) == 'resumable'
    cmd = sweep.command(run)
    assert cmd[cmd.index('--resume') + 1] == run.folder and '--overwrite' not in cmd
    np.savez(ck, next_episode=4, eta_done=False)     # every episode done, run.json not final
    assert sweep.state(run) == 'finished'
    np.savez(ck, next_episode=2, eta_done=False)
    write(dict(meta, simParams=dict(sim, scale=0.1)))
    assert sweep.state(run) == 'conflict'            # other parameters: never overwritten
    write(dict(meta, simParams=dict(sim, msd=999)))
    assert sweep.state(run) == 'conflict'
    with open(os.path.join(run.folder, 'run.json'), 'w') as fh:
        fh.write('{"trunc')
    assert sweep.state(run) == 'damaged'             # unreadable run.json next to a checkpoint
    other = sweep.expand(str(desc), root=str(tmp_path / 'root'))[1]
    os.makedirs(other.folder)
    with open(os.path.join(other.folder, 'GPi_fr.txt'), 'w') as fh:
        fh.write('80 81 82 83 84\n')                 # data without run.json (published)
    assert sweep.state(other) == 'conflict'


def test_local_sweep_runs_skips_and_reads(tmp_path):
    """2 conditions x 2 seeds, --jobs 2: all finish in the authors' layout, the
    reader reads them, a second run starts nothing."""
    desc = tmp_path / 'tiny.toml'
    desc.write_text(TINY)
    root = tmp_path / 'root'
    proc = _sweep_cmd('run', str(desc), '--root', str(root), '--jobs', '2')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert 'done 4 | running 0 | failed 0 | pending 0' in proc.stdout
    found = rf.find_runs([str(root)])
    assert sorted(found) == ['run4_k_2_l_02_m_1', 'run4_k_4_l_02_m_1']
    for cond, runs in found.items():
        assert [r.sim['msd'] for r in runs] == [814, 815]
        assert all(r.status == 'finished' and r.n_episodes == r.n_total == 4 for r in runs)
        assert all(r.kappa == float(cond.split('_')[2]) for r in runs)
    again = _sweep_cmd('run', str(desc), '--root', str(root), '--jobs', '2')
    assert again.returncode == 0 and '4 finished already, 0 to run' in again.stdout
    status = _sweep_cmd('status', str(desc), '--root', str(root))
    assert status.stdout.count('finished') >= 4 and 'total 4: finished 4' in status.stdout


def test_failed_run_is_reported_and_others_go_on(tmp_path):
    """A run that fails after validation (here: NEST-dependent warm-up check) is
    reported with its error; the sweep exits non-zero."""
    desc = tmp_path / 'tiny.toml'
    desc.write_text(TINY.replace('syn_asymm = [2.0, 4.0]', 'syn_asymm = [2.0]')
                    .replace('list = [814, 815]', 'list = [814]')
                    .replace('n_unreinforced = 0', 'n_unreinforced = 0\npl_warmup = 1050.0'))
    proc = _sweep_cmd('run', str(desc), '--root', str(tmp_path / 'root'))
    assert proc.returncode == 1
    assert 'FAILED run 0' in proc.stdout and 'vt_deliver_interval' in proc.stdout
