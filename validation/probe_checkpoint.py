#!/usr/bin/env python3
"""Per-neuron rates of a learned network: probe episodes on a run's checkpoint.

Usage::

    python3 validation/probe_checkpoint.py LOGDIR [--pattern T2] [--episodes 3] [--out probe.npz]

Rebuilds the network of a plasticity run from its run.json (with as many
threads as the run had virtual processes: NEST draws the connectivity per
virtual process), sets the weights and traces of checkpoint.npz (the final
ones for a finished run), and simulates ``--episodes`` test episodes of one stimulus pattern without
dopamine: ``T2`` (channel 2 strong, the CS- pattern), ``T1`` (channel 1
strong) or ``T`` (silence). The input trains are those of the episodes
after the protocol (stream ``episode``, index ``n_total + k``), so the
probe is reproducible from the run's msd and never replays a training
episode. Nothing is written into the run folder.

It prints, for MSN_d1, MSN_d2 and GPi in channels 1 and 2, the spread of
the per-neuron rates over the stimulus windows (mean, median, 90th
percentile, maximum, share of the spikes from the top tenth of the
neurons), and for each GPi neuron of channels 1 and 2 its rate next to its
striatal drive: the mean rate of its MSN_d1 and of its MSN_d2 afferents,
each synapse counted once (multapses several times), in Hz. The spread of
that drive over a channel's GPi neurons is what a reduced network changes:
its GPi neurons draw their fixed in-degree from fewer distinct MSNs.
"""
import argparse
import os
import sys

import numpy as np

import checkpoint
import fetch_params as fp
import geometry
import modes
import nest_routine as nr
import protocol
import rates
import run_folder as rf
from errors import Refused
from populations import COMPARED_POPS, HALVES
from weight_spread import spread

PATTERNS = ('T1', 'T2', 'T')
POPS = COMPARED_POPS
LABEL = 'probe_checkpoint'


def afferent_drive(sources, targets, rates_by_source, target_ids):
    """Mean rate (Hz) of each target's afferents, one term per synapse.

    Parameters
    ----------
    sources, targets : array of int
        Node ids of every synapse of the projection.
    rates_by_source : callable
        Maps an array of source ids to their rates (Hz).
    target_ids : array of int
        The targets to report, in this order.

    Returns
    -------
    ndarray of float
        Per target, the mean of its synapses' source rates (NaN without synapses).
    """
    order = np.argsort(target_ids)
    at = np.searchsorted(target_ids, targets, sorter=order)
    at = np.clip(at, 0, len(target_ids) - 1)
    keep = target_ids[order][at] == targets
    slot = order[at[keep]]
    total = np.bincount(slot, weights=rates_by_source(sources[keep]), minlength=len(target_ids))
    count = np.bincount(slot, minlength=len(target_ids))
    with np.errstate(invalid='ignore', divide='ignore'):
        return total / count


def restore(net, sim, bg, data):
    """Weights and traces of the checkpoint on the rebuilt network (checked, then
    read back and compared: a probe of the wrong weights would be worthless)."""
    state = modes.PlasticState(net, bg['n_report_channels'], sim['weights_readout_msn'],
                             bg['plastic_projections'])
    state.check(data)
    state.restore(data, bg)
    back = state.snapshot()
    for h in HALVES:
        if not np.array_equal(back[h + '_weight'], data[h + '_weight']):
            raise RuntimeError('the restored %s weights differ from checkpoint.npz' % h)
    return state


def simulate_probes(net, sim, pattern, n_episodes, n_total):
    """Spike counts per neuron of POPS summed over the probe's stimulus windows."""
    import nest
    stim = modes.Stimulus(net, modes.scaled_subset(sim, 'pl_n_stim'), net.rngs.py, sim['stim_delay'])
    ep_len = protocol.episode_length_ms(sim)
    lvl1, lvl2 = protocol.stimulus_levels('CS-', pattern, sim)
    net.inputs.run(sim['pl_warmup'], 'warmup')
    t_base = nest.biological_time
    counts = {p: np.zeros(len(net.pops[p]), int) for p in POPS}
    for k in range(n_episodes):
        start = t_base + ep_len * k
        stop = start + sim['stim_duration']
        stim.drive_levels(sim, lvl1, lvl2, start, stop)
        net.inputs.load(start + ep_len, 'episode', n_total + k)
        net.inputs.simulate(ep_len)
        for name, rec in net.recorders.items():
            senders, times = nr.read_events(rec, clear=True)
            if name in counts:
                counts[name] += rates.spike_counts(senders, times, net.first_id(name),
                                                len(counts[name]), start, stop)
    return counts


def probe(log_dir, pattern='T2', n_episodes=3, progress=print):
    """Run the probe; returns a dict of per-neuron rates (Hz), channel members and
    the GPi drive (see the module docstring). It runs in one process, with as
    many threads as the run had virtual processes (its network depends on them)."""
    import nest

    import ini_all
    meta, sim, bg = checkpoint.run_params(log_dir, progress, LABEL)
    if sim['mode'] != 'plasticity':
        raise fp.ParamError('%s %s: the run there is %s; only plasticity runs have a '
                            'checkpoint' % (LABEL, log_dir, sim['mode']))
    checkpoint.check_inputs(log_dir, meta, sim, LABEL)
    data = rf.read_checkpoint(log_dir, LABEL)
    sim['nbcpu'] = checkpoint.rebuild_threads(meta, 1, None, LABEL, log_dir)
    net = ini_all.build_network(sim, bg, geometry.make_rngs(sim['msd']), progress)
    restore(net, sim, bg, data)
    n_total = protocol.n_episodes(sim)
    nest.rng_seed = checkpoint.resume_seed(sim['msd'], n_total)
    counts = simulate_probes(net, sim, pattern, n_episodes, n_total)
    seconds = n_episodes * sim['stim_duration'] / 1000.0
    rates = {p: c / seconds for p, c in counts.items()}
    out = {'episode': data['next_episode'], 'pattern': pattern, 'n_episodes': n_episodes,
           'rates': rates, 'members': {p: net.channels(p) for p in POPS}}
    gpi_ids = np.asarray(net.pops['GPi'].tolist())
    for half in HALVES:
        src = 'MSN_' + half
        d = nr.get_connections_array(nest.GetConnections(source=net.pops[src],
                                                         target=net.pops['GPi']),
                                     ['source', 'target'])
        first = net.first_id(src)
        out['drive_' + half] = afferent_drive(np.asarray(d['source']), np.asarray(d['target']),
                                              lambda s, r=rates[src], f=first: r[s - f],
                                              gpi_ids)
    return out


def report(result, channels=(1, 2)):
    """Lines of the probe report."""
    lines = ['probe %s x %d after episode %d: per-neuron rates over the stimulus windows (Hz)'
             % (result['pattern'], result['n_episodes'], result['episode']),
             '  pop     ch     n     mean   median      p90      max  top-10% spikes']
    for pop in POPS:
        for ch in channels:
            s = spread(result['rates'][pop][result['members'][pop][ch]])
            lines.append('  %-6s %3d %5d %8.3f %8.3f %8.3f %8.3f %15.2f'
                         % (pop, ch, s['n'], s['mean'], s['p50'], s['p90'], s['max'],
                            s['top_share']))
    lines.append('  GPi neurons: rate / mean rate of the MSN_d1 and MSN_d2 afferents (Hz)')
    for ch in channels:
        m = result['members']['GPi'][ch]
        cells = ', '.join('%.1f/%.2f/%.2f' % (result['rates']['GPi'][i], result['drive_d1'][i],
                                               result['drive_d2'][i]) for i in m)
        d2 = result['drive_d2'][m]
        lines.append('  ch %d: %s' % (ch, cells))
        lines.append('  ch %d: D2 drive mean %.3f, sd %.3f over its %d GPi neurons'
                     % (ch, d2.mean(), d2.std(), len(m)))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('logdir', help='plasticity run folder with run.json and checkpoint.npz')
    ap.add_argument('--pattern', choices=PATTERNS, default='T2',
                    help='T2: channel 2 strong (CS-); T1: channel 1 strong (CS+); T: silence')
    ap.add_argument('--episodes', type=int, default=3, help='probe episodes (default 3)')
    ap.add_argument('--out', default=None, help='also save the per-neuron results (.npz)')
    args = ap.parse_args(argv)
    if args.episodes < 1:
        ap.error('--episodes must be at least 1, got %d' % args.episodes)
    if args.out and not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        ap.error('--out %s: its folder does not exist' % args.out)
    try:
        result = probe(args.logdir, args.pattern, args.episodes,
                       progress=lambda line: print(line, file=sys.stderr))
    except Refused as err:
        sys.exit('error: %s' % err)
    print('\n'.join(report(result)))
    if args.out:
        flat = {'%s_rate' % p: r for p, r in result['rates'].items()}
        flat.update(drive_d1=result['drive_d1'], drive_d2=result['drive_d2'],
                    episode=result['episode'])
        flat.update(('%s_ch%d' % (p, k), m) for p in POPS
                    for k, m in enumerate(result['members'][p]))
        np.savez(args.out, **flat)


if __name__ == '__main__':
    main()
