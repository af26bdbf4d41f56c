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


def test_input_layer_scale_sizes_the_input_layers_and_the_stimulated_subsets():
    """``input_layer_scale`` sizes CSN, PTN, CMPf and the stimulated subsets;
    the MSNs follow ``scale``; None keeps the two older settings."""
    import modes
    bg = fp.read_bg()
    sim = fp.read_sim(overrides={'scale': 0.1, 'input_layer_scale': 0.3})
    full, scaled = connectivity.population_sizes(bg, 0.1, sim['scalefactor'],
                                                 connectivity.input_scale(sim))
    for p in ('CSN', 'PTN', 'CMPf'):
        assert scaled[p] == round(full[p] * 0.3)
    assert scaled['MSN'] == 2 * round(full['MSN'] * 0.1 / 2)
    assert modes.scaled_subset(sim, 'pl_n_stim') == round(sim['pl_n_stim'] * 0.3)
    assert modes.scaled_subset(sim, 'as_n_stim') == round(sim['as_n_stim'] * 0.3)
    for over, expect in (({'scale': 0.1, 'input_draw': 'nest'}, 0.1),
                         ({'scale': 0.1, 'full_size_inputs': True}, 1.0),
                         ({'scale': 0.1, 'input_layer_scale': 1.0}, 1.0)):
        assert connectivity.input_scale(fp.read_sim(overrides=over)) == expect


@pytest.mark.quick
@pytest.mark.parametrize('over, plan', [
    ({}, (1.0, 'nest')),                                         # scale 1: the original
    ({'scale': 0.6}, (1.0, 'nest')),                             # twice 0.6 is more than 1
    ({'scale': 0.1}, (0.2, connectivity.MATCHED_RULE)),
    ({'scale': 0.02}, (0.04, connectivity.MATCHED_RULE)),
    ({'scale': 0.1, 'full_size_inputs': True}, (1.0, 'nest')),
    ({'scale': 0.1, 'input_layer_scale': 0.3}, (0.3, connectivity.MATCHED_RULE)),
    ({'scale': 0.1, 'input_draw': 'nest'}, (0.1, 'nest')),       # the original's reduced scale
    ({'scale': 0.1, 'input_draw': 'balanced_repeats'}, (0.1, 'balanced_repeats')),
])
def test_default_input_draw_is_the_original_at_scale_1_and_matched_below(over, plan):
    """input_draw 'matched' (the default): NEST's draw wherever the input layers
    are full-size, so scale 1 builds the original network; below, layers at
    MATCHED_LAYER_FACTOR x scale drawn with MATCHED_RULE; the named draws keep
    their own layers."""
    assert connectivity.MATCHED_LAYER_FACTOR == 2.0
    sim = fp.read_sim(overrides=over)
    assert sim['input_draw'] == over.get('input_draw', 'matched')
    s_in, rule = connectivity.input_plan(sim)
    assert (s_in, rule) == (pytest.approx(plan[0]), plan[1])


@pytest.mark.quick
def test_matched_is_a_choice_of_the_input_projections_only():
    with pytest.raises(fp.ParamError, match="key 'msn_draw' has bad value 'matched'"):
        fp.read_sim(overrides={'msn_draw': 'matched'})


@pytest.mark.quick
@pytest.mark.parametrize('over, allowed', [
    ({'scale': 0.1, 'input_layer_scale': 0.05}, 'a number from scale (0.1) to 1'),
    ({'scale': 0.1, 'input_layer_scale': 0.3, 'full_size_inputs': True}, 'None when full_size'),
    ({'input_layer_scale': 1.5}, 'None or a number > 0 and <= 1'),
    ({'input_layer_scale': 'half'}, 'None or a number > 0 and <= 1'),
])
def test_input_layer_scale_is_checked(over, allowed):
    with pytest.raises(fp.ParamError, match="'input_layer_scale' has bad value") as err:
        fp.read_sim(overrides=over)
    assert allowed in str(err.value)


def test_older_runs_read_without_an_input_layer_scale_keep_their_digest():
    import run_folder as rf
    sim, bg = fp.read_sim(), fp.read_bg()
    old_sim = {k: v for k, v in sim.items() if k != 'input_layer_scale'}
    before = rf.params_digest(old_sim, bg)
    meta, added = rf.upgrade_meta({'format_version': 4, 'simParams': dict(old_sim),
                                   'bgParams': bg}, {}, {})
    assert added == ['input_layer_scale'] and meta['simParams']['input_layer_scale'] is None
    assert rf.params_digest(meta['simParams'], bg) == before
    assert rf.params_digest(dict(meta['simParams'], input_layer_scale=0.3), bg) != before


def test_projections_from_msns_drawn_without_repetition():
    """``msn_draw`` 'without_repetition' at scale 0.05: every MSN keeps the
    in-degree NEST gives it from the D1 collaterals, the synapse count is
    unchanged, and fewer (source, target) pairs repeat. MSN->GPi draws more
    synapses per target than its mask holds MSNs (at any scale), so it keeps
    its repeats: the rule falls back to repetition there."""
    import nest

    import ini_all
    import nest_routine as nr
    found = {}
    for draw in ('nest', 'without_repetition'):
        sim = fp.read_sim(overrides={'scale': 0.05, 'nbcpu': 1, 'msn_draw': draw})
        net = ini_all.build_network(sim, fp.read_bg(), geometry.make_rngs(814), lambda line: None)
        counts = {}
        for tgt in ('MSN_d1', 'GPi'):
            d = nr.get_connections_array(nest.GetConnections(source=net.pops['MSN_d1'],
                                                             target=net.pops[tgt]),
                                         ['source', 'target'])
            pairs = np.stack([d['source'], d['target']], 1)
            indeg = np.unique(pairs[:, 1], return_counts=True)[1]
            repeats = np.unique(pairs, axis=0, return_counts=True)[1]
            counts[tgt] = (sorted(indeg), int((repeats > 1).sum()))
        found[draw] = (nr.num_connections(), counts)
    nest_, norep = found['nest'], found['without_repetition']
    assert nest_[0] == norep[0]
    for tgt in ('MSN_d1', 'GPi'):
        assert nest_[1][tgt][0] == norep[1][tgt][0]                  # in-degrees kept
    assert norep[1]['MSN_d1'][1] < nest_[1]['MSN_d1'][1] / 2, found
    assert norep[1]['GPi'][1] == nest_[1]['GPi'][1]                 # every pair repeats


def test_full_scale_repeats_follow_the_full_size_layer():
    """``repeats`` ('full_scale_repeats', s): a target draws k sources from the n in its mask
    with the repeats of k draws from n/s: the mean of sum(m^2)/k (m: the
    multiplicities) is 1 + (k - 1) s / n, the expectation for k draws with
    repetition from n/s sources; every source inside the mask, in-degree k.
    Tolerance: 5 standard errors of the mean over 400 targets."""
    rng = np.random.default_rng(7)
    src, tgt = _sheet(6000, rng), rng.uniform(-0.2, 0.2, size=(400, 2))
    k, radius, s = 114, 0.12, 0.1
    si, ti, _ = connectivity.draw_sources(src, tgt, k, radius, False, np.random.default_rng(8),
                                          repeats=('full_scale_repeats', s))
    assert (np.bincount(ti) == k).all()
    assert (np.hypot(*(src[si] - tgt[ti]).T) <= radius).all()
    n_cand = (np.hypot(src[None, :, 0] - tgt[:, None, 0],
                       src[None, :, 1] - tgt[:, None, 1]) <= radius).sum(axis=1)
    factor = np.array([np.sum(np.unique(si[ti == t], return_counts=True)[1] ** 2) / k
                       for t in range(len(tgt))])
    expect = 1 + (k - 1) * s / n_cand
    err = factor - expect
    assert abs(err.mean()) < 5 * err.std() / np.sqrt(len(err)), (factor.mean(), expect.mean())
    # NEST's draw from the n real sources repeats far more: 1 + (k - 1) / n
    assert factor.mean() < 1 + 0.5 * (k - 1) / n_cand.mean()


@pytest.mark.parametrize('rule', ['nest', 'without_repetition', 'full_scale_repeats',
                                  'balanced_repeats'])
def test_draw_statistics_of_the_study_match_the_draws(rule):
    """connectivity.draw_statistics (the study's theory) against draws: 4000 targets
    on one spot (one mask of n = 254 sources, a layer at scale 0.1 of 2540),
    k = 114. The mean of sum(m^2)/k and the variance over targets of the
    synapses from a random 10 % subset of the sources match the formulas
    within 5 % and 8 % (the sampling error of a variance over 4000 targets is
    about 2 %; one subset is drawn). NEST's draw is drawn here as NEST draws
    it: uniform with repetition."""
    rng = np.random.default_rng(11)
    n, k, n_targets = 254, 114, 4000
    src = rng.uniform(-0.05, 0.05, size=(n, 2))
    tgt = np.zeros((n_targets, 2))
    if rule == 'nest':
        si = rng.integers(0, n, size=n_targets * k)
        ti = np.repeat(np.arange(n_targets), k)
    else:
        si, ti, _ = connectivity.draw_sources(
            src, tgt, k, 1.0, False, rng,
            repeats=None if rule == 'without_repetition' else (rule, 0.1))
    m = np.zeros((n_targets, n), dtype=int)
    np.add.at(m, (ti, si), 1)
    temporal = np.mean((m ** 2).sum(axis=1)) / k
    subset = rng.choice(n, size=n // 10, replace=False)
    p = len(subset) / n
    var = m[:, subset].sum(axis=1).var()
    full_var = p * (1 - p) * (k * (1 + (k - 1) / 2540) - k * k / 2540) * 2540 / 2539
    want_t, want_s = connectivity.draw_statistics(k, 2540, 0.1, rule)
    assert abs(temporal / want_t - 1) < 0.05, (temporal, want_t)
    assert abs(var / full_var / want_s - 1) < 0.08, (var / full_var, want_s)


@pytest.mark.quick
def test_virtual_pool_of_each_rule():
    """full_scale_repeats draws from n/s virtual sources; balanced_repeats
    misses both statistics by the same fraction and, for a full-size layer,
    is NEST's draw from the n real sources; without_repetition has no pool."""
    n, k = 254.0, 114
    assert connectivity.virtual_pool(n, k, 0.1, 'without_repetition') is None
    assert connectivity.virtual_pool(n, k, 0.1, 'full_scale_repeats') == pytest.approx(n / 0.1)
    assert connectivity.virtual_pool(2545.0, k, 1.0, 'balanced_repeats') == pytest.approx(2545.0)
    factor, count = connectivity.draw_statistics(k, 2540.0, 0.1, 'balanced_repeats')
    full = connectivity.draw_statistics(k, 2540.0, 1.0, 'nest')[0]
    # equal misses up to the n / (n - 1) factors the balance leaves out (~0.4 %)
    assert factor / full - 1 == pytest.approx(1 - count, rel=0.02)
    assert factor / full - 1 > 0.15
    assert connectivity.draw_statistics(k, 2540.0, 0.1, 'nest')[1] == pytest.approx(1.0)


@pytest.mark.quick
def test_resume_refuses_inputs_this_package_would_build_otherwise(tmp_path):
    """run.json records the input layers and draw a run was built with; a
    package that builds other ones from the same parameters (another meaning
    of 'matched') refuses to resume it, naming both and the run's commit."""
    import checkpoint
    import run_folder as rf
    sim, bg = fp.read_sim(overrides={'scale': 0.1}), fp.read_bg()
    ckpt = {'params_digest': rf.params_digest(sim, bg), 'next_episode': 3}
    meta = {'msd': sim['msd'], 'git_commit': 'abc1234',
            'inputs': connectivity.input_plan_record(sim)}
    assert meta['inputs'] == {'layer_scale': 0.2, 'draw': connectivity.MATCHED_RULE}
    checkpoint.check_resumable(str(tmp_path), meta, sim, bg, ckpt, 10)     # accepted
    meta['inputs'] = {'layer_scale': 0.1, 'draw': 'nest'}
    with pytest.raises(fp.ParamError, match=r"inputs were built as \{'layer_scale': 0.1, "
                       r"'draw': 'nest'\}.*check out git_commit abc1234"):
        checkpoint.check_resumable(str(tmp_path), meta, sim, bg, ckpt, 10)
    del meta['inputs']                                     # a run of an older format
    checkpoint.check_resumable(str(tmp_path), meta, sim, bg, ckpt, 10)


@pytest.mark.quick
def test_a_sweep_knows_a_run_of_the_same_network_under_other_input_names():
    """A paper run at scale 1 made with full_size_inputs=True and input_draw 'nest'
    builds the network the default builds now: the sweep's network digest is
    the same (its folders are not conflicts); at scale 0.1 the two build other
    inputs, and the digest differs."""
    import run_folder as rf
    bg = fp.read_bg()
    mode = {'resting_state': False, 'plasticity': True}
    older = fp.read_sim(overrides=dict(mode, input_draw='nest', full_size_inputs=True))
    now = fp.read_sim(overrides=mode)
    assert rf.params_digest(older, bg) != rf.params_digest(now, bg)
    assert rf.network_digest(older, bg) == rf.network_digest(now, bg)
    assert rf.network_digest(dict(older, scale=0.1), bg) != rf.network_digest(dict(now, scale=0.1),
                                                                              bg)
    assert rf.network_digest(dict(now, msd=815), bg) != rf.network_digest(now, bg)
