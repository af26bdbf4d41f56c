"""Resting state at reduced scale, end to end through stim_all_model.py.

Scale 0.05 (1586 MSN, 3600 CSN/PTN/CMPf input nodes: the default input layers at
twice the scale; FSI, STN, GPe, GPi whole), 2 threads, 2000 ms simulated, rates
over 1000-2000 ms.
"""
import os

import numpy as np
import pytest

from conftest import load_json, run_model

COMMON = ('scale=0.05', 'simDuration=2000.0', 'nbcpu=2')
NORMALRATE = {'FSI': (7.8, 14.0), 'GPe': (55.7, 74.5), 'GPi': (59.1, 79.5), 'STN': (15.2, 22.8),
              'MSN': (0.05, 1.0)}


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    out = {}
    for name, extra in (('a', ()), ('b', ()), ('seed', ('msd=815',)),
                        ('vt1', ("vt_deliver_interval={'resting_state': 1, "
                                 "'action_selection': 1, 'plasticity': 1}",))):
        d = tmp_path_factory.mktemp(name)
        proc = run_model(d, *(COMMON + extra))
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[name] = d
    return out


def test_outputs_exist(runs):
    d = runs['a']
    for name in ('mean_fr.json', 'At.json', 'performance.txt', 'run.json', 'centers.txt',
                 'GPi.txt', 'MSN.txt', 'MSN_d1.txt', 'GPi_fake.txt', 'weights_d1.txt',
                 'GPi_spikes.dat', 'MSN_d1_spikes.dat'):
        assert os.path.getsize(d / name) > 0, name
    rates = load_json(d / 'mean_fr.json')
    assert set(rates) == {'GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'FSI', 'STN', 'GPe', 'GPi_fake'}
    at = load_json(d / 'At.json')
    assert len(at['GPi']) == 10000                  # 1000 ms / 0.1 ms samples
    assert np.mean(at['GPi']) == pytest.approx(rates['GPi'], rel=0.01)
    meta = load_json(d / 'run.json')
    assert meta['msd'] == 814 and meta['threads'] == 2 and meta['nest_version'] == '3.10.0'
    assert sum(p['n_synapses'] for p in meta['projections']) < meta['n_synapses']
    assert not any((d / n).exists() for n in ('CSN_spikes.dat', 'PTN_spikes.dat'))


def test_same_seed_identical_different_seed_differs(runs):
    a, b = (load_json(runs[k] / 'mean_fr.json') for k in ('a', 'b'))
    assert a == b
    c = load_json(runs['seed'] / 'mean_fr.json')
    assert c != a


def test_deliver_interval_gives_bit_identical_spikes(runs):
    """No dopamine spike in resting state: n stays 0 and weights cannot change, so
    the volume transmitter's interval (1 vs 1000 ms) must not change one spike."""
    for pop in ('GPi', 'MSN_d1', 'MSN_d2', 'GPe', 'STN', 'FSI'):
        a = (runs['a'] / ('%s_spikes.dat' % pop)).read_text()
        b = (runs['vt1'] / ('%s_spikes.dat' % pop)).read_text()
        assert a == b, pop
    assert len((runs['a'] / 'GPi_spikes.dat').read_text().splitlines()) > 1000


def test_fresh_run_starts_clean(runs, tmp_path):
    """A new run in a used folder is refused; with --overwrite it does not
    append onto the old files."""
    d = runs['a']
    before = (d / 'performance.txt').read_text().splitlines()
    (d / 'GPi_fr.txt').write_text('stale\n')
    (d / 'do_tests.txt').write_text('F\n')
    proc = run_model(d, *COMMON)
    assert proc.returncode == 2 and '--overwrite' in proc.stderr and '--resume' in proc.stderr
    proc = run_model(d, *COMMON, extra=['--overwrite'])
    assert proc.returncode == 0
    assert len((d / 'performance.txt').read_text().splitlines()) == len(before) == 1
    assert not (d / 'GPi_fr.txt').exists() and (d / 'do_tests.txt').exists()


def test_reduced_scale_rates(runs):
    """FSI, GPe and STN within normalrate (docs/model.md §10.1); GPi and MSN as in
    the full model (docs/validation.md): GPi 81.6 Hz, above its 59.1-79.5 window
    as in the published runs (80-82 Hz), within 3 % (the seed spread at 0.05
    with full-size inputs is 0.5 %; measured here 81.8 Hz, msd 814, 2 threads);
    MSN 0.0001 Hz at full scale with IeMSN 24.5 (published unstimulated MSN
    ~0.001 Hz), below 0.01 Hz here (0.0006 measured; the original's scaled
    inputs give 0.018 at 0.05)."""
    rates = load_json(runs['a'] / 'mean_fr.json')
    for name in ('FSI', 'GPe', 'STN'):
        lo, hi = NORMALRATE[name]
        assert lo <= rates[name] <= hi, (name, rates[name])
    assert rates['GPi'] == pytest.approx(81.6, rel=0.03)
    assert 0.0 <= rates['MSN'] < 0.01
