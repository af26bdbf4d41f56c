"""Structure of the built network at reduced scale (scale 0.02: 634 MSN,
1440 CSN/PTN/CMPf input nodes, the default input layers at twice the scale;
the nuclei FSI, STN, GPe, GPi stay whole).

Counts are exact where the construction is deterministic (the integer part
of every in-degree, the lambda split, the MSN->MSN sub-projections); the
fractional remainders are random and checked against their Poisson range.
"""
import numpy as np
import pytest

import connectivity
import fetch_params as fp
import geometry
import ini_all

SCALE = 0.02


@pytest.fixture(scope='module')
def built():
    import nest
    sim = fp.read_sim(overrides={'scale': SCALE, 'nbcpu': 2})
    bg = fp.read_bg()
    net = ini_all.build_network(sim, bg, geometry.make_rngs(sim['msd']), progress=lambda line: None)
    return nest, net, bg


def _conns(nest, src, tgt, **kw):
    c = nest.GetConnections(source=src, target=tgt, **kw)
    if len(c) == 0:
        return {k: np.empty(0) for k in ('source', 'target', 'weight', 'receptor', 'delay')}
    d = c.get(['source', 'target', 'weight', 'receptor', 'delay', 'synapse_model'])
    return {k: np.asarray(v) for k, v in d.items()}


def test_scaled_sizes(built):
    _, net, _ = built
    assert net.sizes['MSN'] == 634 and net.sizes['CSN'] == 1440 and net.sizes['CMPf'] == 1440
    assert {k: net.sizes[k] for k in ('GPi', 'GPe', 'STN', 'FSI')} == \
        {'GPi': 168, 'GPe': 300, 'STN': 96, 'FSI': 636}
    assert len(net.pops['MSN_d1']) == len(net.pops['MSN_d2']) == 317


def test_integer_part_counts(built):
    """n_synapses - n_remainder == floor(K) * N_target (x2 with NMDA) for every projection."""
    _, net, bg = built
    for row in net.projections:
        if row['skipped']:
            continue
        n_tgt = net.sizes[row['tgt']]
        if row['key'] == 'MSN->MSN':
            per_half = sum(k for *_, k, _ in connectivity.msn_collaterals(row['k_int'], bg['syn_asymm'],
                                                                 bg['asymmetry_1'],
                                                                 bg['asymmetry_2'], 1.0))
            expected = per_half * n_tgt // 2
        elif row['src'] == 'MSN':
            expected = sum(connectivity.lambda_split(row['k_int'], bg['overlap_d1d2'])[row['tgt']]) * n_tgt
        else:
            expected = row['k_int'] * n_tgt * (2 if row['excitatory'] else 1)
        assert row['n_synapses'] - row['n_remainder'] == expected, row['key']


def test_remainders_within_poisson_range(built):
    """Original remainder rule (Q-1): CMPf->GPe over-produces (~86 synapses at any
    scale, per-target expectation preserved), STN->FSI is practically absent (~2.7)."""
    _, net, _ = built
    rows = {r['key']: r for r in net.projections}
    n_gpe = rows['CMPf->GPe']['n_remainder'] // 2          # AMPA + NMDA
    assert 86 - 5 * np.sqrt(86) <= n_gpe <= 86 + 5 * np.sqrt(86)
    assert rows['STN->FSI']['n_remainder'] // 2 <= 15
    assert rows['STN->FSI']['n_synapses'] == rows['STN->FSI']['n_remainder']


def test_ampa_nmda_pairs_identical(built):
    nest, net, _ = built
    for src, tgt in (('CSN', 'MSN_d1'), ('PTN', 'MSN_d2'), ('CMPf', 'GPi'), ('STN', 'GPe')):
        c = _conns(nest, net.pops[src], net.pops[tgt])
        ampa = sorted(zip(c['source'][c['receptor'] == 1], c['target'][c['receptor'] == 1]))
        nmda = sorted(zip(c['source'][c['receptor'] == 2], c['target'][c['receptor'] == 2]))
        assert len(ampa) > 0 and ampa == nmda, (src, tgt)


def test_lambda_split_counts(built):
    nest, net, bg = built
    rows = {r['key']: r for r in net.projections}
    for tgt in ('GPe', 'GPi'):
        k_d1, k_d2 = connectivity.lambda_split(rows['MSN->' + tgt]['k_int'], bg['overlap_d1d2'])[tgt]
        n_rem = rows['MSN->' + tgt]['n_remainder']
        n_d1 = len(_conns(nest, net.pops['MSN_d1'], net.pops[tgt])['source'])
        n_d2 = len(_conns(nest, net.pops['MSN_d2'], net.pops[tgt])['source'])
        n = len(net.pops[tgt])
        assert k_d1 * n <= n_d1 <= k_d1 * n + n_rem and k_d2 * n <= n_d2 <= k_d2 * n + n_rem
        assert n_d1 + n_d2 == (k_d1 + k_d2) * n + n_rem


def test_msn_collateral_subprojections(built):
    nest, net, bg = built
    row = next(r for r in net.projections if r['key'] == 'MSN->MSN')
    half = len(net.pops['MSN_d1'])
    for s, t, k, w in connectivity.msn_collaterals(row['k_int'], bg['syn_asymm'], bg['asymmetry_1'],
                                         bg['asymmetry_2'], row['w_gaba']):
        c = _conns(nest, net.pops[s], net.pops[t])
        assert len(c['weight']) == k * half, (s, t)
        np.testing.assert_allclose(c['weight'], w, rtol=1e-12)
        assert set(c['receptor']) == {3} and set(c['delay']) == {1.0}


def test_plastic_synapses(built):
    """Cortico-striatal synapses: syn_d1 on D1 and syn_d2 on D2, weight x plast_gain,
    each model routed to its own volume transmitter."""
    nest, net, bg = built
    rows = {r['key']: r for r in net.projections}
    g = bg['plast_gain']
    for src in ('CSN', 'PTN'):
        for half in ('d1', 'd2'):
            c = _conns(nest, net.pops[src], net.pops['MSN_' + half])
            assert set(c['synapse_model']) == {'syn_' + half}
            row = rows[src + '->MSN']
            np.testing.assert_allclose(c['weight'][c['receptor'] == 1], row['w_ampa'] * g)
            np.testing.assert_allclose(c['weight'][c['receptor'] == 2], row['w_nmda'] * g)
    for half in ('d1', 'd2'):
        vt = nest.GetDefaults('syn_' + half, 'volume_transmitter')
        assert vt.global_id == net.vt[half].global_id
    assert net.vt['d1'].global_id != net.vt['d2'].global_id


def _xy(net, name):
    n = len(net.pops['MSN_d1'])
    return {'MSN_d1': net.xy['MSN'][:n], 'MSN_d2': net.xy['MSN'][n:]}.get(name, net.xy.get(name))


def test_focused_sources_within_radius(built):
    nest, net, _ = built
    for src, tgt in (('CSN', 'MSN_d1'), ('PTN', 'STN'), ('MSN_d2', 'GPi'), ('GPe', 'STN')):
        c = _conns(nest, net.pops[src], net.pops[tgt])
        s_first, t_first = net.pops[src][0].global_id, net.pops[tgt][0].global_id
        xy_s, xy_t = _xy(net, src), _xy(net, tgt)
        d = np.abs(xy_s[c['source'] - s_first, :2] - xy_t[c['target'] - t_first, :2])
        d = np.minimum(d, 2.0 - d)                                  # periodic 2 x 2 sheet
        assert np.hypot(d[:, 0], d[:, 1]).max() <= 0.15 + 1e-12, (src, tgt)


def test_diffuse_sources_biased_by_periodic_images(built):
    """Q-2: for targets near the sheet centre (quadrants hold equal numbers of
    sources) sources up/right are ~3x as likely as down/left (multiplicity 3 vs 1)."""
    nest, net, _ = built
    c = _conns(nest, net.pops['CMPf'], net.pops['FSI'])
    ampa = c['receptor'] == 1
    s = net.xy['CMPf'][c['source'][ampa] - net.pops['CMPf'][0].global_id]
    t = net.xy['FSI'][c['target'][ampa] - net.pops['FSI'][0].global_id]
    central = np.hypot(t[:, 0], t[:, 1]) < 0.15
    s, t = s[central], t[central]
    up_right = np.sum((s[:, 0] > t[:, 0]) & (s[:, 1] > t[:, 1]))
    down_left = np.sum((s[:, 0] < t[:, 0]) & (s[:, 1] < t[:, 1]))
    assert up_right + down_left > 500
    assert 2.0 < up_right / down_left < 4.5   # 3 with the bias, 1 without
