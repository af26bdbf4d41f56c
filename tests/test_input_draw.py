"""How the input projections are drawn (``input_draw``): NEST's fixed in-degree
with repetition (the original), or distinct sources per target drawn in NumPy
where the mask holds enough. The rule against a short Python reference of what
it must do, and in a built network: the in-degree and the synapse count (so
the mean input) preserved, no repeated source where the mask allows, the
original draw untouched."""
import numpy as np
import pytest

import connectivity
import fetch_params as fp
import geometry


def _sheet(n, rng):
    return rng.uniform(-0.5, 0.5, size=(n, 2))


def test_focused_draw_has_no_repeat_where_the_mask_holds_enough():
    rng = np.random.default_rng(1)
    src, tgt = _sheet(4000, rng), _sheet(200, rng)
    k, radius = 30, 0.15
    si, ti, repeated = connectivity.draw_sources(src, tgt, k, radius, False,
                                                 np.random.default_rng(2))
    assert len(si) == len(ti) == 200 * k
    d = np.hypot(*(src[si] - tgt[ti]).T)
    assert (d <= radius).all()                                   # inside the mask only
    n_cand = (np.hypot(src[None, :, 0] - tgt[:, None, 0],
                       src[None, :, 1] - tgt[:, None, 1]) <= radius).sum(axis=1)
    for t in range(200):
        mine = si[ti == t]
        assert len(mine) == k
        assert (len(set(mine)) == k) == (n_cand[t] >= k), t     # distinct exactly when possible
    assert repeated == int((n_cand < k).sum())


def test_sparse_masks_fall_back_to_repetition_and_say_so():
    rng = np.random.default_rng(3)
    src, tgt = _sheet(60, rng), _sheet(50, rng)
    si, ti, repeated = connectivity.draw_sources(src, tgt, 10, 0.15, False, rng)
    assert repeated > 0 and len(si) == 500
    with pytest.raises(ValueError, match='no source inside its mask'):
        connectivity.draw_sources(np.array([[0.4, 0.4]]), np.array([[-0.4, -0.4]]), 1, 0.1,
                                  False, rng)


def test_diffuse_draw_follows_the_periodic_images():
    """A diffuse (radius-2) mask counts a source 1 + [x_s > x_t] + [y_s > y_t]
    times (docs/model.md §4.6); the draw keeps that weighting: a source with 3
    images is drawn about 3 times as often as one with 1."""
    src = np.array([[0.4, 0.4], [-0.4, -0.4]])          # 3 images / 1 image for the target
    tgt = np.zeros((20000, 2))
    si, _, repeated = connectivity.draw_sources(src, tgt, 1, np.inf, True,
                                                np.random.default_rng(4))
    share = np.mean(si == 0)
    assert repeated == 0 and abs(share - 0.75) < 0.02        # binomial sd 0.003


def test_other_random_streams_are_unchanged():
    """The draw's stream is a new child of msd: every other stream of a run
    (positions, remainders, stimulated subsets, trains) is what it was."""
    children = np.random.SeedSequence(814).spawn(5)
    rngs = geometry.make_rngs(814)
    assert rngs.inputs.entropy == children[4].entropy
    assert rngs.inputs.spawn_key == children[4].spawn_key
    assert np.array_equal(rngs.conn.integers(0, 2**31, 5),
                          np.random.default_rng(children[1]).integers(0, 2**31, 5))


def test_input_draw_is_validated_and_recorded():
    with pytest.raises(fp.ParamError, match="key 'input_draw' has bad value 'sometimes'"):
        fp.read_sim(overrides={'input_draw': 'sometimes'})
    import run_folder as rf
    old = {'simParams': {}, 'bgParams': {}, 'format_version': 3}
    meta, added = rf.upgrade_meta(old, {}, {})
    assert meta['simParams']['input_draw'] == 'nest' and 'input_draw' in added


def test_built_network_keeps_in_degrees_and_drops_repeats():
    """Scale 0.05, one thread: both draws give every MSN exactly K_int CSN
    synapses per receptor and the same number of synapses; without repetition,
    repeated (source, target) pairs remain only on MSNs whose mask holds fewer
    than K_int CSN nodes."""
    import nest

    import ini_all
    import nest_routine as nr
    found = {}
    for draw in ('nest', 'without_repetition'):
        sim = fp.read_sim(overrides={'scale': 0.05, 'nbcpu': 1, 'input_draw': draw})
        net = ini_all.build_network(sim, fp.read_bg(), geometry.make_rngs(814), lambda line: None)
        rows = {r['key']: r for r in net.projections}
        d = nr.get_connections_array(nest.GetConnections(source=net.pops['CSN'],
                                                         target=net.pops['MSN_d1']),
                                     ['source', 'target', 'receptor'])
        ampa = d['receptor'] == 1
        pairs = np.stack([d['source'][ampa], d['target'][ampa]], 1)
        indeg = np.unique(pairs[:, 1], return_counts=True)[1]
        k = rows['CSN->MSN']['k_int']
        assert (indeg == k).all() and len(indeg) == len(net.pops['MSN_d1'])
        # a focused mask: per target, how many CSN nodes it holds
        xy_src = net.xy['CSN']
        first = net.first_id('MSN_d1')
        xy_tgt = net.xy['MSN'][:len(net.pops['MSN_d1'])]
        n_cand = (np.hypot(xy_src[None, :, 0] - xy_tgt[:, None, 0],
                           xy_src[None, :, 1] - xy_tgt[:, None, 1])
                  <= fp.read_bg()['focused_radius']).sum(axis=1)
        uniq, counts = np.unique(pairs, axis=0, return_counts=True)
        repeated_targets = set(uniq[counts > 1, 1] - first)
        found[draw] = (nr.num_connections(), len(repeated_targets), set(np.flatnonzero(n_cand < k)),
                       repeated_targets)
    assert found['nest'][0] == found['without_repetition'][0]          # same synapse count
    assert found['without_repetition'][3] <= found['without_repetition'][2]
    assert found['without_repetition'][1] < found['nest'][1]
