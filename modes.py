"""The three protocols of the model: resting state, action selection, plasticity.

Each protocol is a function ``run_<mode>(net, sim, bg, run_log, progress,
stop_flag, **kw)`` listed in :data:`PROTOCOLS`: it simulates the built
network (``ini_all.BGNetwork``), writes its rows through ``run_log`` (a
``run_folder.RunLog``), stops at a signal with ``errors.Interrupted`` and
returns a dict of timings for run.json. A fourth protocol is one function and
one entry. Protocol numbers (episodes, windows, rates) come from ``sim``;
the episode plan and the reward rule are ``protocol``'s (docs/model.md §6).
"""
import os
import platform
import stat
import time

import nest
import numpy as np

import connectivity
import nest_routine as nr
import parallel
import protocol
import rates
from errors import Interrupted, Refused, RunFailed, bad_value
from populations import (
    AS_RATE_POPS,
    HALVES,
    PL_RATE_POPS,
    POSITION_POPS,
    RESTING_REPORTED,
    STIMULATED_INPUTS,
)
from protocol import episode_length_ms, episode_plan, reward_decision, stimulus_levels


def write_network_files(run_log, net, bg):
    """Position files, channel centres and the weights_d*.txt construction log."""
    for name in POSITION_POPS:
        ids = net.pop(name).tolist()
        # MSN_d1 / MSN_d2 share the positions of the first half of 'MSN'
        xy = net.xy[name] if name in net.xy else net.xy['MSN'][:len(ids)]
        run_log.write_positions(name + '.txt', ids, xy)
    run_log.write_table('centers.txt', net.centres)
    rows = {r['key']: r for r in net.projections}
    g = bg['plast_gain']
    for half in HALVES:
        defaults = nest.GetDefaults('syn_' + half)
        lines = ['syn_%s defaults: %s' % (half, {k: defaults[k] for k in (
            'A_plus', 'A_minus', 'Wmax', 'Wmin', 'b', 'tau_plus', 'tau_c', 'tau_n')})]
        for key in ('CSN->MSN', 'PTN->MSN'):
            lines.append('%s: %r' % (key, float(rows[key]['w_ampa'] * g)))
            lines.append('mirror NMDA %s, weight: %r' % (half, float(rows[key]['w_nmda'] * g)))
        run_log.write_text('weights_%s.txt' % half, '\n'.join(lines) + '\n')


def run_metadata(sim, bg, net, extra):
    """Everything needed to reproduce and audit a run (written to run.json).

    ``extra`` carries ``git_commit``, taken once when the run starts: the
    checkout may change while a long run goes on, the running code does not."""
    return dict(extra, msd=sim['msd'], mode=sim['mode'], nest_version=nest.__version__,
                threads=nest.GetKernelStatus('local_num_threads'),
                mpi_processes=nest.NumProcesses(),
                virtual_processes=nest.GetKernelStatus('total_num_virtual_procs'),
                python=platform.python_version(),
                n_nodes=int(nest.GetKernelStatus('network_size')),
                n_synapses=nr.num_connections(),
                population_sizes=net.sizes, build_seconds=net.build_seconds,
                inputs=connectivity.input_plan_record(sim),
                projections=net.projections, simParams={k: v for k, v in sim.items() if k != 'mode'},
                bgParams=bg)


def with_msn(events):
    """Add 'MSN' (D1 and D2 spikes together) to a {population: (senders, times)} dict."""
    d1, d2 = events['MSN_d1'], events['MSN_d2']
    events['MSN'] = (np.concatenate([d1[0], d2[0]]), np.concatenate([d1[1], d2[1]]))
    return events


def first_ids_and_sizes(net, names):
    """{population: (first node id, number of neurons)}, computed once."""
    return {n: (net.first_id(n), len(net.pop(n))) for n in names}


def resting_rates(net, sim, t_stop):
    """Mean rate (Hz) of every recorded population and of MSN over [record_start, t_stop]."""
    duration = t_stop - sim['record_start']
    events = with_msn({name: nr.read_events(rec) for name, rec in net.recorders.items()})
    sizes = first_ids_and_sizes(net, events)
    mean_rates = {name: rates.mean_rate(len(s), sizes[name][1], duration)
             for name, (s, _) in events.items()}
    return mean_rates, events, sizes


RESTING_CHECK_MS = 1000.0      # a resting run looks for Ctrl-C / SIGTERM this often (model ms)


PROGRESS_EVERY_S = 10.0        # at most one progress line per this many wall seconds


def clock(seconds):
    """Wall time as h:mm:ss."""
    seconds = int(round(max(0.0, seconds)))
    return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def resting_progress(t_stop, t0, progress, stop_flag):
    """The callback of a resting run's simulation: stops at a signal (raising
    ``run_control.Interrupted``) and prints progress lines on long runs."""
    last = t0

    def after(t_now):
        nonlocal last
        if t_now < t_stop - 1e-6:
            stop_flag.check(model_ms=t_now)
        now = time.time()
        if now - last >= PROGRESS_EVERY_S and t_now < t_stop - 1e-6:
            last = now
            progress('simulated %.0f of %.0f ms | %s, ETA %s' % (
                t_now, t_stop, clock(now - t0), clock((now - t0) / t_now * (t_stop - t_now))))
    return after


def run_resting_state(net, sim, bg, run_log, progress, stop_flag):
    """Simulate, then write mean_fr.json, At.json, performance.txt and spikes."""
    t_stop = sim['simDuration'] + sim['initial_ignore']
    t0 = time.time()
    net.inputs.run(t_stop, 'resting', after=resting_progress(t_stop, t0, progress, stop_flag),
                   every_ms=RESTING_CHECK_MS)
    sim_seconds = time.time() - t0
    mean_rates, events, sizes = resting_rates(net, sim, t_stop)
    run_log.write_json('mean_fr.json', mean_rates)
    activity = {name: rates.population_activity(times, sizes[name][1], sim['record_start'], t_stop,
                                             sim['dt'], sim['at_window']).tolist()
                for name, (_, times) in events.items()}
    run_log.write_json('At.json', activity)
    run_log.append_line('performance.txt', 'Simulation_Elapse_Time %r' % sim_seconds)
    if sim['save_spikes']:
        for name in net.recorders:
            run_log.append_spikes(name, *events[name])
    progress('simulated %.0f ms in %.1f s (%.1f s per model second)'
             % (t_stop, sim_seconds, sim_seconds / (t_stop / 1000.0)))
    progress('rates (Hz): ' + ', '.join('%s %.3f' % (k, mean_rates[k]) for k in
                                        RESTING_REPORTED
                                        if k in mean_rates))
    return {'sim_seconds': sim_seconds, 'model_ms': t_stop, 'rates': mean_rates,
            'n_spikes': int(sum(len(events[n][0]) for n in net.recorders))}


class Stimulus:
    """Per-channel Poisson stimulus on sampled CSN/PTN input nodes (docs/model.md §6.2).

    For each input population and channel, ``n`` nodes are sampled (Python
    stream of the master seed) from the channel's members; the network's
    input drive (``net.inputs``) adds the stimulus rate on them inside a
    window, on top of the background rate.
    """

    def __init__(self, net, n_per_channel, rng, delay):
        self.inputs = net.inputs
        self.handles, self.subsets, self.recorders, self.first = {}, {}, {}, {}
        for name in STIMULATED_INPUTS:
            first = net.first_id(name)
            self.first[name] = first
            chosen = []
            for k, members in enumerate(net.channels(name)):
                if len(members) < n_per_channel:
                    raise RuntimeError('%s channel %d has %d members, fewer than the %d to '
                                       'stimulate' % (name, k, len(members), n_per_channel))
                ids = sorted(rng.sample(sorted(int(first + m) for m in members), n_per_channel))
                chosen.append(np.asarray(ids) - first)
                self.handles[name, k] = self.inputs.add_stimulus(name, chosen[-1], delay)
            self.subsets[name] = chosen
            parallel.world().agree('the stimulated %s subsets' % name, *chosen)
            everyone = nest.NodeCollection(sorted(set(int(first + i) for c in chosen for i in c)))
            self.recorders[name] = nr.create_spike_recorder(name + '_stim', 0.0)
            nest.Connect(everyone, self.recorders[name])

    def drive(self, channel, csn_rate, ptn_rate, start, stop):
        """Drive one channel with extra rates (Hz) during (start, stop] (ms)."""
        for name, rate in (('CSN', csn_rate), ('PTN', ptn_rate)):
            self.inputs.stimulate(self.handles[name, channel], rate, start, stop)

    def drive_levels(self, sim, lvl1, lvl2, start, stop):
        """Channels 1 and 2 at stimulus levels (rate steps) of a plasticity pattern:
        CSN ``pl_rate_step`` Hz per level, PTN ``pl_ptn_ratio`` times that."""
        for ch, lvl in ((1, lvl1), (2, lvl2)):
            csn = sim['pl_rate_step'] * lvl
            self.drive(ch, csn, csn * sim['pl_ptn_ratio'], start, stop)


class EpisodeRates:
    """Per-channel rates of the recorded populations over one window per episode.

    Reads the memory recorders and clears them, so the per-episode work does
    not grow with the run; spikes are appended to files when asked.
    """

    def __init__(self, net, names, run_log, save_spikes, stimulus=None, time_offset=0.0,
                 t_min=0.0):
        """``time_offset`` (ms) is added to spike times written to files and spikes
        before ``t_min`` (ms, NEST time) are not written: a resumed run writes on
        the original run's time axis and leaves out its fresh warm-up."""
        self.net, self.names, self.log, self.save = net, names, run_log, save_spikes
        self.stimulus = stimulus
        self.time_offset, self.t_min = time_offset, t_min
        self.members = {n: net.channels(n) for n in names}
        self.sizes = first_ids_and_sizes(net, names)
        self.n_spikes = 0                   # spikes read so far (all recorders)
        self.carry = {}                     # spikes read by flush(), kept for the next rates

    def _events(self):
        events = {}
        for name, rec in self.net.recorders.items():
            events[name] = nr.read_events(rec, clear=True)
        if self.stimulus is not None:
            for name, rec in self.stimulus.recorders.items():
                events[name + '_stim'] = nr.read_events(rec, clear=True)
        self.n_spikes += sum(len(s) for s, _ in events.values())
        if self.save:
            for name, (s, t) in events.items():
                keep = t >= self.t_min
                self.log.append_spikes(name, s[keep], t[keep] + self.time_offset)
        carry, self.carry = self.carry, {}
        for name, (s, t) in carry.items():      # spikes read at the last flush come first
            events[name] = (np.concatenate([s, events[name][0]]),
                            np.concatenate([t, events[name][1]]))
        return with_msn(events)

    def flush(self):
        """Read (and write) the spikes recorded since the last read, e.g. at the end
        of an episode, so the spike files hold every episode whole. The spikes
        are kept for the next rate window (a spike at exactly its start counts)."""
        events = self._events()
        self.carry = {name: events[name] for name in events if name != 'MSN'}

    def collect(self, t_start, t_stop, n_channels):
        """{population: [rate of channel 0..n-1 (Hz)]} over t_start <= t <= t_stop (ms)."""
        events = self._events()
        out = {}
        for name in self.names:
            s, t = events[name]
            first, n = self.sizes[name]
            counts = rates.spike_counts(s, t, first, n, t_start, t_stop)
            out[name] = rates.channel_rates(counts, self.members[name][:n_channels],
                                         t_stop - t_start)
        if self.stimulus is not None:
            for name in STIMULATED_INPUTS:
                s, t = events[name + '_stim']
                n = len(self.net.pops[name])
                counts = rates.spike_counts(s, t, self.stimulus.first[name], n, t_start, t_stop)
                out[name] = rates.channel_rates(counts, self.stimulus.subsets[name][:n_channels],
                                             t_stop - t_start)
        return out


def scaled_subset(sim, key):
    """Stimulated parrots per channel (at least 1): ``sim[key]`` is the number at
    scale 1, scaled like the input layers (whole with ``full_size_inputs``)."""
    return max(1, int(round(sim[key] * connectivity.input_scale(sim))))


def dump_connections(run_log, net, stimulus, n_channels):
    """Figure 1E/1F/1G connection dumps: ``target source weight`` rows.

    CSN_c{k}_to_MSN_d{1,2}.txt / PTN_...: from the stimulated parrots of
    channel k (AMPA and NMDA rows). MSN_d{1,2}_c{k}_to_MSN_d{1,2}.txt: from
    the channel-k MSNs of each half (new; the original never wrote them).
    """

    world = parallel.world()

    def write(name, src, tgt):
        d = nr.get_connections_array(nest.GetConnections(source=src, target=tgt),
                                     ['target', 'source', 'weight'])
        rows = np.column_stack(world.gather(d['target'], d['source'], d['weight']))
        run_log.write_table(name, rows, fmt=['%d', '%d', '%.18e'])

    for k in range(n_channels):
        for inp in STIMULATED_INPUTS:
            ids = stimulus.subsets[inp][k] + stimulus.first[inp]
            for half in HALVES:
                write('%s_c%d_to_MSN_%s.txt' % (inp, k, half),
                      nest.NodeCollection(sorted(ids.tolist())), net.pops['MSN_' + half])
        for src_half in HALVES:
            members = net.channels('MSN_' + src_half)[k] + net.first_id('MSN_' + src_half)
            src = nest.NodeCollection(sorted(members.tolist()))
            for half in HALVES:
                write('MSN_%s_c%d_to_MSN_%s.txt' % (src_half, k, half), src,
                      net.pops['MSN_' + half])


def run_action_selection(net, sim, bg, run_log, progress, stop_flag):
    """Warm-up, connection dumps, then the grid of channel-1 x channel-2 inputs."""
    n_rep = bg['n_report_channels']
    stim = Stimulus(net, scaled_subset(sim, 'as_n_stim'), net.rngs.py, sim['stim_delay'])
    episode_rates = EpisodeRates(net, ('GPi', 'MSN', 'MSN_d1', 'MSN_d2'), run_log, sim['save_spikes'],
                         stim)
    t0 = time.time()
    net.inputs.run(sim['as_warmup'], 'warmup')
    dump_connections(run_log, net, stim, len(net.centres))
    period = sim['as_stim_duration'] + sim['as_break_duration']
    n = sim['as_grid']
    for e in range(n * n):
        i, j = divmod(e, n)
        start = sim['as_warmup'] + period * e
        stop = start + sim['as_stim_duration']
        for ch, level in ((1, i), (2, j)):
            csn = sim['as_rate_step'] * level
            stim.drive(ch, csn, csn * sim['as_ptn_ratio'], start, stop)
        net.inputs.load(start + period, 'action_selection', e)
        net.inputs.simulate(period)
        out = episode_rates.collect(start, stop, n_rep)
        for name in AS_RATE_POPS:
            run_log.append_row(name + '_fr.txt', out[name])
        if e + 1 < n * n:
            stop_flag.check(e + 1)
        elapsed = time.time() - t0
        progress('episode %d/%d ch1 %.1f Hz ch2 %.1f Hz | GPi %.1f/%.1f | %s, ETA %s'
                 % (e + 1, n * n, sim['as_rate_step'] * i, sim['as_rate_step'] * j,
                    out['GPi'][1], out['GPi'][2], clock(elapsed),
                    clock(elapsed / (e + 1) * (n * n - e - 1))))
    model_ms = sim['as_warmup'] + period * n * n
    return {'sim_seconds': time.time() - t0, 'model_ms': model_ms, 'n_spikes': episode_rates.n_spikes}


PL_FILES = PL_RATE_POPS


DO_TESTS_VALUES = ('F', 'T1', 'T2')


class DoTests:
    """Reader of ``do_tests.txt`` (last line, stripped); never crashes a run.

    A missing file is 'F' without a word (F is the default). Anything else
    that is not a regular file (a folder, a FIFO, a device such as a symlink
    to /dev/zero) is never read; it, a read problem (not UTF-8, unreadable)
    or a value other than F, T1, T2 gives one warning (the value shortened)
    and 'F'. Only the last 4 kB of a regular file are read, without blocking.
    """
    TAIL_BYTES = 4096

    def __init__(self, path, progress):
        self.path, self.progress, self.warned = path, progress, set()

    def _warn(self, key, text):
        if key not in self.warned:
            self.warned.add(key)
            self.progress('warning: %s %s; treating it as F' % (self.path, text))

    def _tail(self):
        """The last TAIL_BYTES of the file, or None if it is not a regular file."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)    # a FIFO opens at once
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            offset = max(0, info.st_size - self.TAIL_BYTES)
            raw = os.pread(fd, self.TAIL_BYTES, offset)
        finally:
            os.close(fd)
        if offset:                      # start at a line boundary, not inside a character
            raw = raw[raw.find(b'\n') + 1:] if b'\n' in raw else raw
        return raw

    def read(self):
        try:
            raw = self._tail()
            if raw is None:
                self._warn('kind', 'is not a regular file; allowed: a text file holding F, T1 '
                           'or T2')
                return 'F'
            text = raw.decode('utf-8')
        except FileNotFoundError:
            return 'F'
        except IsADirectoryError:
            self._warn('kind', 'is not a regular file; allowed: a text file holding F, T1 '
                       'or T2')
            return 'F'
        except UnicodeDecodeError:
            self._warn('encoding', 'is not UTF-8 text; allowed: F, T1 or T2')
            return 'F'
        except OSError as err:
            self._warn('os', 'cannot be read (%s); allowed: a file holding F, T1 or T2'
                       % (err.strerror or type(err).__name__))
            return 'F'
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        value = lines[-1] if lines else ''
        if value not in DO_TESTS_VALUES:
            shown = value if len(value) <= 40 else value[:40] + '... (%d characters)' % len(value)
            self._warn(value[:200], 'holds %r; allowed: F, T1 or T2' % shown)
            return 'F'
        return value


def readout_sample(members, max_msn, rng):
    """At most ``max_msn`` of a channel's member indices (all if 0 or fewer), sorted."""
    members = np.asarray(members)
    if max_msn == 0 or len(members) <= max_msn:
        return members
    return np.sort(rng.choice(members, size=max_msn, replace=False))


class PlasticState:
    """Handles on the plastic and eta-modulated synapses (fetched once)."""

    def __init__(self, net, n_channels, max_msn, projections):
        """``max_msn``: MSNs per channel and half in the weight read-out (0 = all);
        ``projections``: the plastic projections (bgParams plastic_projections)."""
        sources = sorted(p.split('->')[0] for p in projections)
        inputs = nest.NodeCollection(sorted(i for s in sources for i in net.pops[s].tolist()))
        self.plastic = {h: nest.GetConnections(source=inputs, synapse_model='syn_' + h)
                        for h in HALVES}
        self.eta_sets = [nest.GetConnections(source=net.pops['MSN_d2'], target=net.pops[t])
                         for t in ('MSN_d1', 'MSN_d2', 'GPe', 'GPi')]
        # synapses onto the reported channels' MSNs only, for the per-episode read-out
        self.readout, self.channel_of, self.samples = {}, {}, {}
        for h in HALVES:
            first = net.first_id('MSN_' + h)
            channels = [readout_sample(m, max_msn, net.rngs.readout)
                        for m in net.channels('MSN_' + h)[:n_channels]]
            self.samples[h] = channels
            targets = nest.NodeCollection(sorted(set(int(first + i) for m in channels for i in m)))
            self.readout[h] = nest.GetConnections(source=inputs, target=targets,
                                                  synapse_model='syn_' + h)
            d = nr.get_connections_array(self.readout[h], ['target', 'receptor'])
            member = np.full(len(net.pops['MSN_' + h]), -1)
            for k, m in enumerate(channels):
                member[m] = k
            self.channel_of[h] = (member[np.asarray(d['target']) - first], np.asarray(d['receptor']))

    def mean_weights(self, n_channels):
        """Mean cortico-striatal weight (pA) per channel: D1 AMPA, D1 NMDA, D2 AMPA, D2 NMDA."""
        sums, counts = [], []
        for h in HALVES:
            w = nr.get_connections_array(self.readout[h], 'weight')['weight']
            chan, rec = self.channel_of[h]
            for port in (1, 2):
                sel = rec == port
                sums.append(np.bincount(chan[sel] + 1, weights=w[sel],
                                        minlength=n_channels + 1)[1:])
                counts.append(np.bincount(chan[sel] + 1, minlength=n_channels + 1)[1:])
        world = parallel.world()          # this rank's synapses -> all ranks'
        sums, counts = world.sum(np.array(sums)), world.sum(np.array(counts))
        return (sums / np.maximum(counts, 1)).T.ravel()  # channel-major: ch0 (4 values), ch1, ...

    def apply_eta(self, eta, mode):
        """MSN_D2 -> MSN/GPe/GPi weights x eta (or := eta * first weight, Q-5)."""
        for conns in self.eta_sets:
            w = nr.get_connections_array(conns, 'weight')['weight']
            if not len(w):                 # no such synapse on this rank
                continue
            new = np.full_like(w, w[0] * eta) if mode == 'first_weight' else w * eta
            nr.set_connections_array(conns, weight=new)

    KEYS = ('source', 'target', 'receptor')
    STATE = ('weight', 'c', 'n')

    @staticmethod
    def _local(conns, names=KEYS + STATE):
        """This rank's plastic synapses: {name: array}."""
        return nr.get_connections_array(conns, names)

    @staticmethod
    def _sorted(d):
        """Synapses of every rank sorted by (source, target, receptor).

        GetConnections returns the same synapses in a build-dependent order
        (and under MPI only those with a local target); multapses of one
        (source, target, receptor) have identical state (same spikes, same
        initial weight), so this order identifies them.
        """
        names = list(d)
        d = dict(zip(names, parallel.world().gather(*(d[k] for k in names))))
        order = np.lexsort((d['receptor'], d['target'], d['source']))
        return {k: v[order] for k, v in d.items()}

    @staticmethod
    def _key(source, target, receptor):
        """One sortable int64 per (source, target, receptor): ids < 2**28, ports < 2**7."""
        return ((np.asarray(source, np.int64) << 35) | (np.asarray(target, np.int64) << 7)
                | np.asarray(receptor, np.int64))

    def snapshot(self):
        """Per-synapse state needed to resume, sorted by (source, target, receptor):
        weight, eligibility trace c and dopamine trace n of every plastic synapse
        (of every rank)."""
        out = {}
        for h, conns in self.plastic.items():
            for k, v in self._sorted(self._local(conns)).items():
                out['%s_%s' % (h, k)] = v
        return out

    def check(self, data):
        """Raise ParamError unless ``data`` (a checkpoint) fits the rebuilt network."""
        for h, conns in self.plastic.items():
            d = self._sorted(self._local(conns, self.KEYS))
            for key in self.KEYS + self.STATE:
                name = '%s_%s' % (h, key)
                if name not in data or len(data[name]) != len(d['source']):
                    raise Refused('checkpoint.npz does not fit the rebuilt network (%s '
                                        'missing or of another length); nothing was changed'
                                        % name)
            for key in self.KEYS:
                if not np.array_equal(d[key], data['%s_%s' % (h, key)]):
                    raise Refused('checkpoint.npz does not fit the rebuilt network '
                                        '(other synapses: a changed package or parameters?); '
                                        'nothing was changed')

    def restore(self, data, bg):
        """Set the state saved by :meth:`snapshot` on the rebuilt network: each
        rank looks its own synapses up by (source, target, receptor); then the
        eta modulation, if the checkpoint says it was applied (``bg``: its
        factor and mode). ``data`` must have passed :meth:`check` (``run``
        checks it before anything is written)."""
        for h, conns in self.plastic.items():
            d = self._local(conns, self.KEYS)
            saved = self._key(*(data['%s_%s' % (h, k)] for k in self.KEYS))
            at = np.searchsorted(saved, self._key(*(d[k] for k in self.KEYS)))
            nr.set_connections_array(conns, **{k: np.asarray(data['%s_%s' % (h, k)])[at]
                                               for k in self.STATE})
        if data['eta_done']:                 # eta sets are fully determined by this flag
            self.apply_eta(bg['MSND2_mod'], bg['eta_mode'])


def set_phase_windows(windows, phase_key, vt):
    """Apply the STDP windows of a phase and route both models to ``vt``."""
    for h in HALVES:
        a_plus, a_minus = windows[phase_key][h]
        nest.SetDefaults('syn_' + h, {'A_plus': a_plus, 'A_minus': a_minus,
                                      'volume_transmitter': vt})


def check_readout_times(sim, min_delay_ms):
    """Plasticity read-outs (episode ends) must fall on volume-transmitter triggers.

    Between triggers a dopamine synapse's stored weight lags the rule, so the
    per-episode weight read-out and the checkpoints are taken at model times
    ``pl_warmup + k * episode`` that must be multiples of
    ``vt_deliver_interval['plasticity'] * min_delay``.
    """
    interval = sim['vt_deliver_interval']['plasticity']
    period = interval * min_delay_ms
    ep_len = episode_length_ms(sim)
    for name, t in (('pl_warmup', sim['pl_warmup']), ('episode length', ep_len)):
        if abs(t / period - round(t / period)) > 1e-9:
            raise bad_value(
                'simParams', 'vt_deliver_interval', interval,
                'for plasticity, an interval whose trigger period (interval x min_delay %g ms) '
                'divides both pl_warmup and the episode length (%g ms); with %g the period is '
                '%g ms, and %s = %g ms is not a multiple of it, so weight read-outs would fall '
                'between triggers' % (min_delay_ms, ep_len, interval, period, name, t))


def run_plasticity(net, sim, bg, run_log, progress, stop_flag, resume=None, state=None,
                   checkpoint_tag=''):
    """The 230-episode conditioning / generalisation / discrimination protocol.

    After SIGINT/SIGTERM (``stop_flag``) the run ends at the end of the episode in
    progress with a checkpoint, raising ``errors.Interrupted``. ``state``: the
    plastic synapses (:class:`PlasticState`); ``resume``: the checkpoint to go on
    from; ``checkpoint_tag``: the parameter digest that ties every checkpoint
    to its run.json (``run_folder.params_digest``).
    """
    n_rep = bg['n_report_channels']
    stim = Stimulus(net, scaled_subset(sim, 'pl_n_stim'), net.rngs.py, sim['stim_delay'])
    ep_len = episode_length_ms(sim)
    first_e = resume['next_episode'] if resume is not None else 0
    episode_rates = EpisodeRates(net, PL_FILES, run_log, sim['save_spikes'],
                         time_offset=ep_len * first_e, t_min=sim['pl_warmup'] if first_e else 0.0)
    check = {'msd': sim['msd'], 'params_digest': checkpoint_tag}
    if state is None:
        state = PlasticState(net, n_rep, sim['weights_readout_msn'], bg['plastic_projections'])
    windows = protocol.stdp_windows(sim)
    world = parallel.world()
    do_tests = DoTests(os.path.join(run_log.dir, 'do_tests.txt'), progress)
    n_total = protocol.n_episodes(sim)
    eta_done = False
    last_checkpoint = first_e if resume is not None else None
    t0 = time.time()
    if resume is not None:
        eta_done = resume['eta_done']
        state.restore(resume, bg)
    else:
        run_log.write_text('plot_labels.txt', 'Lambda,%r\nkappa,%r\nMod,%r\n' % (
            bg['overlap_d1d2'], bg['syn_asymm'], bg['MSND2_mod']))
        run_log.start('reward.txt')
        run_log.start('mean_weights.txt')
    net.inputs.run(sim['pl_warmup'], 'warmup')
    t_base = nest.biological_time - ep_len * first_e   # model time at which episode 0 starts
    if resume is not None:
        progress('resumed at episode %d after a %.0f-ms warm-up' % (first_e, sim['pl_warmup']))
    progress(EPISODE_HEADER)
    for e in range(first_e, n_total):
        phase, flag = episode_plan(e, sim)
        if flag is None:
            flag = world.bcast(do_tests.read() if world.root else None)
        phase_key = 'burst' if phase == 'CS+' else 'dip'
        set_phase_windows(windows, phase_key, net.vt['d1' if phase == 'CS+' else 'd2'])
        lvl1, lvl2 = stimulus_levels(phase, flag, sim)
        start, stop = protocol.stimulus_window(e, sim, t_base)
        stim.drive_levels(sim, lvl1, lvl2, start, stop)
        net.inputs.load(start + ep_len, 'episode', e)       # the trains of the whole episode
        net.inputs.simulate(sim['stim_duration'] + sim['break_duration'])
        out = episode_rates.collect(start, stop, n_rep)
        decision = reward_decision(phase, flag, e, out, sim)
        if decision != 'none':
            dopa_start = stop + sim['break_duration']
            half = 'd1' if decision == 'burst' else 'd2'
            length = sim['burst_duration'] if decision == 'burst' else sim['dip_duration']
            net.da_gen[half].set(rate=sim['DA_rate'], start=dopa_start, stop=dopa_start + length)
            if decision == 'dip' and not eta_done:
                state.apply_eta(bg['MSND2_mod'], bg['eta_mode'])
                eta_done = True
                progress('eta modulation applied (x%g) at episode %d' % (bg['MSND2_mod'], e))
        net.inputs.simulate(ep_len - sim['stim_duration'] - sim['break_duration'])
        weights = state.mean_weights(n_rep)
        check_weights(weights, e, last_checkpoint)
        episode_rates.flush()
        for name in PL_FILES:
            run_log.append_row(name + '_fr.txt', out[name])
        run_log.append_line('CS_plus.txt', str(int(phase == 'CS+')))
        run_log.append_line('CS_minus.txt', str(int(phase == 'CS-')))
        run_log.append_line('current_task.txt', '1' if phase == 'CS+' else '-1')
        run_log.append_line('reward.txt', '%d %s %s %s' % (e, phase, flag, decision))
        run_log.append_line('mean_weights.txt', ' '.join(
            [str(e)] + ['%.9g' % w for w in weights]))
        every = sim['checkpoint_every']
        signum = stop_flag.agreed() if e + 1 < n_total else None     # read once
        if (every and ((e + 1) % every == 0 or e + 1 == n_total)) or signum:
            save_checkpoint(run_log, state, e + 1, eta_done, check)
            last_checkpoint = e + 1
        if signum:
            raise Interrupted(signum, e + 1)
        elapsed = time.time() - t0
        done = e + 1 - first_e
        progress('ep %3d/%d %-11s | GPi %5.1f/%5.1f | D1 %.3f/%.3f | D2 %.3f/%.3f | %-5s | '
                 '%s, ETA %s' % (e, n_total, episode_label(phase, flag), out['GPi'][1],
                                 out['GPi'][2], out['MSN_d1'][1], out['MSN_d1'][2],
                                 out['MSN_d2'][1], out['MSN_d2'][2], decision, clock(elapsed),
                                 clock(elapsed / done * (n_total - e - 1))))
    return {'sim_seconds': time.time() - t0, 'model_ms': sim['pl_warmup'] + ep_len * n_total,
            'first_episode': first_e, 'n_spikes': episode_rates.n_spikes}


WEIGHT_COLUMNS = ('MSN_d1 AMPA', 'MSN_d1 NMDA', 'MSN_d2 AMPA', 'MSN_d2 NMDA')


EPISODE_HEADER = ('episode/total, stimulus | GPi ch1/ch2 (Hz) | D1 MSN ch1/ch2 | D2 MSN ch1/ch2 '
                  '| dopamine | elapsed, ETA (h:mm:ss)')


def episode_label(phase, flag):
    """What an episode shows its channels: 'CS+', 'CS-', a probe of either
    pattern (T1: the CS+ pattern, T2: the CS- one) or 'no stimulus' (T)."""
    return {'T1': 'probe CS+', 'T2': 'probe CS-', 'T': 'no stimulus'}.get(flag, phase)


def check_weights(weights, episode, last_checkpoint):
    """Stop the run (``run_control.RunFailed``) at a NaN or infinite mean weight.

    ``weights``: the channel-major read-out of :meth:`PlasticState.mean_weights`;
    ``last_checkpoint``: the episode the newest checkpoint resumes at (None: none).
    """
    bad = np.flatnonzero(~np.isfinite(weights))
    if not len(bad):
        return
    channel, column = divmod(int(bad[0]), len(WEIGHT_COLUMNS))
    kept = ('the last good checkpoint (resumes at episode %d) is kept' % last_checkpoint
            if last_checkpoint is not None else 'no checkpoint had been written yet')
    raise RunFailed('episode %d: the mean weight of CSN/PTN -> %s, channel %d, is %r (%d '
                       'values not finite); the run stops here and %s'
                       % (episode, WEIGHT_COLUMNS[column], channel, float(weights[bad[0]]),
                          len(bad), kept))


def save_checkpoint(run_log, state, next_episode, eta_done, check):
    """Write the resumable state atomically (checkpoint.npz).

    ``check`` (msd, params_digest) ties the checkpoint to its run.json, so a
    resume refuses a checkpoint of other parameters before anything is written.
    """
    data = state.snapshot()                   # collective under MPI
    if not parallel.world().root:
        return
    run_log.write_checkpoint(dict(next_episode=next_episode, eta_done=eta_done, **check, **data))


def preflight(net, sim):
    """NEST-dependent checks, after the build and before anything is written."""
    if sim['mode'] == 'plasticity':
        check_readout_times(sim, nest.min_delay)
    if sim['mode'] in ('action_selection', 'plasticity'):
        key = 'pl_n_stim' if sim['mode'] == 'plasticity' else 'as_n_stim'
        n = scaled_subset(sim, key)
        for name in STIMULATED_INPUTS:
            smallest = min(len(m) for m in net.channels(name))
            if smallest < n:
                raise bad_value(
                    'simParams', key, sim[key],
                    'at most %d at scale %g: that scales to %d parrots per channel, but the '
                    'smallest %s channel has %d' % (int(smallest * sim[key] / n), sim['scale'], n,
                                                    name, smallest))


PROTOCOLS = {'resting_state': run_resting_state,
             'action_selection': run_action_selection,
             'plasticity': run_plasticity}
