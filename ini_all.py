"""Build the basal-ganglia network from the parameter dicts (docs/model.md §1-5).

``build_network`` creates the layers in the original order, connects the 24
projections (data-driven, one code path), creates the dopamine volume
transmitters with the ``syn_d1``/``syn_d2`` models and the spike
recorders, and returns a :class:`BGNetwork`. It writes no file.
"""
import time
from dataclasses import dataclass, field

import nest
import numpy as np

import connectivity
import geometry
import input_drive
import nest_routine as nr
from errors import Refused
from populations import HALVES, INPUTS, MSN_HALVES, NUCLEI, RECORDED


@dataclass
class BGNetwork:
    """The built network.

    Attributes
    ----------
    pops : dict
        NodeCollections: GPi, MSN_d1, MSN_d2, FSI, STN, GPe, GPi_fake, CSN,
        PTN, CMPf. MSN_d1 and MSN_d2 are contiguous (D1 ids first).
    xy : dict
        Positions (sheet units, full precision) per population; 'MSN' is D1
        then D2 (identical halves); GPi_fake has 3 columns.
    sizes, sizes_full : dict
        Simulated population sizes (this scale, scale 1).
    projections : list of dict
        Rows of :func:`connectivity.projection_table` plus 'n_synapses'
        (integer part and remainder, NMDA copies included) and 'n_remainder'.
    """
    pops: dict
    xy: dict
    sizes: dict
    sizes_full: dict
    centres: np.ndarray
    channel_radius: float
    projections: list
    vt: dict
    da_gen: dict
    inputs: input_drive.InputDrive   # the input layers' drive and the stimulus
    rngs: object = None          # nest_routine.Rngs of the run
    recorders: dict = field(default_factory=dict)
    build_seconds: float = 0.0

    def pop(self, name):
        """NodeCollection of a population; 'MSN' is D1 + D2."""
        if name == 'MSN':  # spatial collections cannot be joined; use the ids
            return nest.NodeCollection(self.pops['MSN_d1'].tolist() + self.pops['MSN_d2'].tolist())
        return self.pops[name]

    def first_id(self, name):
        """Smallest node id of a population (ids are contiguous)."""
        return int(self.pop(name)[0].global_id)

    def rounded_xy(self, name):
        """Positions as written to the position files (3 decimals)."""
        if name in MSN_HALVES:
            return geometry.round3(self.xy['MSN'][:len(self.pops[name])])
        return geometry.round3(self.xy[name][:, :2])

    def channels(self, name):
        """Channel members of a population: list of index arrays (docs/model.md §3)."""
        return geometry.channel_members(self.rounded_xy(name), self.centres, self.channel_radius)


def _create_neurons(bg, sizes, rngs, extent):
    """Neuron layers in the original order; consumes the grid RNG as the original."""
    common = bg['common_neuron']
    grid = rngs.grid
    xy = {'GPi': geometry.grid_positions(sizes['GPi'], 0.4, 1 - 0.1, grid),
          'MSN': None}
    pops = {}
    for name in NUCLEI:
        model = 'bg_' + name
        nest.CopyModel('iaf_psc_alpha_multisynapse', model,
                       dict(common, **bg[name + '_neuron'], I_e=bg['Ie' + name]))
        if name == 'MSN':
            half = geometry.uniform_positions(sizes['MSN'] // 2, rngs.msn)
            xy['MSN'] = np.vstack([half, half])
            nest.CopyModel(model, 'msn_d1')
            nest.CopyModel(model, 'msn_d2')
            pops['MSN_d1'] = nr.create_layer('msn_d1', half, extent)
            pops['MSN_d2'] = nr.create_layer('msn_d2', half, extent)
            continue
        if name != 'GPi':
            a0, a1 = (0.4, 1 - 0.1) if name == 'STN' else (0.5, 1.0)
            xy[name] = geometry.grid_positions(sizes[name], a0, a1, grid)
        pops[name] = nr.create_layer(model, xy[name], extent)
    z = grid.uniform(0.0, 0.5, sizes['GPi'])
    xy['GPi_fake'] = np.column_stack([geometry.round3(xy['GPi']), z])
    pops['GPi_fake'] = nr.create_layer('parrot_neuron', xy['GPi_fake'], list(extent) + [1.0])
    nest.Connect(pops['GPi'], pops['GPi_fake'], 'one_to_one',
                 {'weight': 1.0, 'delay': 1.0, 'receptor_type': 0})
    return pops, xy


def _create_inputs(bg, sim, sizes, rngs, extent, pops, xy):
    """The input layers (grid positions, consumed in the original order) and their drive."""
    for name in INPUTS:
        xy[name] = geometry.grid_positions(sizes[name], 0.5, 1.0, rngs.grid)
    drive = input_drive.create_inputs({name: xy[name] for name in INPUTS},
                                      {name: bg['rate' + name] for name in INPUTS},
                                      bg['input_delay'], extent, sim['input_generator'],
                                      rngs.inputs, sim['dt'])
    pops.update({name: drive.layers[name].nodes for name in INPUTS})
    return drive


def _layer_xy(name, pops, xy):
    """Positions (n, 2) of a layer; the MSN halves share the MSN positions."""
    if name in MSN_HALVES:
        n = len(pops['MSN_d1'])
        return xy['MSN'][:n] if name == 'MSN_d1' else xy['MSN'][n:]
    return xy[name][:, :2]


def _halves(name, pops, xy):
    """[(NodeCollection, positions)] of a population; MSN gives its D1 and D2 halves."""
    if name == 'MSN':
        n = len(pops['MSN_d1'])
        return [(pops['MSN_d1'], xy['MSN'][:n]), (pops['MSN_d2'], xy['MSN'][n:])]
    return [(pops[name], xy[name][:, :2])]


class ScaleError(Refused):
    """The network cannot be built at this scale (a focused mask holds no source)."""


def _connect(row, pre, post, conn_spec, syn_spec):
    """nest.Connect that names the parameter to change when a mask is empty.

    At very small ``scale`` a focused mask (radius 0.15) near the sheet's
    corner can hold no neuron of a scaled source population, and NEST stops
    with "Not enough sources found inside mask".
    """
    try:
        nest.Connect(pre, post, conn_spec, syn_spec)
    except Exception as err:  # NESTErrors.KernelException, the only kind seen here
        if 'Not enough sources found inside mask' not in str(err):
            raise
        raise _scale_error(row, conn_spec.get('mask', {}).get('circular', {}).get('radius'),
                           'NEST: %s' % err) from None


def _scale_error(row, radius, why):
    """The ScaleError of a projection whose mask holds no source at this scale."""
    return ScaleError(
        "key 'scale': projection %s finds no %s neuron inside the mask (radius %s) "
        'of one target (%s). The scaled source population is too sparse at this scale '
        "and seed; allowed: a larger 'scale' (0.02 and above are tested) or another 'msd'"
        % (row['key'], row['src'], radius, why))


def _integer_part(row, bg, pops, radius, ports, draw=None, draw_msn=None):
    """Connect floor(K) synapses per target for one projection.

    ``draw`` and ``draw_msn``: None (NEST's fixed in-degree, with repetition),
    or the NumPy draw (:func:`_draw`) of the sources of an input projection
    (``input_draw``) or of a projection from MSNs (``msn_draw``), connected by
    :func:`_distinct_pairs`.
    """
    src, tgt, k, delay = row['src'], row['tgt'], row['k_int'], row['delay']
    if src == 'MSN':
        if tgt == 'MSN':
            parts = connectivity.msn_collaterals(k, bg['syn_asymm'], bg['asymmetry_1'],
                                                 bg['asymmetry_2'], row['w_gaba'])
        else:
            k_d1, k_d2 = connectivity.lambda_split(k, bg['overlap_d1d2'])[tgt]
            parts = [('MSN_d1', tgt, k_d1, row['w_gaba']), ('MSN_d2', tgt, k_d2, row['w_gaba'])]
        for s, t, kk, w in parts:
            spec = nr.inhibitory_syn_spec(w, delay, ports)
            if draw_msn is not None and kk > 0:
                _distinct_pairs(row, pops, s, t, kk, radius, draw_msn, spec)
            else:
                _connect(row, pops[s], pops[t], nr.indegree_conn_spec(kk, radius), spec)
        return
    targets = ['MSN_d1', 'MSN_d2'] if tgt == 'MSN' else [tgt]
    plastic = bg['plastic_syn'] and row['key'] in bg['plastic_projections']
    for t in targets:
        if not row['excitatory']:
            spec = nr.inhibitory_syn_spec(row['w_gaba'], delay, ports)
        elif plastic:
            model = 'syn_d1' if t == 'MSN_d1' else 'syn_d2'
            g = bg['plast_gain']
            spec = nr.excitatory_syn_spec(model, row['w_ampa'] * g, row['w_nmda'] * g, delay, ports)
        else:
            spec = nr.excitatory_syn_spec('static_synapse', row['w_ampa'], row['w_nmda'], delay,
                                          ports)
        if draw is not None and src in INPUTS and k > 0:
            _distinct_pairs(row, pops, src, t, k, radius, draw, spec)
        else:
            _connect(row, pops[src], pops[t], nr.indegree_conn_spec(k, radius), spec)


def _distinct_pairs(row, pops, source, target, k, radius, draw, spec):
    """``k`` neurons of ``source`` per neuron of ``target`` from those in its mask,
    distinct or repeated as the draw's rule says (connectivity.draw_sources),
    connected pair by pair with ``spec`` (for an input, an AMPA synapse and its
    NMDA copy on the same pairs, docs/model.md §4.8)."""
    xy, rng, repeats = draw
    src_ids = np.asarray(pops[source].tolist())
    tgt_ids = np.asarray(pops[target].tolist())
    diffuse = not row['focused'] and radius is not None
    try:
        si, ti, repeated = connectivity.draw_sources(
            _layer_xy(source, pops, xy), _layer_xy(target, pops, xy), k,
            radius if radius is not None else np.inf, diffuse, rng, repeats=repeats)
    except ValueError as err:                   # an empty mask (connectivity.draw_sources)
        raise _scale_error(row, radius, err) from None
    row['n_repeated_targets'] = row.get('n_repeated_targets', 0) + repeated
    nr.connect_pairs(src_ids[si], tgt_ids[ti], nr.pair_specs(spec))


def _remainder(row, bg, pops, xy, sizes, sizes_full, radius, ports, rng):
    """Fractional-remainder synapses of one projection (static, no D1/D2 filter)."""
    srcs, tgts = _halves(row['src'], pops, xy), _halves(row['tgt'], pops, xy)
    src_ids = np.concatenate([np.asarray(nc.tolist()) for nc, _ in srcs])
    tgt_ids = np.concatenate([np.asarray(nc.tolist()) for nc, _ in tgts])
    src_xy = np.vstack([p for _, p in srcs])
    tgt_xy = np.vstack([p for _, p in tgts])
    diffuse = not row['focused']
    si, ti = connectivity.remainder_pairs(src_xy, tgt_xy, row['frac'], len(src_ids), sizes_full[row['tgt']],
                                sizes[row['tgt']], radius if radius is not None else np.inf,
                                diffuse and radius is not None, bg['remainder_mode'], rng)
    if row['excitatory']:
        specs = [{'synapse_model': 'static_synapse', 'weight': row['w_ampa'],
                  'delay': row['delay'], 'receptor_type': ports['AMPA']},
                 {'synapse_model': 'static_synapse', 'weight': row['w_nmda'],
                  'delay': row['delay'], 'receptor_type': ports['NMDA']}]
    else:
        specs = [nr.inhibitory_syn_spec(row['w_gaba'], row['delay'], ports)]
    nr.connect_pairs(src_ids[si], tgt_ids[ti], specs)
    return len(si) * len(specs)


def _draw(rule, xy, rng, layer_scale):
    """The NumPy draw of a family of projections: None for NEST's own draw, else
    (positions, rng, None or (rule, scale of the source layer) for the repeats)."""
    if rule == 'nest':
        return None
    return xy, rng, (None if rule == 'without_repetition' else (rule, layer_scale))


def _connect_all(bg, pops, xy, sizes, sizes_full, rngs, progress, sim):
    """All projections in lexicographic key order; returns the table with counts."""
    table = connectivity.projection_table(bg, sizes_full)
    s_in, rule = connectivity.input_plan(sim)
    draw = _draw(rule, xy, rngs.draw, s_in)
    draw_msn = _draw(sim['msn_draw'], xy, rngs.draw_msn, sim['scale'])
    ports = bg['receptor']
    for row in table:
        if row['skipped']:
            row.update(n_synapses=0, n_remainder=0)
            continue
        t0, n0 = time.time(), nr.num_connections()
        if row['focused']:
            radius = bg['focused_radius']
        elif bg['diffuse_mode'] == 'uniform':
            radius = None
        else:
            radius = bg['diffuse_radius_factor'] * 1.0
        _integer_part(row, bg, pops, radius, ports, draw, draw_msn)
        row['n_remainder'] = _remainder(row, bg, pops, xy, sizes, sizes_full, radius, ports,
                                        rngs.conn)
        row['n_synapses'] = nr.num_connections() - n0
        row['build_seconds'] = time.time() - t0
        progress('  %-10s %10d synapses (%d remainder) in %.1f s'
                 % (row['key'], row['n_synapses'], row['n_remainder'], row['build_seconds']))
    return table


def build_network(sim, bg, rngs, progress=print, detail=None):
    """Create and connect the whole BG network.

    Parameters
    ----------
    sim, bg : dict
        Validated parameters (``fetch_params.read_sim`` / ``read_bg``).
    rngs : nest_routine.Rngs
        Random streams derived from ``sim['msd']``.
    progress : callable
        Receives the closing line of the build (nodes, synapses, seconds).
    detail : callable, optional
        Receives one line per stage and projection (default: ``progress``).

    Returns
    -------
    BGNetwork
    """
    t_start = time.time()
    nr.setup_kernel(sim['dt'], sim['nbcpu'], rngs.nest_seed)
    extent = [int(sim['scalefactor'][0]) + 1, int(sim['scalefactor'][1]) + 1]
    sizes_full, sizes = connectivity.population_sizes(bg, sim['scale'], sim['scalefactor'], connectivity.input_scale(sim))
    pops, xy = _create_neurons(bg, sizes, rngs, extent)
    inputs = _create_inputs(bg, sim, sizes, rngs, extent, pops, xy)
    vt, da_gen = {}, {}
    interval = sim['vt_deliver_interval'][sim['mode']]
    stdp = bg['stdp']
    for half in HALVES:
        vt[half], da_gen[half], _ = nr.create_da_source(interval)
        nr.create_da_synapse('syn_' + half, vt[half], stdp['A_plus_' + half],
                             stdp['A_minus_' + half], stdp)
    detail = progress if detail is None else detail
    detail('created %d nodes in %.1f s' % (nest.GetKernelStatus('network_size'),
                                           time.time() - t_start))
    table = _connect_all(bg, pops, xy, sizes, sizes_full, rngs, detail, sim)
    net = BGNetwork(pops=pops, xy=xy, sizes=sizes, sizes_full=sizes_full,
                    centres=geometry.channel_centres(bg['n_channels'], bg['channel_ring_radius']),
                    channel_radius=bg['channel_radius'], projections=table, vt=vt,
                    da_gen=da_gen, inputs=inputs, rngs=rngs)
    names = RECORDED + (INPUTS if sim['record_inputs'] else ())
    for name in names:
        net.recorders[name] = nr.create_spike_recorder(name, sim['record_start'])
        nest.Connect(pops[name], net.recorders[name])
    net.build_seconds = time.time() - t_start
    progress('built the network in %.1f s: %d nodes, %d synapses'
             % (net.build_seconds, nest.GetKernelStatus('network_size'), nr.num_connections()))
    return net
