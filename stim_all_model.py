#!/usr/bin/env python3
"""Run the BG model in the mode switched on in simParams.py; write to ./log/.

Usage::

    python3 stim_all_model.py [--log-dir DIR] [--set KEY=VALUE ...]

Modes (docs/model.md §6): ``resting_state``, ``action_selection``, ``plasticity``.
Every output file is written here (``RunLog``) and described once in
``run_folder.OUTPUTS``; a fresh run first removes the files that contract
lists from the log folder (``do_tests.txt`` and any other file are kept).
"""
import argparse
import json
import os
import platform
import shutil
import signal
import stat
import sys
import time

import numpy as np

import conditions
import fetch_params as fp
import ini_all
import parallel
import protocol
import run_control as rc
import run_folder as rf
from protocol import episode_length_ms, episode_plan, reward_decision, stimulus_levels

HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------
# Output: one writer that knows the log folder
# --------------------------------------------------------------------------
class RunLog:
    """All file output of a run, in one folder; rows are flushed as written.

    Only files described in ``run_folder.OUTPUTS`` can be written (a
    KeyError names any other), so the contract and the writer cannot drift.
    """

    def __init__(self, log_dir):
        self.dir = os.path.abspath(log_dir)
        self.known = rf.all_output_names()

    def path(self, name):
        if name not in self.known:
            raise KeyError('%s is not in the run-folder contract (run_folder.OUTPUTS)' % name)
        return os.path.join(self.dir, name)

    def clean(self):
        """Remove the files of an earlier run that the contract lists (nothing else)."""
        for name in os.listdir(self.dir):
            if (name in self.known and name != rc.LOCK_NAME and
                    os.path.isfile(os.path.join(self.dir, name))):
                os.remove(os.path.join(self.dir, name))

    def start(self, name):
        """Start a file with its contract header line (``# columns``)."""
        self.append_line(name, '# ' + rf.entry(name).header)

    def write_json(self, name, obj):
        """Write atomically (a temporary file, then rename): never a truncated run.json."""
        with rc.atomic_write(self.path(name)) as fh:
            json.dump(obj, fh, indent=1)

    def _write(self, name, mode, text):
        path = self.path(name)
        with rc.writing(path), open(path, mode) as fh:
            fh.write(text)

    def append_row(self, name, values):
        """Append one row of Python-repr floats (the original *_fr.txt format)."""
        self._write(name, 'a', ' '.join(repr(float(v)) for v in values) + '\n')

    def write_text(self, name, text):
        self._write(name, 'w', text)

    def append_line(self, name, text):
        self._write(name, 'a', text + '\n')

    def append_spikes(self, name, senders, times):
        """Append spikes to ``<name>_spikes.dat`` (columns sender, time_ms)."""
        path = self.path(name + '_spikes.dat')
        new = not os.path.exists(path)
        with rc.writing(path), open(path, 'a') as fh:
            if new:
                fh.write('# %s\n' % rf.entry(name + '_spikes.dat').header)
            np.savetxt(fh, np.column_stack([senders, times]), fmt=['%d', '%.1f'])


def write_network_files(run_log, net, bg):
    """Position files, channel centres and the weights_d*.txt construction log."""
    import nest
    import nest_routine as nr
    for name in rf.POSITION_POPS:
        ids = net.pop(name).tolist()
        # MSN_d1 / MSN_d2 share the positions of the first half of 'MSN'
        xy = net.xy[name] if name in net.xy else net.xy['MSN'][:len(ids)]
        with rc.writing(run_log.path(name + '.txt')):
            nr.write_positions(run_log.path(name + '.txt'), ids, xy)
    with rc.writing(run_log.path('centers.txt')):
        np.savetxt(run_log.path('centers.txt'), net.centres)
    rows = {r['key']: r for r in net.projections}
    g = bg['plast_gain']
    for half in ('d1', 'd2'):
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
    import nest
    import nest_routine as nr
    return dict(extra, format_version=rf.FORMAT_VERSION,
                msd=sim['msd'], mode=sim['mode'], nest_version=nest.__version__,
                threads=nest.GetKernelStatus('local_num_threads'),
                mpi_processes=nest.NumProcesses(),
                virtual_processes=nest.GetKernelStatus('total_num_virtual_procs'),
                python=platform.python_version(),
                n_nodes=int(nest.GetKernelStatus('network_size')),
                n_synapses=nr.num_connections(),
                population_sizes=net.sizes, build_seconds=net.build_seconds,
                projections=net.projections, simParams={k: v for k, v in sim.items() if k != 'mode'},
                bgParams=bg)


# --------------------------------------------------------------------------
# resting_state (docs/model.md §6.1)
# --------------------------------------------------------------------------
def with_msn(events):
    """Add 'MSN' (D1 and D2 spikes together) to a {population: (senders, times)} dict."""
    d1, d2 = events['MSN_d1'], events['MSN_d2']
    events['MSN'] = (np.concatenate([d1[0], d2[0]]), np.concatenate([d1[1], d2[1]]))
    return events


def population_sizes(net, names):
    """{population: (first node id, number of neurons)}, computed once."""
    return {n: (net.first_id(n), len(net.pop(n))) for n in names}


def resting_rates(net, sim, t_stop):
    """Mean rate (Hz) of every recorded population and of MSN over [record_start, t_stop]."""
    import nest_routine as nr
    duration = t_stop - sim['record_start']
    events = with_msn({name: nr.read_events(rec) for name, rec in net.recorders.items()})
    sizes = population_sizes(net, events)
    rates = {name: nr.mean_rate(len(s), sizes[name][1], duration)
             for name, (s, _) in events.items()}
    return rates, events, sizes


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
    import nest
    import nest_routine as nr
    t_stop = sim['simDuration'] + sim['initial_ignore']
    t0 = time.time()
    net.inputs.run(t_stop, 'resting', after=resting_progress(t_stop, t0, progress, stop_flag),
                   every_ms=RESTING_CHECK_MS)
    sim_seconds = time.time() - t0
    rates, events, sizes = resting_rates(net, sim, t_stop)
    run_log.write_json('mean_fr.json', rates)
    activity = {name: nr.population_activity(times, sizes[name][1], sim['record_start'], t_stop,
                                             sim['dt'], sim['at_window']).tolist()
                for name, (_, times) in events.items()}
    run_log.write_json('At.json', activity)
    run_log.append_line('performance.txt', 'Simulation_Elapse_Time %r' % sim_seconds)
    if sim['save_spikes']:
        for name in net.recorders:
            run_log.append_spikes(name, *events[name])
    progress('simulated %.0f ms in %.1f s (%.1f s per model second)'
             % (t_stop, sim_seconds, sim_seconds / (t_stop / 1000.0)))
    progress('rates (Hz): ' + ', '.join('%s %.3f' % (k, rates[k]) for k in
                                        ('GPi', 'GPe', 'STN', 'FSI', 'MSN_d1', 'MSN_d2')
                                        if k in rates))
    return {'sim_seconds': sim_seconds, 'model_ms': t_stop, 'rates': rates,
            'n_spikes': int(sum(len(events[n][0]) for n in net.recorders))}


# --------------------------------------------------------------------------
# Shared pieces of the episode modes
# --------------------------------------------------------------------------
class Stimulus:
    """Per-channel Poisson stimulus on sampled CSN/PTN input nodes (docs/model.md §6.2).

    For each input population and channel, ``n`` nodes are sampled (Python
    stream of the master seed) from the channel's members; the network's
    input drive (``net.inputs``) adds the stimulus rate on them inside a
    window, on top of the background rate.
    """

    def __init__(self, net, n_per_channel, rng, delay):
        import nest
        import nest_routine as nr
        self.inputs = net.inputs
        self.handles, self.subsets, self.recorders, self.first = {}, {}, {}, {}
        for name in ('CSN', 'PTN'):
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
        self.sizes = population_sizes(net, names)
        self.n_spikes = 0                   # spikes read so far (all recorders)
        self.carry = {}                     # spikes read by flush(), kept for the next rates

    def _events(self):
        import nest_routine as nr
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
        import nest_routine as nr
        events = self._events()
        out = {}
        for name in self.names:
            s, t = events[name]
            first, n = self.sizes[name]
            counts = nr.spike_counts(s, t, first, n, t_start, t_stop)
            out[name] = nr.channel_rates(counts, self.members[name][:n_channels],
                                         t_stop - t_start)
        if self.stimulus is not None:
            for name in ('CSN', 'PTN'):
                s, t = events[name + '_stim']
                n = len(self.net.pops[name])
                counts = nr.spike_counts(s, t, self.stimulus.first[name], n, t_start, t_stop)
                out[name] = nr.channel_rates(counts, self.stimulus.subsets[name][:n_channels],
                                             t_stop - t_start)
        return out


def scaled_subset(sim, key):
    """Stimulated parrots per channel (at least 1): ``sim[key]`` is the number at
    scale 1, scaled like the input layers (whole with ``full_size_inputs``)."""
    from ini_all import input_scale
    return max(1, int(round(sim[key] * input_scale(sim))))


def dump_connections(run_log, net, stimulus, n_channels):
    """Figure 1E/1F/1G connection dumps: ``target source weight`` rows.

    CSN_c{k}_to_MSN_d{1,2}.txt / PTN_...: from the stimulated parrots of
    channel k (AMPA and NMDA rows). MSN_d{1,2}_c{k}_to_MSN_d{1,2}.txt: from
    the channel-k MSNs of each half (new; the original never wrote them).
    """
    import nest
    import nest_routine as nr

    world = parallel.world()

    def write(name, src, tgt):
        d = nr.get_connections_array(nest.GetConnections(source=src, target=tgt),
                                     ['target', 'source', 'weight'])
        rows = np.column_stack(world.gather(d['target'], d['source'], d['weight']))
        with rc.writing(run_log.path(name)):
            np.savetxt(run_log.path(name), rows, fmt=['%d', '%d', '%.18e'],
                       header=rf.entry(name).header)

    for k in range(n_channels):
        for inp in ('CSN', 'PTN'):
            ids = stimulus.subsets[inp][k] + stimulus.first[inp]
            for half in ('d1', 'd2'):
                write('%s_c%d_to_MSN_%s.txt' % (inp, k, half),
                      nest.NodeCollection(sorted(ids.tolist())), net.pops['MSN_' + half])
        for src_half in ('d1', 'd2'):
            members = net.channels('MSN_' + src_half)[k] + net.first_id('MSN_' + src_half)
            src = nest.NodeCollection(sorted(members.tolist()))
            for half in ('d1', 'd2'):
                write('MSN_%s_c%d_to_MSN_%s.txt' % (src_half, k, half), src,
                      net.pops['MSN_' + half])


# --------------------------------------------------------------------------
# action_selection (docs/model.md §6.2)
# --------------------------------------------------------------------------
def run_action_selection(net, sim, bg, run_log, progress, stop_flag):
    """Warm-up, connection dumps, then the grid of channel-1 x channel-2 inputs."""
    import nest
    n_rep = bg['n_report_channels']
    stim = Stimulus(net, scaled_subset(sim, 'as_n_stim'), net.rngs.py, sim['stim_delay'])
    rates = EpisodeRates(net, ('GPi', 'MSN', 'MSN_d1', 'MSN_d2'), run_log, sim['save_spikes'],
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
        out = rates.collect(start, stop, n_rep)
        for name in rf.AS_RATE_POPS:
            run_log.append_row(name + '_fr.txt', out[name])
        if e + 1 < n * n:
            stop_flag.check(e + 1)
        elapsed = time.time() - t0
        progress('episode %d/%d ch1 %.1f Hz ch2 %.1f Hz | GPi %.1f/%.1f | %s, ETA %s'
                 % (e + 1, n * n, sim['as_rate_step'] * i, sim['as_rate_step'] * j,
                    out['GPi'][1], out['GPi'][2], clock(elapsed),
                    clock(elapsed / (e + 1) * (n * n - e - 1))))
    model_ms = sim['as_warmup'] + period * n * n
    return {'sim_seconds': time.time() - t0, 'model_ms': model_ms, 'n_spikes': rates.n_spikes}


# --------------------------------------------------------------------------
# plasticity (docs/model.md §5, 6.3, 7)
# --------------------------------------------------------------------------
PL_FILES = rf.PL_RATE_POPS
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
        import nest
        import nest_routine as nr
        sources = sorted(p.split('->')[0] for p in projections)
        inputs = nest.NodeCollection(sorted(i for s in sources for i in net.pops[s].tolist()))
        self.plastic = {h: nest.GetConnections(source=inputs, synapse_model='syn_' + h)
                        for h in ('d1', 'd2')}
        self.eta_sets = [nest.GetConnections(source=net.pops['MSN_d2'], target=net.pops[t])
                         for t in ('MSN_d1', 'MSN_d2', 'GPe', 'GPi')]
        # synapses onto the reported channels' MSNs only, for the per-episode read-out
        self.readout, self.channel_of, self.samples = {}, {}, {}
        for h in ('d1', 'd2'):
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
        import nest_routine as nr
        sums, counts = [], []
        for h in ('d1', 'd2'):
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
        import nest_routine as nr
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
        import nest_routine as nr
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
                    raise fp.ParamError('checkpoint.npz does not fit the rebuilt network (%s '
                                        'missing or of another length); nothing was changed'
                                        % name)
            for key in self.KEYS:
                if not np.array_equal(d[key], data['%s_%s' % (h, key)]):
                    raise fp.ParamError('checkpoint.npz does not fit the rebuilt network '
                                        '(other synapses: a changed package or parameters?); '
                                        'nothing was changed')

    def restore(self, data, bg):
        """Set the state saved by :meth:`snapshot` on the rebuilt network: each
        rank looks its own synapses up by (source, target, receptor); then the
        eta modulation, if the checkpoint says it was applied (``bg``: its
        factor and mode). ``data`` must have passed :meth:`check` (``run``
        checks it before anything is written)."""
        import nest_routine as nr
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
    import nest
    for h in ('d1', 'd2'):
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
            raise fp.ParamError(
                "key 'vt_deliver_interval' has bad value %r for plasticity: %s = %g ms is not a "
                'multiple of the trigger period %g ms (interval x min_delay %g ms), so weight '
                'read-outs would fall between triggers; allowed: an interval whose period '
                'divides both pl_warmup and the episode length (%g ms)'
                % (interval, name, t, period, min_delay_ms, ep_len))


def run_plasticity(net, sim, bg, run_log, progress, stop_flag, resume=None, state=None):
    """The 230-episode conditioning / generalisation / discrimination protocol.

    After SIGINT/SIGTERM (``stop_flag``) the run ends at the end of the episode in
    progress with a checkpoint, raising ``run_control.Interrupted``.
    """
    import nest
    n_rep = bg['n_report_channels']
    stim = Stimulus(net, scaled_subset(sim, 'pl_n_stim'), net.rngs.py, sim['stim_delay'])
    ep_len = episode_length_ms(sim)
    first_e = resume['next_episode'] if resume is not None else 0
    rates = EpisodeRates(net, PL_FILES, run_log, sim['save_spikes'],
                         time_offset=ep_len * first_e, t_min=sim['pl_warmup'] if first_e else 0.0)
    check = {'msd': sim['msd'], 'params_digest': rc.params_digest(sim, bg)}
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
        start = t_base + ep_len * e
        stop = start + sim['stim_duration']
        stim.drive_levels(sim, lvl1, lvl2, start, stop)
        net.inputs.load(start + ep_len, 'episode', e)       # the trains of the whole episode
        net.inputs.simulate(sim['stim_duration'] + sim['break_duration'])
        out = rates.collect(start, stop, n_rep)
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
        rates.flush()
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
            raise rc.Interrupted(signum, e + 1)
        elapsed = time.time() - t0
        done = e + 1 - first_e
        progress('ep %3d/%d %-11s | GPi %5.1f/%5.1f | D1 %.3f/%.3f | D2 %.3f/%.3f | %-5s | '
                 '%s, ETA %s' % (e, n_total, episode_label(phase, flag), out['GPi'][1],
                                 out['GPi'][2], out['MSN_d1'][1], out['MSN_d1'][2],
                                 out['MSN_d2'][1], out['MSN_d2'][2], decision, clock(elapsed),
                                 clock(elapsed / done * (n_total - e - 1))))
    return {'sim_seconds': time.time() - t0, 'model_ms': sim['pl_warmup'] + ep_len * n_total,
            'first_episode': first_e, 'n_spikes': rates.n_spikes}


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
    raise rc.RunFailed('episode %d: the mean weight of CSN/PTN -> %s, channel %d, is %r (%d '
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
    with rc.atomic_write(run_log.path('checkpoint.npz'), 'wb') as fh:
        np.savez(fh, next_episode=next_episode, eta_done=eta_done, **check, **data)


MODES = {'resting_state': run_resting_state,
         'action_selection': run_action_selection,
         'plasticity': run_plasticity}


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--log-dir', default=None, help='output folder (default ./log)')
    parser.add_argument('--sim-params', default=None, help='simulation parameter file')
    parser.add_argument('--bg-params', default=None, help='BG parameter file')
    parser.add_argument('--resume', metavar='LOGDIR', default=None,
                        help='continue an interrupted plasticity run from its checkpoint')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the run held in the log folder (its files are removed '
                             'once the new run has passed every check)')
    parser.add_argument('--set', action='append', metavar='KEY=VALUE',
                        help='override a simParams key (repeatable), e.g. --set scale=0.1')
    parser.add_argument('--bg-set', action='append', metavar='KEY=VALUE',
                        help='override a bgParams key (repeatable), e.g. --bg-set syn_asymm=4.0')
    parser.add_argument('--overwrite-unfinished', action='store_true',
                        help='like --overwrite, but refuse a folder whose run has finished '
                             '(used by sweep.py: a run finished by another process is kept)')
    parser.add_argument('--mode', choices=fp.MODES,
                        help='the mode to run (instead of editing the switches in simParams.py)')
    parser.add_argument('--paper', metavar='NAME',
                        help="run a condition of the paper (e.g. k4_l02_m1) with every setting "
                             "that makes it comparable with the published runs; 'list' prints "
                             'the names')
    parser.add_argument('--verbose', action='store_true',
                        help="show NEST's banner and one build line per projection")
    parser.add_argument('--skip-memory-check', action='store_true',
                        help='build the network even if its estimated memory exceeds the '
                             "memory available on this machine")
    return parser.parse_args(argv)


RESUME_KEYS = ('nbcpu',)    # --set keys allowed with --resume (nbcpu x ranks must stay the run's)


def resume_overrides(args):
    """The ``--set`` values allowed with ``--resume`` (threads only); refuse the rest.

    A resumed run takes every parameter from its run.json, so an override
    that would change the model or the protocol is an error, not ignored.
    """
    if (args.bg_set or args.log_dir or args.sim_params or args.bg_params or args.overwrite
            or args.overwrite_unfinished or args.mode or args.paper):
        raise fp.ParamError('--resume %s: --bg-set, --log-dir, --sim-params, --bg-params, '
                            '--mode, --paper and --overwrite cannot be combined with --resume '
                            '(the run continues in its folder with the parameters of its '
                            'run.json)' % args.resume)
    sets = fp.parse_overrides(args.set)
    bad = sorted(set(sets) - set(RESUME_KEYS))
    if bad:
        raise fp.ParamError('--resume %s: --set %s cannot be changed on resume (the parameters '
                            'come from run.json); allowed with --resume: %s'
                            % (args.resume, ', '.join(bad), ', '.join(RESUME_KEYS)))
    if sets:
        fp.validate(dict(sets), {k: fp.SIM_SCHEMA[k] for k in sets}, '--set')
    return sets


def _package_defaults():
    """The shipped parameter files' dicts (for the format-1 upgrade only)."""
    return (fp._load(os.path.join(HERE, 'simParams.py'), 'simParams'),
            fp._load(os.path.join(HERE, 'bgParams.py'), 'bgParams'))


def run_params(log_dir, progress=print, label='--resume'):
    """(run.json, sim, bg) of a run folder, upgraded to this format and validated.

    Independent of the current parameter files (except the documented
    format-1 upgrade). Refuses a missing, truncated or foreign run.json and
    parameters that fail validation; errors start with ``label`` and the folder.
    """
    meta = rc.read_run_json(log_dir, label)
    meta_version = meta.get('format_version', 1)
    try:
        if meta_version == 1:
            meta, added = rf.upgrade_meta(meta, *_package_defaults())
            if added:
                progress('run.json of format 1: added %s from the package defaults '
                         '(docs/checkpoints.md)' % ', '.join(added))
        else:
            meta, added = rf.upgrade_meta(meta, {}, {})
            if added:
                progress('run.json of format %d: added %s with the values that format was '
                         'made with (docs/checkpoints.md)' % (meta_version, ', '.join(added)))
    except rf.RunFolderError as err:
        raise fp.ParamError('%s %s: %s' % (label, log_dir, err)) from None
    sim, bg = meta['simParams'], meta['bgParams']
    sim.pop('mode', None)
    meta_path = os.path.join(log_dir, 'run.json')
    fp.validate(sim, fp.SIM_SCHEMA, meta_path)
    fp.validate(bg, fp.BG_SCHEMA, meta_path)
    fp.check_sim(sim, meta_path)
    sim['mode'] = next(m for m in fp.MODES if sim[m])
    return meta, sim, bg


def resume_setup(log_dir, progress=print):
    """Parameters, checkpoint and run.json of an interrupted plasticity run.

    Refuses, before anything is written: what :func:`run_params` refuses, a
    missing, truncated or foreign checkpoint.npz, a checkpoint of other
    parameters, a finished run, a run of another mode.
    """
    meta, sim, bg = run_params(log_dir, progress)
    if sim['mode'] != 'plasticity':
        raise fp.ParamError('--resume %s: the run there is %s; only plasticity runs resume'
                            % (log_dir, sim['mode']))
    checkpoint = rc.read_checkpoint(log_dir)
    rc.check_resumable(log_dir, meta, sim, bg, checkpoint, protocol.n_episodes(sim))
    rc.check_rows(log_dir, checkpoint['next_episode'])
    return sim, bg, checkpoint, meta


def resume_params(args, allowed, ranks, progress):
    """(sim, bg, checkpoint, run.json) of ``--resume``: run.json's parameters with
    the allowed ``--set`` values, on the run's own number of virtual processes
    (:func:`run_control.rebuild_threads`)."""
    sim, bg, resume, meta = resume_setup(args.resume, progress)
    sim.update(allowed)
    sim['nbcpu'] = rc.rebuild_threads(meta, ranks, allowed.get('nbcpu'), log_dir=args.resume)
    return sim, bg, resume, meta


def preflight(net, sim):
    """NEST-dependent checks, after the build and before anything is written."""
    import nest
    if sim['mode'] == 'plasticity':
        check_readout_times(sim, nest.min_delay)
    if sim['mode'] in ('action_selection', 'plasticity'):
        key = 'pl_n_stim' if sim['mode'] == 'plasticity' else 'as_n_stim'
        n = scaled_subset(sim, key)
        for name in ('CSN', 'PTN'):
            smallest = min(len(m) for m in net.channels(name))
            if smallest < n:
                raise fp.ParamError(
                    "key %r has bad value %r: at scale %g that is %d parrots per channel, but "
                    "the smallest %s channel has %d; allowed: at most %d at this scale"
                    % (key, sim[key], sim['scale'], n, name, smallest,
                       int(smallest * sim[key] / n)))


def command_line_overrides(args):
    """(sim, bg) overrides of ``--mode``, ``--paper``, ``--set`` and ``--bg-set``."""
    sim_over = fp.parse_overrides(args.set)
    bg_over = fp.parse_overrides(args.bg_set, '--bg-set')
    if args.paper:
        if args.mode:
            raise fp.ParamError('--mode %s: --paper runs the plasticity protocol; allowed: one '
                                'of --mode and --paper' % args.mode)
        return conditions.paper_overrides(args.paper, sim_over, bg_over)
    if args.mode:
        switches = {m: m == args.mode for m in fp.MODES}
        sim_over = dict(switches, **sim_over)
    return sim_over, bg_over


def fresh_params(args):
    """simParams and bgParams of a new run: files plus the command line, validated."""
    sim_over, bg_over = command_line_overrides(args)
    sim = fp.read_sim(args.sim_params, sim_over)
    bg = fp.read_bg(args.bg_params, bg_over)
    fp.check_combination(sim, bg)
    ini_all.check_finite(sim, bg)
    return sim, bg


def check_memory(args, sim, bg):
    """Refuse (ParamError) a network that cannot fit this machine, unless
    ``--skip-memory-check``; MPI ranks on this machine share its memory."""
    if args.skip_memory_check:
        return
    world = parallel.current()
    ranks_here = int(os.environ.get('OMPI_COMM_WORLD_LOCAL_SIZE')
                     or os.environ.get('MPI_LOCALNRANKS') or world.size)
    ini_all.check_memory(sim, bg, ranks_here=ranks_here, ranks=world.size)


def open_run(args, progress):
    """Parameters, the locked RunLog and the resume data, or ParamError.

    Nothing is written here except the folder itself and its run.lock.
    """
    resume = meta = None
    if args.resume:
        if not os.path.isdir(args.resume):
            raise fp.ParamError('--resume %s: no such folder' % args.resume)
        allowed = resume_overrides(args)             # the options first: nothing read yet
        lock = rc.RunLock(args.resume).acquire()     # before reading: no live run changes it
        try:
            sim, bg, resume, meta = resume_params(args, allowed, parallel.current().size,
                                                  progress)
            check_memory(args, sim, bg)
        except fp.ParamError:
            lock.release()
            raise
        return sim, bg, resume, meta, RunLog(args.resume), lock
    sim, bg = fresh_params(args)
    check_memory(args, sim, bg)
    for note in fp.protocol_notes(sim):
        progress('note: ' + note)
    log_dir = rc.prepare_log_dir(args.log_dir or 'log')
    lock = rc.RunLock(log_dir).acquire()
    try:
        if args.overwrite_unfinished:
            rc.refuse_finished(log_dir)
        rc.refuse_occupied(log_dir, args.overwrite or args.overwrite_unfinished)
    except fp.ParamError:
        lock.release()
        raise
    return sim, bg, resume, meta, RunLog(log_dir), lock


def rank_checks(net, state=None):
    """Digests per MPI rank of what every rank must share (raises if they differ):
    positions, channel members and, in plasticity, the weight read-out sample."""
    world = parallel.world()
    out = {'positions': world.agree('the positions', *(net.xy[k] for k in sorted(net.xy))),
           'channels': world.agree('the channel members', *(
               m for name in sorted(net.pops) if name in net.xy or name.startswith('MSN_')
               for m in net.channels(name)))}
    if state is not None:
        out['readout'] = world.agree('the weight read-out sample', *(
            c for h in sorted(state.samples) for c in state.samples[h]))
    return out


def run(sim, bg, resume, meta, run_log, stop, progress, detail=None):
    """Build, check, prepare the folder, run the mode; returns the exit code.
    ``detail`` gets the build's per-projection lines (default: dropped)."""
    import nest_routine as nr
    progress('mode %s (%s), msd %d, %d thread(s), scale %g, kappa %g, lambda %g, eta %g, '
             'log folder %s' % (sim['mode'], sim['condition'], sim['msd'], sim['nbcpu'],
                                sim['scale'], bg['syn_asymm'], bg['overlap_d1d2'],
                                bg['MSND2_mod'], run_log.dir))
    kwargs = {}
    try:
        net = ini_all.build_network(sim, bg, nr.make_rngs(sim['msd']), progress,
                                    detail or (lambda line: None))
        preflight(net, sim)
        if sim['mode'] == 'plasticity':
            kwargs['state'] = PlasticState(net, bg['n_report_channels'],
                                           sim['weights_readout_msn'], bg['plastic_projections'])
            kwargs['resume'] = resume
            if resume is not None:
                kwargs['state'].check(resume)
        checks = rank_checks(net, kwargs.get('state'))
        stop.check()
    except (ini_all.ScaleError, fp.ParamError) as err:
        print('error: %s' % err, file=sys.stderr)
        return 2
    except rc.Interrupted as intr:
        progress('interrupted during the build; nothing was written')
        return intr.exit_code
    # the code that runs is the code of now; a resume keeps the first segment's commit
    # at the top and lists its own with the resume
    commit = rf.git_commit()
    extra = {'status': 'running', 'rank_checks': checks,
             'git_commit': commit if resume is None else meta.get('git_commit', 'unknown')}
    try:
        # only now, with every check passed and the network built, touch the folder
        prepare_folder(sim, resume, meta, run_log, extra, commit, progress)
        write_network_files(run_log, net, bg)
        run_log.write_json('run.json', run_metadata(sim, bg, net, extra))
        result = MODES[sim['mode']](net, sim, bg, run_log, progress, stop, **kwargs)
        result.update(input_load_seconds=round(net.inputs.load_seconds, 3),
                      input_spikes_loaded=net.inputs.spikes_loaded)
        run_log.write_json('run.json', run_metadata(sim, bg, net, dict(extra, **result,
                                                                       status='finished')))
    except rc.Interrupted as intr:
        mark_run(run_log, sim, bg, net, extra, status='interrupted',
                 next_episode=intr.next_episode, model_ms=intr.model_ms,
                 signal=signal.Signals(intr.signum).name)
        print(interrupted_line(intr, sim, run_log.dir), file=sys.stderr)
        return intr.exit_code
    except (rc.WriteError, rc.RunFailed) as err:
        mark_run(run_log, sim, bg, net, extra, status='failed', error=str(err))
        print('error: %s' % err, file=sys.stderr)
        return 1
    except BaseException as err:
        mark_run(run_log, sim, bg, net, extra, status='failed',
                 error='%s: %s' % (type(err).__name__, fp.cut(err, 1000)))
        raise
    return 0


def prepare_folder(sim, resume, meta, run_log, extra, commit, progress):
    """A fresh run removes the files of an earlier one; a resumed run cuts its
    files back to the checkpoint and reseeds NEST (``extra`` gets the resume)."""
    if resume is None:
        run_log.clean()
        return
    import nest
    n = resume['next_episode']
    rf.truncate_per_episode(run_log.dir, 'plasticity', n)
    rc.truncate_spikes(run_log.dir, 'plasticity', sim['pl_warmup'] + episode_length_ms(sim) * n)
    seed = rc.resume_seed(sim['msd'], n)
    nest.rng_seed = seed                 # fresh noise, not a replay of the first episodes
    extra['resumes'] = meta.get('resumes', []) + [{'episode': n, 'nest_seed': seed,
                                                   'git_commit': commit}]
    progress('resuming at episode %d with NEST seed %d (derived from msd %d and the '
             'episode)' % (n, seed, sim['msd']))


def mark_run(run_log, sim, bg, net, extra, **status):
    """Write run.json with a final status where that still works (a full disk may
    refuse it too: the error that stopped the run is the one reported)."""
    try:
        run_log.write_json('run.json', run_metadata(sim, bg, net, dict(extra, **{
            k: v for k, v in status.items() if v is not None})))
    except (rc.WriteError, OSError):
        pass


def interrupted_line(intr, sim, log_dir):
    """The one line that says where an interrupted run stopped and what to do."""
    name = signal.Signals(intr.signum).name
    if sim['mode'] == 'plasticity':
        return ('interrupted by %s after %d episodes (rows and checkpoint written); resume '
                'with: python3 stim_all_model.py --resume %s' % (name, intr.next_episode, log_dir))
    if sim['mode'] == 'action_selection':
        return ('interrupted by %s after %d episodes (their rows are written); only '
                'plasticity runs resume: run it again' % (name, intr.next_episode))
    return ('interrupted by %s at %.0f of %.0f model ms; a resting run writes its rates at '
            'the end, so none were written: run it again'
            % (name, intr.model_ms, sim['simDuration'] + sim['initial_ignore']))


def open_other_rank(args, world):
    """What rank > 0 needs once rank 0 has opened the run: the same parameters
    (and checkpoint), a scratch RunLog and no lock (rank 0 holds it)."""
    if args.resume:
        sim, bg, resume, meta = resume_params(args, resume_overrides(args), world.size,
                                              lambda line: None)
    else:
        (sim, bg), resume, meta = fresh_params(args), None, None
    return sim, bg, resume, meta, RunLog(parallel.scratch_dir(world.rank)), rc.NoLock()


def closing_lines(args, sim, bg, log_dir):
    """What a finished run prints last: where its results are, what to run next."""
    lines = ['results in %s' % log_dir,
             'next: python3 figures/plots.py --run %s' % log_dir]
    if sim['mode'] == 'plasticity' and args.paper:
        folder = rf.condition_folder(bg['syn_asymm'], bg['overlap_d1d2'], bg['MSND2_mod'],
                                     sim['condition'])
        lines.append('compare with the published runs: python3 validation/learning_curves.py '
                     '%s --reference PUBLISHED/%s' % (log_dir, folder))
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.paper == 'list':
        print('\n'.join(conditions.paper_conditions()))
        return 0
    if not args.verbose:
        os.environ.setdefault('PYNEST_QUIET', '1')     # no banner when NEST is imported
    world = parallel.current()

    def progress(line):
        if world.root:
            print(line, flush=True)

    error, opened = None, None
    if world.root:
        try:
            opened = open_run(args, progress)
        except fp.ParamError as err:
            error = (2, str(err))
        except Exception as err:          # e.g. a folder without flock: stop every rank
            if world.size == 1:
                raise
            error = (1, '%s: %s' % (type(err).__name__, err))
    error = world.bcast(error)            # every rank stops, or none
    if error is not None:
        if world.root:
            print('error: %s' % error[1], file=sys.stderr)
        return error[0]
    if not world.root:
        opened = open_other_rank(args, world)
    world.barrier()                       # rank 0 has locked the folder before others read it
    sim, bg, resume, meta, run_log, lock = opened
    stop = rc.StopFlag(agree=world.max).install()
    try:
        code = run(sim, bg, resume, meta, run_log, stop, progress,
                   progress if args.verbose else None)
        if code == 0:
            for line in closing_lines(args, sim, bg, run_log.dir):
                progress(line)
        return code
    finally:
        stop.uninstall()
        lock.release()
        if not world.root:
            shutil.rmtree(run_log.dir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
