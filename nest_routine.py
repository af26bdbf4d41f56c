"""The NEST calls of the model: kernel, layers, connections, synapses, recorders.

Everything that needs a NEST kernel lives here; the formulas it applies are
pure functions in ``connectivity``, ``geometry`` and ``rates``. Units: ms,
mV, pA, Hz, sheet units.
"""
import nest
import numpy as np


# --------------------------------------------------------------------------
# Kernel and layers
# --------------------------------------------------------------------------
def setup_kernel(dt, n_threads, seed):
    """Reset NEST and set resolution (ms), threads and the RNG seed."""
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({'resolution': float(dt), 'local_num_threads': int(n_threads),
                          'rng_seed': int(seed), 'print_time': False})
    return nest


# --------------------------------------------------------------------------
# Positions (docs/model.md §2)
# --------------------------------------------------------------------------


def reseed(seed):
    """Set the kernel's RNG seed (a resumed run draws fresh noise)."""
    nest.rng_seed = int(seed)


def create_layer(model, positions, extent, params=None):
    """Create a free spatial layer (periodic) of ``model`` at ``positions``."""
    spatial = nest.spatial.free([list(p) for p in positions], extent=list(extent),
                                edge_wrap=True)
    return nest.Create(model, positions=spatial, params=params)


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
    return nest.CollocatedSynapses(
        {'synapse_model': model, 'weight': w_ampa, 'delay': delay, 'receptor_type': ports['AMPA']},
        {'synapse_model': model, 'weight': w_nmda, 'delay': delay, 'receptor_type': ports['NMDA']})


def inhibitory_syn_spec(w_gaba, delay, ports):
    """Static GABA synapse."""
    return {'synapse_model': 'static_synapse', 'weight': w_gaba, 'delay': delay,
            'receptor_type': ports['GABA']}


def pair_specs(spec):
    """The synapse dicts of a spec for :func:`connect_pairs` (a CollocatedSynapses
    gives its AMPA and NMDA dicts, connected on the same pairs)."""
    if isinstance(spec, nest.CollocatedSynapses):
        return [dict(s) for s in spec.syn_specs]
    return [dict(spec)]


def connect_pairs(src_ids, tgt_ids, syn_specs):
    """Connect explicit (pre, post) id arrays one-to-one, once per synapse spec."""
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
    vt = nest.Create('volume_transmitter', params={'deliver_interval': int(deliver_interval)})
    gen = nest.Create('poisson_generator', params={'rate': 0.0})
    parrot = nest.Create('parrot_neuron')
    nest.Connect(gen, parrot)
    nest.Connect(parrot, vt)
    return vt, gen, parrot


def create_da_synapse(name, vt, a_plus, a_minus, stdp):
    """Copy ``stdp_dopamine_synapse`` to ``name`` with all parameters explicit."""
    nest.CopyModel('stdp_dopamine_synapse', name, {
        'volume_transmitter': vt, 'A_plus': a_plus, 'A_minus': a_minus,
        'Wmax': stdp['Wmax'], 'Wmin': stdp['Wmin'], 'b': stdp['b'],
        'tau_plus': stdp['tau_plus'], 'tau_c': stdp['tau_c'], 'tau_n': stdp['tau_n']})


def create_spike_recorder(label, start):
    """Spike recorder on the memory backend, recording from ``start`` (ms)."""
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
