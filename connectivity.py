"""Connectivity formulas and network size, computed from the parameters alone.

In-degrees, weights and delays of the 24 projections (docs/model.md §4), the
sampling of the fractional remainders, the population sizes at a scale, and
the checks made before a build (finite derived numbers, memory). Nothing here
imports NEST.
"""
import numpy as np

import protocol
from errors import cut, shown
from fetch_params import ParamError
from populations import INPUTS, NUCLEI, SCALED, STIMULATED_INPUTS


def split_key(key):
    """'SRC->TGT' -> ('SRC', 'TGT')."""
    src, tgt = key.split('->')
    return src, tgt


def max_contacts(key, bg):
    """nu: maximal number of contacts per target neuron (docs/model.md §4.2)."""
    src, tgt = split_key(key)
    alpha = bg['alpha'][key]
    if src in STIMULATED_INPUTS:
        return float(alpha)
    return bg['count' + src] / bg['count' + tgt] * bg['ProjPercent'][key] * alpha


def indegree(key, bg, n_src_full):
    """Float in-degree K from nu and the redundancy rule, capped at ``n_src_full``.

    ``n_src_full`` is the source population at scale 1 (the cap is scale-
    independent so that in-degrees are preserved at reduced scale).
    """
    nu = max_contacts(key, bg)
    r = bg['redundancy']
    rule = bg['RedundancyType']
    if rule == 'outDegreeAbs':
        k = nu / r
    elif rule == 'inDegreeAbs':
        k = r
    else:  # outDegreeCons
        src, tgt = split_key(key)
        nu0 = bg['count' + src] / bg['count' + tgt] * bg['ProjPercent'][key]
        k = (nu - nu0) * r + nu0
    if bg['cap_indegree'] and k > n_src_full:
        k = float(n_src_full)
    return k


def attenuation(key, bg):
    """Dendritic attenuation cosh(L_X (1 - d)) / cosh(L_X) of a projection."""
    _, tgt = split_key(key)
    lx_norm = bg['lx'][tgt] * np.sqrt(4.0 * bg['Ri'] / (bg['dx'][tgt] * bg['Rm']))
    return np.cosh(lx_norm * (1.0 - bg['distcontact'][key])) / np.cosh(lx_norm)


def projection_gain(key, bg):
    """Projection gain G (docs/model.md §4.4)."""
    gains = {'GPe->STN': bg['GGPe_STN'], 'STN->GPi': bg['GSTN_GPi'], 'MSN->MSN': bg['GMSN_MSN']}
    if key in ('MSN->GPe', 'MSN->GPi') and bg['plastic_syn']:
        return bg['GMSN_GPx']
    return gains.get(key, 1.0)


def is_excitatory(src):
    """CSN, PTN, CMPf and STN are excitatory; MSN, FSI, GPe, GPi inhibitory."""
    return src in ('CSN', 'PTN', 'CMPf', 'STN')


def projection_table(bg, sim_counts_full):
    """The 24 projections in build order with every derived quantity.

    Parameters
    ----------
    bg : dict
        Validated BG parameters.
    sim_counts_full : dict
        Simulated population sizes at scale 1 {name: n} (for the cap).

    Returns
    -------
    list of dict
        Keys: key, src, tgt, excitatory, focused, nu, K, k_int, frac, att, G,
        w_ampa, w_nmda, w_gaba (pA), delay (ms), label (0 inhibitory, 1.. for
        created excitatory projections, None when skipped), skipped.
    """
    rows, label = [], 0
    for key in sorted(bg['alpha']):
        src, tgt = split_key(key)
        nu = max_contacts(key, bg)
        row = {'key': key, 'src': src, 'tgt': tgt, 'excitatory': is_excitatory(src),
               'focused': key in bg['focused'], 'nu': nu, 'delay': bg['tau'][key],
               'skipped': nu == 0}
        if nu == 0:
            row.update(K=0.0, k_int=0, frac=0.0, att=None, G=None, w_ampa=None, w_nmda=None,
                       w_gaba=None, label=None)
            rows.append(row)
            continue
        k = indegree(key, bg, sim_counts_full[src])
        att, gain = attenuation(key, bg), projection_gain(key, bg)
        base = nu / k * att * gain
        wpsp = bg['wPSP']
        if row['excitatory']:
            label += 1
        row.update(K=k, k_int=int(np.floor(k)), frac=k - np.floor(k), att=att, G=gain,
                   w_ampa=base * wpsp[0] if row['excitatory'] else None,
                   w_nmda=base * wpsp[1] if row['excitatory'] else None,
                   w_gaba=None if row['excitatory'] else base * wpsp[2],
                   label=label if row['excitatory'] else 0)
        rows.append(row)
    return rows


def lambda_split(k, lam):
    """MSN->GPi / MSN->GPe in-degree split by lambda (docs/model.md §4.9).

    Returns
    -------
    dict
        {'GPi': (k_D1, k_D2), 'GPe': (k_D1, k_D2)} for an integer in-degree k
        (the GPi entries apply to MSN->GPi's k, the GPe ones to MSN->GPe's).
    """
    return {'GPi': (int(k * (1 - lam)), int(k * lam)),
            'GPe': (int(k * lam), int(k * (1 - lam)))}


def msn_collaterals(k, kappa, a1, a2, w):
    """The four MSN->MSN sub-projections in build order (docs/model.md §4.10).

    Returns
    -------
    list of (source half, target half, in-degree, weight (pA))
    """
    return [('MSN_d2', 'MSN_d2', int(k * a1), kappa * w),
            ('MSN_d2', 'MSN_d1', int(k * a1), kappa * w),
            ('MSN_d1', 'MSN_d1', int(k * a1), w),
            ('MSN_d1', 'MSN_d2', int(k * a2), w)]


def diffuse_multiplicity(src_xy, tgt_xy):
    """Periodic-image multiplicity of sources in an oversized diffuse mask.

    NEST visits a source 1 + [x_s > x_t] + [y_s > y_t] times for a radius-2
    mask on the periodic 2 x 2 sheet (docs/model.md §4.6, measured in NEST 3.10).

    Returns
    -------
    ndarray, shape (n_tgt, n_src) of int
    """
    return (1 + (src_xy[None, :, 0] > tgt_xy[:, None, 0]).astype(int)
            + (src_xy[None, :, 1] > tgt_xy[:, None, 1]))


def candidate_counts(src_xy, tgt_xy, radius, diffuse, chunk=512):
    """Multiplicity-weighted number of candidate sources per target.

    Diffuse: sum of multiplicities, computed by sorting (O(n log n)).
    Focused: sources within ``radius`` (Euclidean; positions lie in the
    central unit square so the periodic distance is the same), computed on
    x-sorted chunks so only nearby sources are compared.
    """
    n_src = len(src_xy)
    if diffuse:
        sx, sy = np.sort(src_xy[:, 0]), np.sort(src_xy[:, 1])
        above_x = n_src - np.searchsorted(sx, tgt_xy[:, 0], side='right')
        above_y = n_src - np.searchsorted(sy, tgt_xy[:, 1], side='right')
        return n_src + above_x + above_y
    order_s = np.argsort(src_xy[:, 0])
    s_sorted = src_xy[order_s]
    order_t = np.argsort(tgt_xy[:, 0])
    counts = np.zeros(len(tgt_xy), dtype=np.int64)
    for start in range(0, len(tgt_xy), chunk):
        idx = order_t[start:start + chunk]
        t = tgt_xy[idx]
        lo = np.searchsorted(s_sorted[:, 0], t[:, 0].min() - radius, side='left')
        hi = np.searchsorted(s_sorted[:, 0], t[:, 0].max() + radius, side='right')
        s = s_sorted[lo:hi]
        d2 = (t[:, None, 0] - s[None, :, 0]) ** 2 + (t[:, None, 1] - s[None, :, 1]) ** 2
        counts[idx] = (d2 <= radius * radius).sum(axis=1)
    return counts


def pick_sources(src_xy, t_xy, n, radius, diffuse, rng):
    """Draw ``n`` source indices for one target, as NEST's masked sampling would."""
    if diffuse:
        weights = diffuse_multiplicity(src_xy, t_xy[None, :])[0].astype(float)
        return rng.choice(len(src_xy), size=n, p=weights / weights.sum())
    cand = np.flatnonzero(np.hypot(src_xy[:, 0] - t_xy[0], src_xy[:, 1] - t_xy[1]) <= radius)
    return rng.choice(cand, size=n) if len(cand) else np.empty(0, dtype=int)


def remainder_pairs(src_xy, tgt_xy, frac, n_src, n_tgt_full, n_tgt, radius, diffuse, mode, rng):
    """Synapses of the fractional remainder of an in-degree (docs/model.md §4.7, Q-1).

    ``mode='original'``: the original Bernoulli pass with p = 1 / (N_src R),
    R = round(frac * N_tgt at scale 1), over every (target, source-in-mask)
    image pair. Instead of testing ~1e9 pairs it draws, per target, the
    number of successes ~ Binomial(M_t, p) (M_t = multiplicity-weighted
    candidates) and then the sources; equivalent up to O(p) (sources drawn
    with replacement). ``mode='expected_count'``: R (at the simulated scale)
    synapses, targets uniform. ``mode='none'``: nothing.

    Returns
    -------
    (src_idx, tgt_idx) : two int arrays indexing ``src_xy`` and ``tgt_xy``.
    """
    empty = (np.empty(0, dtype=int), np.empty(0, dtype=int))
    if mode == 'none' or frac <= 0:
        return empty
    if mode == 'original':
        r_full = int(round(frac * n_tgt_full))
        if r_full == 0:
            return empty
        p = 1.0 / (n_src * r_full)
        per_target = rng.binomial(candidate_counts(src_xy, tgt_xy, radius, diffuse), p)
    else:
        r_sim = int(round(frac * n_tgt))
        per_target = np.bincount(rng.integers(0, len(tgt_xy), size=r_sim), minlength=len(tgt_xy))
    src_idx, tgt_idx = [], []
    for t in np.flatnonzero(per_target):
        chosen = pick_sources(src_xy, tgt_xy[t], int(per_target[t]), radius, diffuse, rng)
        src_idx.append(chosen)
        tgt_idx.append(np.full(len(chosen), t))
    if not src_idx:
        return empty
    return np.concatenate(src_idx).astype(int), np.concatenate(tgt_idx).astype(int)


# The reduced-scale inputs of input_draw 'matched' (docs/validation.md, Reduced
# scale): input layers at MATCHED_LAYER_FACTOR times the network's scale (at most
# 1), each target's sources repeated by MATCHED_RULE.
MATCHED_LAYER_FACTOR = 2.0
MATCHED_RULE = 'full_scale_repeats'
# the simParams keys input_plan reads besides scale
INPUT_PLAN_KEYS = ('full_size_inputs', 'input_layer_scale', 'input_draw')


def input_plan(sim):
    """(scale of the input layers, draw rule of their projections) of a run.

    The layer scale (also that of the stimulated subsets) is
    ``input_layer_scale`` when set, else 1 with ``full_size_inputs``, else
    :data:`MATCHED_LAYER_FACTOR` x ``scale`` (at most 1) for ``input_draw``
    'matched', else the network's ``scale``. The rule is ``input_draw``, with
    'matched' read as NEST's draw from full-size layers (scale 1 is the
    original, byte for byte) and :data:`MATCHED_RULE` from smaller ones.

    Returns
    -------
    (float, str)
        The scale of the input layers and one of ``populations.INPUT_DRAWS``.
    """
    rule = sim['input_draw']
    if sim.get('input_layer_scale') is not None:
        s_in = float(sim['input_layer_scale'])
    elif sim['full_size_inputs']:
        s_in = 1.0
    elif rule == 'matched':
        s_in = min(1.0, MATCHED_LAYER_FACTOR * sim['scale'])
    else:
        s_in = sim['scale']
    if rule == 'matched':
        rule = 'nest' if s_in >= 1 else MATCHED_RULE
    return s_in, rule


def input_plan_record(sim):
    """{'layer_scale', 'draw'} of :func:`input_plan`, as run.json keeps it
    (a resume checks that this package builds the same inputs)."""
    s_in, rule = input_plan(sim)
    return {'layer_scale': s_in, 'draw': rule}


def input_scale(sim):
    """Scale of the input layers CSN, PTN, CMPf and of the stimulated subsets
    (:func:`input_plan`)."""
    return input_plan(sim)[0]


def population_sizes(bg, scale, scalefactor=(1, 1), inputs_scale=None):
    """Simulated population sizes at scale 1 and at ``scale``.

    The scale knob multiplies MSN (kept even: D1/D2 halves), CSN, PTN and
    CMPf; FSI, STN, GPe and GPi stay whole so that every channel keeps its
    members. ``inputs_scale`` (default ``scale``) replaces ``scale`` for the
    input layers CSN, PTN and CMPf (see :func:`input_scale`).

    Returns
    -------
    (full, scaled) : two dicts {population: number of neurons}
    """
    s = scalefactor[0] * scalefactor[1]
    names = NUCLEI + INPUTS
    full = {p: int(bg['nb' + p] * s) for p in names}
    scaled = dict(full)
    for p in SCALED:
        factor = scale if p == 'MSN' or inputs_scale is None else inputs_scale
        scaled[p] = max(1, int(round(full[p] * factor)))
    scaled['MSN'] = max(2, 2 * int(round(full['MSN'] * scale / 2.0)))
    return full, scaled


# Memory per element, measured on NEST 3.10 (peak RSS of full-scale runs on
# 2 threads: 141 109 nodes, 14.2 M synapses, ~3.3 GB after the build and
# ~4 GB at the peak of a plasticity run): an upper estimate, not a model.
BYTES_PER_SYNAPSE = 260


BYTES_PER_NODE = 4000


BYTES_BASE = 400e6            # Python, NumPy, the NEST kernel and its modules


def derived_numbers(sim, bg):
    """{name: value} of the numbers computed from the parameters before the build:
    STDP window amplitudes, synaptic weights, generator rates (Hz)."""
    out = {}
    for cond in sorted(sim['stdp_windows']):
        for phase, halves in protocol.stdp_windows(sim, cond).items():
            for half, (a_plus, a_minus) in halves.items():
                out['stdp_windows[%s][%s][%s] x dc' % (cond, phase, half)] = (a_plus, a_minus)
    sizes_full, _ = population_sizes(bg, sim['scale'], sim['scalefactor'], input_scale(sim))
    for row in projection_table(bg, sizes_full):
        for key in ('K', 'w_ampa', 'w_nmda', 'w_gaba'):
            if row.get(key) is not None:
                out['%s %s' % (row['key'], key)] = row[key]
    gain = bg['plast_gain']
    out['plastic weight gain'] = gain
    for name in INPUTS:
        out['rate%s' % name] = bg['rate' + name]
    top_as = sim['as_rate_step'] * (sim['as_grid'] - 1)
    top_pl = sim['pl_rate_step'] * max(sim['Istrong'], sim['Iweak'])
    out['largest action-selection stimulus (CSN, PTN Hz)'] = (top_as, top_as * sim['as_ptn_ratio'])
    out['largest plasticity stimulus (CSN, PTN Hz)'] = (top_pl, top_pl * sim['pl_ptn_ratio'])
    return out


def check_finite(sim, bg):
    """Raise ParamError naming the first derived number that is NaN or
    infinite (e.g. a window fraction '1e308/1e-10', or weights that overflow)."""
    for name, value in derived_numbers(sim, bg).items():
        values = np.atleast_1d(np.asarray(value, dtype=float))
        if not np.all(np.isfinite(values)):
            raise ParamError(
                'the parameters give %s = %s; allowed: finite numbers (check the keys it is '
                'computed from)' % (name, shown(value)))


def network_estimate(sim, bg):
    """(nodes, synapses) the build will create, from the parameters alone.

    Synapses: every target of a projection times its in-degree K (integer part
    and expected remainder), twice for excitatory projections (AMPA and its
    NMDA copy). Within a few per cent of the built network at scales 0.02-1.
    """
    sizes_full, sizes = population_sizes(bg, sim['scale'], sim['scalefactor'], input_scale(sim))
    nodes = sum(sizes.values()) + sizes['GPi']          # GPi_fake mirrors GPi
    synapses = 0.0
    for row in projection_table(bg, sizes_full):
        if not row['skipped']:
            synapses += sizes[row['tgt']] * row['K'] * (2 if row['excitatory'] else 1)
    return int(nodes), int(synapses)


def memory_estimate_bytes(sim, bg, ranks=1):
    """Memory (bytes) one MPI rank of ``ranks`` needs at its peak (upper estimate)."""
    nodes, synapses = network_estimate(sim, bg)
    return BYTES_BASE + nodes * BYTES_PER_NODE + synapses * BYTES_PER_SYNAPSE / ranks


def available_memory_bytes(meminfo='/proc/meminfo'):
    """MemAvailable of this machine in bytes (None where /proc/meminfo has none)."""
    try:
        with open(meminfo) as fh:
            for line in fh:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(sim, bg, ranks_here=1, ranks=1, available=None):
    """Refuse a network that cannot fit this machine's memory (ParamError).

    ``ranks_here``: MPI ranks on this machine; ``ranks``: all ranks of the run.
    """
    available = available_memory_bytes() if available is None else available
    if available is None:
        return
    need = memory_estimate_bytes(sim, bg, ranks) * ranks_here
    if need > available:
        nodes, synapses = network_estimate(sim, bg)
        raise ParamError(
            'the network of these parameters (scale %g, about %s nodes and %s synapses) needs '
            'about %.1f GB, but this machine has %.1f GB available; allowed: a smaller scale or '
            'population, or --skip-memory-check to build it anyway'
            % (sim['scale'], cut('%d' % nodes, 40),
               cut('%d' % synapses, 40), need / 1e9, available / 1e9))



def _sum_sq(k, pool):
    """E[sum(m^2)] of k draws with repetition from ``pool`` sources (m: draws per source)."""
    return k + k * (k - 1) / pool


def virtual_pool(n, k, layer_scale, rule):
    """Sources whose draw with repetition gives one target's repeats, or None
    for no repeat (``rule`` 'without_repetition').

    k draws with repetition from V sources give E[sum(m^2)] = k + k (k - 1) / V
    (m: the synapses per source). 'full_scale_repeats': V = n / s, the repeats
    of the full-size layer (s: ``layer_scale``, n: the sources in the mask).
    'balanced_repeats': the V whose sum(m^2) misses the full network's two input
    statistics by the same fraction, one above and one below: the variance of
    the summed input, T = k + k (k - 1) n_f / n_f^2 with n_f = n / s, and the
    variance over targets of the synapses from a random subset of the sources,
    which is proportional to sum(m^2) - k^2 / n (C = T - k^2 / n_f in the full
    network); at s = 1 both give V = n, NEST's own draw.
    """
    if rule == 'without_repetition':
        return None
    n_full = n / layer_scale
    full_sq = _sum_sq(k, n_full)
    if rule == 'full_scale_repeats':
        sq = full_sq
    else:
        c_full = full_sq - k * k / n_full
        sq = (2 + k * k / (n * c_full)) / (1 / full_sq + 1 / c_full)
    return k * (k - 1) / (sq - k) if sq > k else None


def draw_statistics(k, n_full, layer_scale, rule):
    """The two input statistics of one target's draw, relative to the full network.

    A target draws ``k`` synapses from the n = ``n_full`` x ``layer_scale``
    sources of its mask; with m_j the number of synapses from source j:

    * ``temporal``: sum(m_j^2) / k, the factor on the variance of the summed
      input of one target (1 + (k - 1) / n for NEST's draw, 1 without
      repetition, 1 + (k - 1) / n_full with a full-size layer's repeats);
    * ``subset``: the variance over targets of the synapses from a random
      subset of the sources (a stimulated subset), p (1 - p) n / (n - 1)
      (sum(m_j^2) - k^2 / n), divided by its value in the full network.

    ``rule``: 'nest' or a NumPy draw of :func:`virtual_pool`; every rule draws
    with repetition from a mask of fewer than k sources, as NEST does.
    """
    def stats(n, sq):
        return sq / k, (sq - k * k / n) * n / (n - 1)
    n = n_full * layer_scale
    # a mask with fewer than k sources is drawn with repetition by every rule
    # (draw_sources falls back to it when the mask holds fewer sources than the
    # draw's distinct ones, so near n = k the statistics are approximate)
    pool = n if rule == 'nest' or n < k else virtual_pool(n, k, layer_scale, rule)
    temporal, subset = stats(n, k if pool is None else _sum_sq(k, pool))
    return temporal, subset / stats(n_full, _sum_sq(k, n_full))[1]


def csn_mask(bg, scalefactor=(1, 1)):
    """(k, n_full): the CSN->MSN integer in-degree and the CSN nodes a focused
    mask holds at full size (sheet area 1, docs/model.md §4)."""
    full, _ = population_sizes(bg, 1.0, scalefactor)
    row = [r for r in projection_table(bg, full) if r['key'] == 'CSN->MSN'][0]
    return row['k_int'], full['CSN'] * np.pi * bg['focused_radius'] ** 2


# Below this scale a reduced-scale run is not compared with the paper
# (docs/validation.md, Reduced scale): its MSN rates and learning differ.
SMALLEST_COMPARED_SCALE = 0.1


def input_notes(sim, bg):
    """What a reduced-scale run's inputs are, for the start of a run (lines of text):
    the input layers, the draw and its two input statistics against the full
    network's; below :data:`SMALLEST_COMPARED_SCALE`, that the run's numbers
    are not the paper's."""
    if sim['scale'] >= 1:
        return []
    s_in, rule = input_plan(sim)
    notes = []
    if s_in < 1:
        k, n_full = csn_mask(bg, sim['scalefactor'])
        factor, count = draw_statistics(k, n_full, s_in, rule)
        how = ('input_draw %r: %s' % (sim['input_draw'], rule) if rule != sim['input_draw']
               else 'input_draw %r' % rule)
        warn = (' (MSNs fire about twice the published rate at 0.1)'
                if rule == 'nest' and s_in == sim['scale'] else '')
        notes.append(
            'scale %g with the input layers at scale %g (%s): each MSN\'s input variance '
            'factor is %.2f and its stimulated-count variance %.2f of the full network\'s '
            '(there %.2f and 1)%s; full_size_inputs=True keeps the full network\'s '
            '(docs/validation.md, Reduced scale)'
            % (sim['scale'], s_in, how, factor, count,
               draw_statistics(k, n_full, 1.0, 'nest')[0], warn))
    if sim['scale'] < SMALLEST_COMPARED_SCALE:
        notes.append('scale %g is below %g, the smallest scale compared with the paper: its '
                     'MSN rates and its learning are not the published ones (docs/validation.md, '
                     'Reduced scale)' % (sim['scale'], SMALLEST_COMPARED_SCALE))
    return notes


def draw_sources(src_xy, tgt_xy, k, radius, diffuse, rng, chunk=256, repeats=None):
    """Sources of ``k`` synapses per target, without repetition where the mask allows.

    Each target gets ``k`` distinct sources drawn uniformly from those inside
    its mask (focused: within ``radius``; diffuse: every source, weighted by
    its number of periodic images in the mask as NEST's sampling would,
    :func:`diffuse_multiplicity`) when the mask holds at least ``k``; a target
    whose mask holds fewer draws them with repetition, as NEST's fixed
    in-degree does for every target (docs/model.md §4.6).

    With ``repeats`` = (rule, s) (s: the scale of the source layer), a target
    repeats sources as :func:`virtual_pool` says: ``k`` draws with repetition
    from V virtual sources give the multiplicities, and each distinct virtual
    source is a distinct real source of the mask (``input_draw``
    'full_scale_repeats' and 'balanced_repeats').

    Returns
    -------
    (src_idx, tgt_idx, n_repeated) : two int arrays indexing ``src_xy`` and
        ``tgt_xy`` (``k`` rows per target, in target order) and the number of
        targets whose mask held fewer than ``k`` sources.
    """
    n_tgt = len(tgt_xy)
    src_idx = np.empty((n_tgt, k), dtype=np.int64)
    repeated = 0
    for start in range(0, n_tgt, chunk):
        t = tgt_xy[start:start + chunk]
        if diffuse:
            weights = diffuse_multiplicity(src_xy, t).astype(float)
        else:
            d2 = ((t[:, None, 0] - src_xy[None, :, 0]) ** 2
                  + (t[:, None, 1] - src_xy[None, :, 1]) ** 2)
            weights = (d2 <= radius * radius).astype(float)
        for i, w in enumerate(weights):
            n_cand = int(np.count_nonzero(w))
            if n_cand == 0:
                raise ValueError('a target has no source inside its mask (radius %g)' % radius)
            pool = None if repeats is None else virtual_pool(n_cand, k, repeats[1], repeats[0])
            if pool is None:
                mult = np.ones(k, dtype=np.int64)
            else:
                mult = np.unique(rng.integers(0, max(1, int(round(pool))), size=k),
                                 return_counts=True)[1]
            enough = n_cand >= len(mult)
            repeated += not enough
            if enough:
                chosen = rng.choice(len(src_xy), size=len(mult), replace=False, p=w / w.sum())
                src_idx[start + i] = np.repeat(chosen, mult)
            else:
                src_idx[start + i] = rng.choice(len(src_xy), size=k, replace=True, p=w / w.sum())
    return src_idx.ravel(), np.repeat(np.arange(n_tgt), k), repeated
