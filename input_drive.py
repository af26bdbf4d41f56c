"""The input layers' Poisson drive and the task stimulus (docs/model.md §2, 6.2).

The three input layers (CSN, PTN, CMPf) give every node an independent
Poisson train at its layer's rate; the task stimulus adds a Poisson train on
the stimulated subsets of a channel inside a window. simParams
``input_generator`` chooses how:

``'spike_train_injector'`` (the default)
    Every input node is a ``spike_train_injector``. Before NEST simulates a
    stretch of time, :meth:`InputDrive.load` draws the trains of that stretch
    in NumPy and hands them to the nodes. An injector does almost nothing in
    a step without a spike, so the cost grows with the spikes, not with
    nodes x steps. The trains come from a seed derived from ``msd`` and a
    stream name + index (e.g. plasticity episode 57), so they do not depend
    on the thread or process count, and a resumed run gets the same trains
    for an episode as the uninterrupted run.
``'poisson_generator_ps'``
    Parrots fed by one ``poisson_generator_ps`` per layer.
``'poisson_generator'``
    Parrots fed by one ``poisson_generator`` per layer: the original drive,
    which draws a Poisson number for every parrot at every step.

All three emit on the 0.1-ms grid: a parrot emits in the step in which the
generator's spike arrives after the generator-to-parrot delay, with
multiplicity when several spikes share a step. The injector trains are drawn
as those emission times: a Poisson count per node and stretch, each spike in
a uniformly drawn step (the same process as independent Poisson counts per
step), none in the first ``input_delay`` ms, and a stimulus window
(start, stop] emits in (start + delay, stop + delay].

The modes use one interface whatever the drive: :meth:`InputDrive.load`
(the trains up to a time), :meth:`InputDrive.simulate` (refuses to run past
what is loaded), :meth:`InputDrive.add_stimulus` and
:meth:`InputDrive.stimulate`.
"""
import time
import warnings

import nest
import numpy as np

INJECTOR = 'spike_train_injector'
DRIVES = (INJECTOR, 'poisson_generator_ps', 'poisson_generator')
STREAMS = ('warmup', 'resting', 'action_selection', 'episode', 'test')
RESTING_CHUNK_MS = 5000.0     # longest stretch drawn at once (memory ~ spikes of 5 s)


def poisson_steps(rng, n_nodes, rate_hz, first_step, last_step, dt_ms):
    """Poisson trains of ``n_nodes`` nodes on the steps ``first_step..last_step``.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_nodes : int
    rate_hz : float
        Rate of every node (Hz).
    first_step, last_step : int
        Inclusive range of emission steps (a step k emits at k * dt_ms ms).
    dt_ms : float
        Resolution (ms).

    Returns
    -------
    (node, step) : int64 arrays, one entry per spike, in no particular order.
        A node's count is Poisson(rate x duration) and each spike's step is
        uniform over the range, so the counts per step are independent
        Poisson(rate x dt) draws, as a Poisson process binned on the grid.
    """
    n_steps = last_step - first_step + 1
    if n_steps <= 0 or rate_hz <= 0 or n_nodes == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    counts = rng.poisson(rate_hz * n_steps * dt_ms / 1000.0, n_nodes)
    node = np.repeat(np.arange(n_nodes, dtype=np.int64), counts)
    return node, rng.integers(first_step, last_step + 1, node.size, dtype=np.int64)


def trains_by_node(node, step, n_nodes):
    """Sort spikes by node then step: (sorted steps, bounds) with node i's steps
    at ``steps[bounds[i]:bounds[i + 1]]``."""
    span = int(step.max(initial=0)) + 1
    key = np.sort(node * span + step)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(node, minlength=n_nodes))])
    return key % span, bounds


class _Layer:
    """One input layer: its nodes, rate and the nodes of this process."""

    def __init__(self, nodes, rate_hz):
        self.nodes, self.rate_hz = nodes, float(rate_hz)
        self.first = int(nodes[0].global_id)
        with warnings.catch_warnings():          # the nodes of this process, to set
            warnings.simplefilter('ignore')
            local = nest.GetLocalNodeCollection(nodes)
        self.local = np.asarray(local.tolist(), dtype=np.int64) - self.first
        self.local_nodes = local


class InputDrive:
    """The Poisson drive of the input layers and the stimulus windows.

    Parameters
    ----------
    layers : dict
        {name: NodeCollection} of the input layers (injectors or parrots).
    rates_hz : dict
        {name: rate of every node (Hz)}.
    delay_ms : float
        Generator-to-parrot delay (ms) of the background (bgParams ``input_delay``).
    drive : str
        One of :data:`DRIVES`.
    seed : numpy.random.SeedSequence
        Root of the injector trains' streams (``Rngs.inputs``).
    dt_ms : float
        Resolution (ms).
    """

    def __init__(self, layers, rates_hz, delay_ms, drive, seed, dt_ms):
        if drive not in DRIVES:
            raise ValueError("input_generator %r; allowed: %s" % (drive, ', '.join(DRIVES)))
        self.drive, self.seed, self.dt_ms = drive, seed, float(dt_ms)
        self.layers = {name: _Layer(nc, rates_hz[name]) for name, nc in layers.items()}
        self.delay_steps = self._steps(delay_ms)
        self.loaded_ms = 0.0           # trains are loaded up to this time (ms)
        self.channels = []             # stimulus channels: (layer name, node indices, delay steps)
        self.stim_gens = []            # parrot drives: one generator per stimulus channel
        self.windows = []              # injector: (channel, rate_hz, first step, last step)
        self.load_seconds = 0.0        # wall time spent drawing and loading trains (s)
        self.spikes_loaded = 0         # spikes handed to the injectors

    @property
    def injects(self):
        """True when the input nodes are spike_train_injectors."""
        return self.drive == INJECTOR

    def _steps(self, t_ms):
        return int(round(t_ms / self.dt_ms))

    # ------------------------------------------------------------------
    # stimulus
    # ------------------------------------------------------------------
    def add_stimulus(self, name, indices, delay_ms):
        """A stimulus channel on nodes ``indices`` (0-based in layer ``name``);
        the stimulus reaches them ``delay_ms`` after its window. Returns its handle."""
        indices = np.asarray(indices, dtype=np.int64)
        self.channels.append((name, indices, self._steps(delay_ms)))
        if not self.injects:
            gen = nest.Create(self.drive, params={'rate': 0.0})
            ids = sorted((indices + self.layers[name].first).tolist())
            nest.Connect(gen, nest.NodeCollection(ids), 'all_to_all',
                         {'weight': 1.0, 'delay': float(delay_ms)})
            self.stim_gens.append(gen)
        return len(self.channels) - 1

    def stimulate(self, handle, rate_hz, start_ms, stop_ms):
        """Add ``rate_hz`` on a stimulus channel during the window (start, stop] (ms).

        With the parrot drives this sets the channel's generator (a later
        window replaces an earlier one); with injectors windows add up, and a
        window must start after the trains loaded so far.
        """
        if not self.injects:
            self.stim_gens[handle].set(rate=float(rate_hz), start=float(start_ms),
                                       stop=float(stop_ms))
            return
        delay = self.channels[handle][2]
        first, last = self._steps(start_ms) + delay + 1, self._steps(stop_ms) + delay
        if first <= self._steps(self.loaded_ms):
            raise RuntimeError('stimulus window (%g, %g] ms starts before the end of the input '
                               'trains already loaded (%g ms); stimulate before load'
                               % (start_ms, stop_ms, self.loaded_ms))
        if rate_hz > 0 and last >= first:
            self.windows.append((handle, float(rate_hz), first, last))

    # ------------------------------------------------------------------
    # trains
    # ------------------------------------------------------------------
    def load(self, until_ms, stream, index=0):
        """Make the input trains available up to ``until_ms`` (ms, NEST time).

        Injectors get the trains of (loaded so far, until_ms] drawn from the
        stream (``stream`` in :data:`STREAMS`, ``index`` >= 0); the parrot
        drives need nothing. Returns the number of spikes loaded (0 for parrots).
        """
        if until_ms <= self.loaded_ms + 1e-9:
            return 0
        first, last = self._steps(self.loaded_ms) + 1, self._steps(until_ms)
        n, t0 = 0, time.time()
        if self.injects:
            rng = np.random.default_rng(np.random.SeedSequence(
                self.seed.entropy, spawn_key=tuple(self.seed.spawn_key) +
                (STREAMS.index(stream), int(index))))
            for name, layer in self.layers.items():
                n += self._load_layer(name, layer, rng, first, last)
            self.windows = [w for w in self.windows if w[3] > last]
        self.loaded_ms = until_ms
        self.load_seconds += time.time() - t0
        self.spikes_loaded += n
        return n

    def _load_layer(self, name, layer, rng, first, last):
        n_nodes = len(layer.nodes)
        node, step = poisson_steps(rng, n_nodes, layer.rate_hz,
                                   max(first, self.delay_steps + 1), last, self.dt_ms)
        parts_n, parts_s = [node], [step]
        for handle, rate, w_first, w_last in self.windows:
            layer_name, indices, _ = self.channels[handle]
            if layer_name != name:
                continue
            k, s = poisson_steps(rng, len(indices), rate, max(first, w_first), min(last, w_last),
                                 self.dt_ms)
            parts_n.append(indices[k])
            parts_s.append(s)
        steps, bounds = trains_by_node(np.concatenate(parts_n), np.concatenate(parts_s), n_nodes)
        times = steps * self.dt_ms
        layer.local_nodes.set([{'spike_times': times[bounds[i]:bounds[i + 1]]}
                               for i in layer.local])
        return len(steps)

    def simulate(self, t_ms):
        """``nest.Simulate(t_ms)``, refused when it would run past the loaded trains."""
        now = nest.biological_time
        if now + t_ms > self.loaded_ms + 1e-6:
            raise RuntimeError('simulating to %g ms, but the input trains are loaded only up to '
                               '%g ms; call load first' % (now + t_ms, self.loaded_ms))
        nest.Simulate(t_ms)

    def run(self, t_ms, stream, chunk_ms=RESTING_CHUNK_MS, after=None, every_ms=None):
        """Load and simulate ``t_ms`` from now; returns the spikes loaded.

        Trains are loaded in stretches of at most ``chunk_ms`` (injectors;
        parrot drives need no loading). With ``after``, the simulation stops
        every ``every_ms`` of model time (a multiple of dt) and calls
        ``after(model time reached, ms)``, which may raise to end the run
        there; splitting ``Simulate`` calls does not change the dynamics.
        """
        end = nest.biological_time + t_ms
        step = chunk_ms if self.injects else t_ms
        n, index = 0, 0
        while nest.biological_time < end - 1e-6:
            until = min(end, nest.biological_time + step)
            n += self.load(until, stream, index)
            index += 1
            while nest.biological_time < until - 1e-6:
                piece = until - nest.biological_time
                if after is not None and every_ms:
                    piece = min(piece, every_ms)
                self.simulate(piece)
                if after is not None:
                    after(nest.biological_time)
        return n


def create_inputs(positions, rates_hz, delay_ms, extent, drive, seed, dt_ms):
    """Create the input layers and their drive.

    Parameters
    ----------
    positions : dict
        {name: ndarray (n, 2)} of the layers, in creation order.
    rates_hz, delay_ms, drive, seed, dt_ms
        As :class:`InputDrive`.
    extent : list
        Layer extent (sheet units).

    Returns
    -------
    InputDrive ; its ``layers[name].nodes`` are the layers.
    """
    import nest_routine as nr
    layers = {}
    for name, xy in positions.items():
        if drive == INJECTOR:
            layers[name] = nr.create_layer(INJECTOR, xy, extent)
        else:                    # parrots and their generator, set once for the run
            layers[name] = nr.create_input_layer(xy, rates_hz[name], delay_ms, extent, drive)[0]
    return InputDrive(layers, rates_hz, delay_ms, drive, seed, dt_ms)
