"""NEST-level routines of the topological BG model.

Kernel set-up and seeding, spatial layers and their position algorithm,
the connectivity formulas (pure functions, docs/model.md §4), spatial
connection helpers, dopamine-STDP synapses, generators, recorders and
vectorised rate utilities.  Units: ms, mV, pA, Hz, sheet units.

NEST is imported lazily so that the formula and rate functions can be
used (and tested) without a kernel.
"""
import random
from dataclasses import dataclass

import numpy as np

INPUTS = ('CSN', 'PTN', 'CMPf')


# --------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------
@dataclass
class Rngs:
    """Every random stream of a run, all derived from the master seed ``msd``.

    Attributes
    ----------
    nest_seed : int
        NEST kernel ``rng_seed`` (= msd).
    grid : numpy.random.RandomState
        ``RandomState(msd)``, the original's ``pyrngs[0]``: grid-point removal
        and GPi_fake z, consumed in the original order (bit-exact positions).
    msn : numpy.random.Generator
        MSN positions (unseeded in the original, docs/model.md [Q-3]).
    conn : numpy.random.Generator
        Fractional-remainder synapses.
    py : random.Random
        Stimulated channel subsets (``random.sample`` in the original).
    readout : numpy.random.Generator
        Which MSNs the per-episode weight read-out samples (no model effect).
    inputs : numpy.random.SeedSequence
        Root of the input trains of the ``spike_train_injector`` drive; one
        stream per stretch of time (``input_drive.InputDrive.load``).
    """
    nest_seed: int
    grid: np.random.RandomState
    msn: np.random.Generator
    conn: np.random.Generator
    py: random.Random
    readout: np.random.Generator
    inputs: np.random.SeedSequence


def make_rngs(msd):
    """Derive all random streams of a run from the master seed ``msd`` (int >= 1)."""
    children = np.random.SeedSequence(msd).spawn(5)   # child k is the same for any count
    py_seed = int(children[2].generate_state(1)[0])
    return Rngs(nest_seed=int(msd), grid=np.random.RandomState(msd),
                msn=np.random.default_rng(children[0]), conn=np.random.default_rng(children[1]),
                py=random.Random(py_seed), readout=np.random.default_rng(children[3]),
                inputs=children[4])


def setup_kernel(dt, n_threads, seed):
    """Reset NEST and set resolution (ms), threads and the RNG seed."""
    import nest
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({'resolution': float(dt), 'local_num_threads': int(n_threads),
                          'rng_seed': int(seed), 'print_time': False})
    return nest


# --------------------------------------------------------------------------
# Positions (docs/model.md §2)
# --------------------------------------------------------------------------
def grid_positions(n, a0, a1, rng):
    """Grid-layer positions: a q x q x-major grid with q = ceil(sqrt(n)).

    If q**2 > n, ``rng.choice(q**2, n, replace=False)`` points are kept,
    sorted so the x-major order is preserved (the original algorithm).

    Parameters
    ----------
    n : int
        Number of neurons.
    a0, a1 : float
        Offset and span (sheet units): P(i, j) = (i/q*a1 - a0, j/q*a1 - a0).
    rng : numpy.random.RandomState
        The grid stream (consumed only when points are removed).

    Returns
    -------
    ndarray, shape (n, 2)
    """
    q = int(np.ceil(np.sqrt(n)))
    ii, jj = np.meshgrid(np.arange(q), np.arange(q), indexing='ij')
    pts = np.column_stack([ii.ravel() / q * a1 - a0, jj.ravel() / q * a1 - a0])
    if q * q > n:
        pts = pts[np.sort(rng.choice(q * q, size=n, replace=False))]
    return pts


def uniform_positions(n, rng):
    """``n`` positions uniform in [-0.5, 0.5)^2 (x then y per point), shape (n, 2)."""
    return rng.uniform(-0.5, 0.5, size=(n, 2))


def round3(values):
    """Round like ``'%1.3f'`` (the position files); returns a float array."""
    arr = np.asarray(values, dtype=float)
    return np.array(['%1.3f' % v for v in arr.ravel()], dtype=float).reshape(arr.shape)


def write_positions(path, ids, xyz):
    """Write ``id x y [z]`` rows, every column ``%1.3f`` (docs/model.md §2.6)."""
    np.savetxt(path, np.column_stack([np.asarray(ids, float), xyz]), fmt='%1.3f')


def create_layer(model, positions, extent, params=None):
    """Create a free spatial layer (periodic) of ``model`` at ``positions``."""
    import nest
    spatial = nest.spatial.free([list(p) for p in positions], extent=list(extent),
                                edge_wrap=True)
    return nest.Create(model, positions=spatial, params=params)


# --------------------------------------------------------------------------
# Channels (docs/model.md §3)
# --------------------------------------------------------------------------
def channel_centres(n_channels, ring_radius):
    """Centres c_i = r (cos(60 i - 30 deg), sin(60 i - 30 deg)), shape (n, 2)."""
    theta = np.deg2rad(60.0 * np.arange(n_channels) - 30.0)
    return np.column_stack([ring_radius * np.cos(theta), ring_radius * np.sin(theta)])


def channel_members(xy_rounded, centres, radius):
    """Indices of the neurons within ``radius`` of each centre (list of arrays)."""
    return [np.flatnonzero(np.hypot(xy_rounded[:, 0] - c[0], xy_rounded[:, 1] - c[1]) <= radius)
            for c in centres]


# --------------------------------------------------------------------------
# Connectivity formulas (docs/model.md §4.2-4.5), pure functions
# --------------------------------------------------------------------------
def split_key(key):
    """'SRC->TGT' -> ('SRC', 'TGT')."""
    src, tgt = key.split('->')
    return src, tgt


def max_contacts(key, bg):
    """nu: maximal number of contacts per target neuron (docs/model.md §4.2)."""
    src, tgt = split_key(key)
    alpha = bg['alpha'][key]
    if src in ('CSN', 'PTN'):
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


# --------------------------------------------------------------------------
# Connection helpers
# --------------------------------------------------------------------------
def indegree_conn_spec(k, radius):
    """Fixed in-degree with multapses; spatial circular mask unless radius is None."""
    spec = {'rule': 'fixed_indegree', 'indegree': int(k), 'allow_multapses': True,
            'allow_autapses': True}
    if radius is not None:
        spec.update(mask={'circular': {'radius': float(radius)}}, allow_oversized_mask=True)
    return spec


def excitatory_syn_spec(model, w_ampa, w_nmda, delay, ports):
    """AMPA synapse plus its NMDA copy on the identical (pre, post) pairs."""
    import nest
    return nest.CollocatedSynapses(
        {'synapse_model': model, 'weight': w_ampa, 'delay': delay, 'receptor_type': ports['AMPA']},
        {'synapse_model': model, 'weight': w_nmda, 'delay': delay, 'receptor_type': ports['NMDA']})


def inhibitory_syn_spec(w_gaba, delay, ports):
    """Static GABA synapse."""
    return {'synapse_model': 'static_synapse', 'weight': w_gaba, 'delay': delay,
            'receptor_type': ports['GABA']}


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


def connect_pairs(src_ids, tgt_ids, syn_specs):
    """Connect explicit (pre, post) id arrays one-to-one, once per synapse spec."""
    import nest
    if len(src_ids) == 0:
        return
    n = len(src_ids)
    for spec in syn_specs:
        spec = dict(spec)
        spec['weight'] = np.full(n, float(spec['weight']))
        spec['delay'] = np.full(n, float(spec['delay']))
        nest.Connect(np.asarray(src_ids, dtype=np.int64), np.asarray(tgt_ids, dtype=np.int64),
                     'one_to_one', spec)


def get_connections_array(conns, keys, chunk=100_000):
    """Connection properties as NumPy arrays, read in slices.

    NEST's ``SynapseCollection.get`` on millions of connections needs ~2 kB
    of transient memory per connection (measured: 1.6 M weights -> +3.7 GB);
    reading ``chunk`` connections at a time bounds it and is also faster.

    Returns
    -------
    dict {key: ndarray}
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    parts = {k: [] for k in keys}
    for start in range(0, len(conns), chunk):
        d = conns[start:start + chunk].get(keys)
        d = d if isinstance(d, dict) else {keys[0]: d}
        for k in keys:
            parts[k].append(np.atleast_1d(np.asarray(d[k])))
    return {k: (np.concatenate(v) if v else np.empty(0)) for k, v in parts.items()}


def set_connections_array(conns, chunk=100_000, **values):
    """Set per-connection arrays (same order as ``conns``), in slices.

    Passed as one dict per connection: NEST refuses per-key lists under MPI
    (``SynapseCollection.set`` cannot know they are rank-local), while the
    collections here come from ``GetConnections`` and hold only this rank's
    synapses, so the dicts line up with them.
    """
    keys = list(values)
    for start in range(0, len(conns), chunk):
        cols = [np.asarray(values[k][start:start + chunk]).tolist() for k in keys]
        conns[start:start + chunk].set([dict(zip(keys, row)) for row in zip(*cols)])


def num_connections():
    """Current number of synapses in the network (summed over MPI ranks)."""
    import nest
    import parallel
    return int(parallel.world().sum(int(nest.GetKernelStatus('num_connections'))))


# --------------------------------------------------------------------------
# Inputs, dopamine, recorders
# --------------------------------------------------------------------------
def create_input_layer(positions, rate, delay, extent, generator='poisson_generator_ps'):
    """Parrot layer, each parrot fed its own Poisson train at ``rate`` (Hz).

    Parameters
    ----------
    positions : ndarray (n, 2)
    rate : float
        Rate of every parrot (Hz).
    delay : float
        Generator-to-parrot delay (ms).
    extent : list
        Layer extent (sheet units).
    generator : {'poisson_generator_ps', 'poisson_generator'}
        Both give every parrot an independent Poisson train; a parrot emits
        on the dt grid, with multiplicity when several spikes share a step.
        ``poisson_generator`` draws a Poisson count for every parrot at every
        step; ``poisson_generator_ps`` draws exponential intervals, so its
        cost grows with the spikes (docs/performance.md, Input drive).

    Returns
    -------
    (parrots, generator) : NodeCollections
    """
    import nest
    parrots = create_layer('parrot_neuron', positions, extent)
    gen = nest.Create(generator, params={'rate': float(rate)})
    nest.Connect(gen, parrots, 'all_to_all', {'weight': 1.0, 'delay': float(delay)})
    return parrots, gen


def create_da_source(deliver_interval):
    """Volume transmitter fed by a Poisson generator through a parrot.

    Parameters
    ----------
    deliver_interval : int
        Delivery interval of the volume transmitter, in multiples of min_delay.

    Returns
    -------
    (volume_transmitter, poisson_generator, parrot)
    """
    import nest
    vt = nest.Create('volume_transmitter', params={'deliver_interval': int(deliver_interval)})
    gen = nest.Create('poisson_generator', params={'rate': 0.0})
    parrot = nest.Create('parrot_neuron')
    nest.Connect(gen, parrot)
    nest.Connect(parrot, vt)
    return vt, gen, parrot


def create_da_synapse(name, vt, a_plus, a_minus, stdp):
    """Copy ``stdp_dopamine_synapse`` to ``name`` with all parameters explicit."""
    import nest
    nest.CopyModel('stdp_dopamine_synapse', name, {
        'volume_transmitter': vt, 'A_plus': a_plus, 'A_minus': a_minus,
        'Wmax': stdp['Wmax'], 'Wmin': stdp['Wmin'], 'b': stdp['b'],
        'tau_plus': stdp['tau_plus'], 'tau_c': stdp['tau_c'], 'tau_n': stdp['tau_n']})


def create_spike_recorder(label, start):
    """Spike recorder on the memory backend, recording from ``start`` (ms)."""
    import nest
    return nest.Create('spike_recorder', params={'label': label, 'start': float(start),
                                                  'record_to': 'memory'})


def read_events(recorder, clear=False):
    """(senders, times_ms) arrays of a memory recorder; optionally clear it.

    Under MPI each rank's recorder holds its own neurons' spikes; the arrays
    returned are those of every rank, in rank order, on every rank.
    """
    import parallel
    ev = recorder.get('events')
    senders = np.asarray(ev['senders'], dtype=np.int64)
    times = np.asarray(ev['times'], dtype=float)
    if clear:
        recorder.n_events = 0
    return parallel.world().gather(senders, times)


# --------------------------------------------------------------------------
# Rate utilities (vectorised)
# --------------------------------------------------------------------------
def spike_counts(senders, times, first_id, n, t_start, t_stop):
    """Spikes per neuron with t_start <= t <= t_stop (ms); ids first_id..first_id+n-1."""
    sel = (times >= t_start) & (times <= t_stop) & (senders >= first_id) & (senders < first_id + n)
    return np.bincount(senders[sel] - first_id, minlength=n)


def mean_rate(n_spikes, n_neurons, duration_ms):
    """Mean rate (Hz) of ``n_neurons`` emitting ``n_spikes`` in ``duration_ms``."""
    return float(n_spikes) / (duration_ms / 1000.0 * n_neurons) if n_neurons else float('nan')


def channel_rates(counts, members, duration_ms):
    """Mean rate (Hz) of each channel's members from per-neuron spike counts."""
    return [mean_rate(counts[m].sum(), len(m), duration_ms) for m in members]


def population_activity(times, n_neurons, t_start, t_stop, dt, window):
    """A(t) = #spikes in [t, t + window) / n * 1000 (Hz), for t = t_start, t_start+dt, ...

    Vectorised: spikes are binned on the dt grid once, then a cumulative sum
    gives every window.
    """
    n_bins = int(round((t_stop - t_start) / dt))
    w_bins = int(round(window / dt))
    idx = np.floor((np.asarray(times) - t_start) / dt + 1e-6).astype(np.int64)
    idx = idx[(idx >= 0) & (idx < n_bins + w_bins)]
    hist = np.bincount(idx, minlength=n_bins + w_bins)
    csum = np.concatenate([[0], np.cumsum(hist)])
    counts = csum[w_bins:w_bins + n_bins] - csum[:n_bins]
    return counts / n_neurons * (1000.0 / window)
