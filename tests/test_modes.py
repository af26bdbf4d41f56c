"""action_selection and plasticity at reduced scale (0.05), end to end.

The stimulus contrasts are made strong (0 vs 17 Hz in action selection;
Istrong 12 / Iweak 0 to force bursts, the reverse to force dips) so that the
assertions test the protocol logic, not a marginal channel competition.
"""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import geometry
import run_folder as rf
from conftest import REPO, load_json, run_model

BASE = ('resting_state=False', 'scale=0.05', 'nbcpu=2')
PL = BASE + ('plasticity=True', "vt_deliver_interval={'resting_state': 1000, "
             "'action_selection': 1000, 'plasticity': 100}")


def _rows(path):
    return [ln.split() for ln in open(path).read().splitlines() if not ln.startswith('#')]


@pytest.fixture(scope='module')
def action_run(tmp_path_factory):
    d = tmp_path_factory.mktemp('as')
    proc = run_model(d, *(BASE + ('action_selection=True', 'as_grid=3', 'as_rate_step=17.0')))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return d


def test_action_selection_files(action_run):
    for name in ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'PTN', 'CSN'):
        rows = np.loadtxt(action_run / ('%s_fr.txt' % name))
        assert rows.shape == (9, 5), name
    dump = np.loadtxt(action_run / 'CSN_c1_to_MSN_d1.txt')
    assert open(action_run / 'CSN_c1_to_MSN_d1.txt').readline() == '# target source weight\n'
    assert dump.shape[1] == 3 and len(dump) > 0
    assert set(np.round(dump[:, 2], 6)) == {1.04515, 0.026129}   # AMPA and NMDA, x0.65
    assert os.path.getsize(action_run / 'MSN_d1_c1_to_MSN_d2.txt') > 0


def test_strong_channel_wins(action_run):
    """Row e = 3 i + j: channel 1 at 17 i Hz, channel 2 at 17 j Hz (naive weights
    select weakly at the paper's 17 Hz maximum, as in the published episode 0)."""
    gpi = np.loadtxt(action_run / 'GPi_fr.txt')
    csn = np.loadtxt(action_run / 'CSN_fr.txt')
    assert gpi[6, 1] < gpi[6, 2] - 5          # ch1 34 Hz, ch2 0 Hz
    assert gpi[2, 2] < gpi[2, 1] - 5          # ch1 0 Hz, ch2 34 Hz
    # the stimulated CSN subsets carry background (2 Hz) plus the stimulus:
    # 20 input nodes (200 x 0.1, the default input layers at twice scale 0.05)
    # over 500 ms, so 4 Poisson sd of the count is 4 sqrt(rate / 10) Hz; the
    # background is pooled over the 6 episodes in which channel 1 or 2 is not
    # stimulated (120 node-windows)
    assert abs(csn[6, 1] - 36.0) < 4 * np.sqrt(36.0 / 10)
    background = np.concatenate([csn[[0, 1, 2], 1], csn[[0, 3, 6], 2]]).mean()
    assert abs(background - 2.0) < 4 * np.sqrt(2.0 / 60)


@pytest.fixture(scope='module')
def burst_run(tmp_path_factory):
    d = tmp_path_factory.mktemp('pl')
    (d / 'do_tests.txt').unlink(missing_ok=True)
    proc = run_model(d, *(PL + ('con_ep=3', 'gen_ep=4', 'dis_ep=3', 'probe_T1=[2]',
                                'probe_T2=[3]', 'Istrong=12', 'Iweak=0', 'dc=0.05',
                                'n_unreinforced=1', 'checkpoint_every=0')))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return d, proc.stdout


def test_plasticity_phases_and_files(burst_run):
    d, out = burst_run
    n = 10                                  # con_ep + gen_ep + dis_ep (docs/model.md §6.3)
    for name in ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'FSI', 'GPe', 'STN'):
        assert np.loadtxt(d / ('%s_fr.txt' % name)).shape == (n, 5), name
    assert [int(x) for x in open(d / 'CS_plus.txt')] == [1] * 4 + [0] * 6
    assert [int(x) for x in open(d / 'CS_minus.txt')] == [0] * 4 + [1] * 6
    assert [int(x) for x in open(d / 'current_task.txt')] == [1] * 4 + [-1] * 6
    flags = [r[2] for r in _rows(d / 'reward.txt')]
    assert flags == ['F'] * 4 + ['T', 'T1', 'T2', 'T'] + ['F'] * 2
    assert open(d / 'plot_labels.txt').read() == 'Lambda,0.1\nkappa,2.0\nMod,1.0\n'
    assert 'do_tests.txt' not in out          # never created: F, the default, without a word
    # probes: T1 drives channel 1 only (Iweak 0), T2 channel 2 only; silence neither.
    # (GPi channel 1 may win in T2 too: that is the generalisation of docs/model.md §10.2)
    d1 = np.loadtxt(d / 'MSN_d1_fr.txt')
    assert d1[6, 2] > d1[5, 2] and d1[6, 2] > d1[4, 2] and d1[6, 2] > d1[7, 2]
    assert d1[5, 1] > d1[4, 1] and d1[5, 1] > d1[7, 1]


def test_bursts_potentiate_channel_1_d1(burst_run):
    d, _ = burst_run
    decisions = [r[3] for r in _rows(d / 'reward.txt')]
    assert decisions[:4] == ['burst'] * 4
    assert set(decisions[4:8]) == {'none'} and decisions[-1] == 'none'   # probes, unreinforced
    w = np.loadtxt(d / 'mean_weights.txt')[:, 1:].reshape(-1, 5, 4)    # episode, channel, kind
    d1_ampa = w[:, :, 0]
    gain_ch1 = d1_ampa[3, 1] - d1_ampa[0, 1]
    gain_ch2 = d1_ampa[3, 2] - d1_ampa[0, 2]
    assert gain_ch1 > 0 and gain_ch1 > 2 * abs(gain_ch2)
    # no dopamine in the silent probes: weights frozen from episode 4 to 7
    np.testing.assert_array_equal(w[4], w[7])


def test_dips_and_eta_applied_once(tmp_path):
    proc = run_model(tmp_path, *(PL + ('con_ep=0', 'gen_ep=0', 'dis_ep=4', 'probe_T1=[]',
                                       'probe_T2=[]', 'Istrong=0', 'Iweak=12', 'dc=0.05',
                                       'n_unreinforced=0', 'checkpoint_every=0')))
    assert proc.returncode == 0, proc.stderr[-2000:]
    decisions = [r[3] for r in _rows(tmp_path / 'reward.txt')]
    assert decisions[0] == 'none' and decisions[1:].count('dip') >= 2
    assert proc.stdout.count('eta modulation applied') == 1


def test_eta_multiplies_each_weight_exactly():
    import fetch_params as fp
    import ini_all
    from modes import PlasticState
    sim = fp.read_sim(overrides={'scale': 0.02})
    net = ini_all.build_network(sim, fp.read_bg(), geometry.make_rngs(814), progress=lambda s: None)
    state = PlasticState(net, 5, 0, fp.read_bg()['plastic_projections'])
    before = [np.asarray(c.get('weight')) for c in state.eta_sets]
    state.apply_eta(4.0, 'multiply')
    after = [np.asarray(c.get('weight')) for c in state.eta_sets]
    for b, a in zip(before, after):
        assert len(a) > 0
        np.testing.assert_array_equal(a, b * 4.0)


def test_do_tests_values(tmp_path, capsys):
    from modes import DoTests
    lines = []
    reader = DoTests(str(tmp_path / 'do_tests.txt'), lines.append)
    assert reader.read() == 'F' and reader.read() == 'F' and lines == []   # missing: F, silent
    (tmp_path / 'do_tests.txt').write_text('F\nT1\n')
    assert reader.read() == 'T1'
    (tmp_path / 'do_tests.txt').write_text('maybe\n')
    assert reader.read() == 'F'
    assert "holds 'maybe'; allowed: F, T1 or T2; treating it as F" in lines[-1]


def test_bad_protocol_parameters(tmp_path):
    proc = run_model(tmp_path, *(PL + ('probe_T1=[40]',)))
    assert proc.returncode == 2 and "'probe_T1' has bad value [40]" in proc.stderr
    proc = run_model(tmp_path, *(PL + ("condition='tired'",)))
    assert proc.returncode == 2 and "'condition' has bad value 'tired'" in proc.stderr
    # a warm-up that is not a multiple of the 100-ms trigger period: read-outs
    # would fall between triggers; refused after the (seconds-long) build
    proc = run_model(tmp_path, *(PL + ('pl_warmup=1050.0',)))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert ("'vt_deliver_interval' has bad value 100; allowed: for plasticity" in proc.stderr
            and 'pl_warmup = 1050 ms is not a multiple' in proc.stderr
            and 'ep   0/' not in proc.stdout)


def test_checkpoint_resume(tmp_path):
    """Kill a run after its first checkpoint and resume it. Episodes 3-5 are silent
    (no dopamine), so their weights must equal the uninterrupted run's exactly;
    rows before the checkpoint are kept, none is duplicated. Spikes after the
    resume differ (fresh membrane state and NEST RNG stream, README), but the
    input trains of an episode are the uninterrupted run's (input_drive)."""
    params = PL + ('con_ep=1', 'gen_ep=4', 'dis_ep=1', 'probe_T1=[]', 'probe_T2=[]',
                   'Istrong=12', 'Iweak=0', 'dc=0.05', 'checkpoint_every=3', 'n_unreinforced=0')
    full = tmp_path / 'full'
    assert run_model(full, *params).returncode == 0
    cut = tmp_path / 'cut'
    cmd = [sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--log-dir', str(cut)]
    for p in params:
        cmd += ['--set', p]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not (cut / 'checkpoint.npz').exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    per_episode = rf.files_of('plasticity', 'per_episode')
    for name in per_episode:        # a half-written episode after the checkpoint
        with open(cut / name, 'a') as fh:
            fh.write('1 2 3\n')
    res = subprocess.run([sys.executable, os.path.join(REPO, 'stim_all_model.py'), '--resume',
                          str(cut)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert 'resumed at episode 3' in res.stdout
    assert len(per_episode) == 12           # 7 rate files, 3 task files, reward, weights
    for name in per_episode:                 # every file the contract lists as per-episode
        a, b = _rows(full / name), _rows(cut / name)
        assert len(a) == len(b) == 6, name
        assert a[:3] == b[:3], name
    wa = np.loadtxt(full / 'mean_weights.txt')
    wb = np.loadtxt(cut / 'mean_weights.txt')
    np.testing.assert_allclose(wb[3:6], wa[3:6], rtol=1e-9)
    assert load_json(cut / 'run.json')['first_episode'] == 3
    # spike files: cut at the checkpoint (the killed episode's spikes dropped) and
    # continued on the original time axis (no restart at 0)
    ep_len, t_cut = 2800.0, 1000.0 + 2800.0 * 3
    stn_cut = np.loadtxt(cut / 'STN_spikes.dat', ndmin=2)
    first_late = int(np.argmax(stn_cut[:, 1] >= t_cut))
    assert first_late > 0 and (stn_cut[:first_late, 1] < t_cut).all()
    assert (stn_cut[first_late:, 1] >= t_cut).all()
    assert stn_cut[:, 1].max() < 1000.0 + ep_len * 6
    # fresh noise after the resume: the resumed episode 3 is no replay of episode 0
    # (a restarted NEST stream gave 13-16 % identical STN spikes; unrelated
    # episodes share 0.1-0.4 % by chance). Against the uninterrupted run's
    # episode 3 it shares its input trains (the injector drive's stream of
    # episode 3), so STN spikes coincide above chance (measured 7.6 %), but the
    # fresh membrane state and NEST stream keep it far from a replay.
    stn_full = np.loadtxt(full / 'STN_spikes.dat', ndmin=2)

    def spikes(d, lo):
        sel = (d[:, 1] >= lo) & (d[:, 1] < lo + ep_len)
        return set(zip(d[sel, 0].astype(int), np.round((d[sel, 1] - lo) * 10).astype(int)))

    resumed, start = spikes(stn_cut, t_cut), spikes(stn_full, 1000.0)
    assert len(resumed) > 100
    assert len(resumed & start) / len(resumed) < 0.05
    same_episode = len(resumed & spikes(stn_full, t_cut)) / len(resumed)
    assert 0.02 < same_episode < 0.5, same_episode


def test_weight_readout_sample():
    """weights_readout_msn caps the MSNs read per channel and half; the mean it
    reports is the exact mean over the sampled MSNs' cortico-striatal synapses."""
    import fetch_params as fp
    import ini_all
    import nest_routine as nr
    from modes import PlasticState, readout_sample
    rng = np.random.default_rng(1)
    members = np.arange(10, 40)
    np.testing.assert_array_equal(readout_sample(members, 0, rng), members)
    np.testing.assert_array_equal(readout_sample(members, 30, rng), members)
    pick = readout_sample(members, 5, rng)
    assert len(pick) == 5 and len(set(pick)) == 5 and set(pick) <= set(members)
    assert np.all(np.diff(pick) > 0)

    sim = fp.read_sim(overrides={'scale': 0.02})
    net = ini_all.build_network(sim, fp.read_bg(), geometry.make_rngs(814), progress=lambda s: None)
    plastic = fp.read_bg()['plastic_projections']
    every = PlasticState(net, 5, 0, plastic)
    few = PlasticState(net, 5, 3, plastic)
    for h in ('d1', 'd2'):
        targets = np.asarray(few.readout[h].get('target'))
        chan = few.channel_of[h][0]
        for k in range(5):
            assert len(set(targets[chan == k])) == 3            # 3 MSNs per channel
        assert len(few.readout[h]) < len(every.readout[h])
    # make the weights differ per synapse, then the sampled mean is the mean over its synapses
    conns = every.plastic['d1']
    nr.set_connections_array(conns, weight=np.linspace(1.0, 2.0, len(conns)))
    w = np.asarray(few.readout['d1'].get('weight'))
    chan, rec = few.channel_of['d1']
    expected = [w[(chan == k) & (rec == port)].mean() for k in range(5) for port in (1, 2)]
    got = few.mean_weights(5).reshape(5, 4)[:, :2].ravel()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
