"""The input drive: every input node an independent Poisson train.

The three drives (``input_generator`` 'spike_train_injector', the default,
'poisson_generator_ps' and 'poisson_generator', the original's) are checked
against the Poisson process they must be: a few thousand nodes for a few
seconds, then the statistics with tolerances derived from the sample sizes
(4 standard errors unless said otherwise, so a correct drive fails about
once in 10^4 checks).
"""
import numpy as np
import pytest

pytest.importorskip('nest')

GENERATORS = ('spike_train_injector', 'poisson_generator_ps', 'poisson_generator')
DT = 0.1                      # ms, the package's resolution


def _drive(names, n, rate, generator, seed, threads=1):
    """A fresh kernel and input layers ``names`` of n nodes each on a random
    sheet, with their drive (``input_drive.create_inputs``, 1-ms delay)."""
    import nest

    import input_drive
    nest.ResetKernel()
    nest.set(resolution=DT, local_num_threads=threads, rng_seed=seed, print_time=False)
    xy = np.random.default_rng(1).uniform(-0.5, 0.5, (n, 2))
    return input_drive.create_inputs({name: xy for name in names},
                                     {name: rate for name in names}, 1.0, [1, 1], generator,
                                     np.random.SeedSequence(seed), DT)


def _input_layer(n, rate, generator, seed, threads=1, t_sim=4000.0):
    """n input nodes at ``rate`` (Hz) for ``t_sim`` (ms); their spikes."""
    import nest
    drive = _drive(['CSN'], n, rate, generator, seed, threads)
    nodes = drive.layers['CSN'].nodes
    rec = nest.Create('spike_recorder')
    nest.Connect(nodes, rec)
    drive.run(t_sim, 'test', chunk_ms=1500.0)     # injectors: three stretches of trains
    ev = rec.events
    return np.asarray(ev['senders']) - nodes[0].global_id, np.asarray(ev['times']), t_sim


@pytest.fixture(scope='module', params=GENERATORS)
def train(request):
    """3000 parrots at 15 Hz for 4 s (~180 000 spikes)."""
    senders, times, t_sim = _input_layer(3000, 15.0, request.param, seed=12)
    return dict(generator=request.param, n=3000, rate=15.0, t_ms=t_sim,
                senders=senders, times=times)


def test_mean_rate_within_poisson_tolerance(train):
    n_exp = train['n'] * train['rate'] * train['t_ms'] / 1000.0
    n_obs = len(train['times'])
    assert abs(n_obs - n_exp) < 4 * np.sqrt(n_exp), (train['generator'], n_obs, n_exp)


def test_spikes_on_the_grid_after_the_delay(train):
    steps = train['times'] / DT
    assert np.allclose(steps, np.round(steps), atol=1e-6)
    assert train['times'].min() > 1.0 - 1e-9          # 1-ms generator-to-parrot delay


def test_fano_factor_of_counts_is_one(train):
    """Per-parrot counts over 4 s: var/mean = 1 for Poisson; the estimator's sd is
    sqrt(2/(n-1)) = 0.026 for 3000 parrots."""
    counts = np.bincount(train['senders'], minlength=train['n'])
    fano = counts.var(ddof=1) / counts.mean()
    assert abs(fano - 1.0) < 4 * np.sqrt(2.0 / (train['n'] - 1)), fano


def test_intervals_are_exponential(train):
    """KS distance of 5000 intervals (random parrots) to the exponential of the
    rate: critical value 1.95/sqrt(5000) = 0.028 at alpha = 0.001. The 0.1-ms
    grid moves the CDF by < 0.002 at 15 Hz."""
    order = np.lexsort((train['times'], train['senders']))
    s, t = train['senders'][order], train['times'][order]
    same = s[1:] == s[:-1]
    isi = np.diff(t)[same]
    isi = np.random.default_rng(3).choice(isi, 5000, replace=False)
    isi.sort()
    cdf = 1.0 - np.exp(-isi * train['rate'] / 1000.0)
    emp_hi = np.arange(1, len(isi) + 1) / len(isi)
    d = max(np.max(emp_hi - cdf), np.max(cdf - (emp_hi - 1.0 / len(isi))))
    assert d < 1.95 / np.sqrt(len(isi)), d


def test_parrots_are_independent(train):
    """Population count per 1-ms bin: var/mean = 1 when the parrots are
    independent (a pairwise correlation c would add c*(n-1) ~ 3000 c); the
    estimator's sd is sqrt(2/3999). And pairwise correlations of 200 parrots'
    10-ms counts: mean 0 within 4 sd of the mean of 19 900 pairs, every pair
    within 6/sqrt(bins) (the largest of 19 900 normal draws is ~4.3 sd)."""
    n_bins = int(train['t_ms'])
    pop = np.histogram(train['times'], bins=n_bins, range=(0, train['t_ms']))[0][2:]
    fano = pop.var(ddof=1) / pop.mean()
    assert abs(fano - 1.0) < 4 * np.sqrt(2.0 / (len(pop) - 1)), fano
    keep = train['senders'] < 200
    bins = int(train['t_ms'] / 10)
    counts = np.zeros((200, bins))
    np.add.at(counts, (train['senders'][keep],
                       np.minimum((train['times'][keep] / 10).astype(int), bins - 1)), 1)
    r = np.corrcoef(counts)[np.triu_indices(200, 1)]
    assert abs(r.mean()) < 4 / np.sqrt(bins * len(r)), r.mean()
    assert np.abs(r).max() < 6 / np.sqrt(bins), np.abs(r).max()


@pytest.mark.parametrize('generator', GENERATORS)
def test_same_seed_same_spikes_other_seed_differs(generator):
    a = _input_layer(500, 15.0, generator, seed=5, threads=2, t_sim=1000.0)
    b = _input_layer(500, 15.0, generator, seed=5, threads=2, t_sim=1000.0)
    c = _input_layer(500, 15.0, generator, seed=6, threads=2, t_sim=1000.0)
    key = [np.lexsort((x[1], x[0])) for x in (a, b, c)]
    sa, sb, sc = ((x[0][k], x[1][k]) for x, k in zip((a, b, c), key))
    assert np.array_equal(sa[0], sb[0]) and np.array_equal(sa[1], sb[1])
    assert len(sa[1]) != len(sc[1]) or not np.array_equal(sa[1], sc[1])


class _Sheet:
    """The four things Stimulus needs of a network: ids, centres, channels, inputs."""

    def __init__(self, inputs, channels):
        self.inputs, self._channels = inputs, channels
        self.centres = np.zeros((len(channels), 2))

    def first_id(self, name):
        return self.inputs.layers[name].first

    def channels(self, name):
        return self._channels


@pytest.mark.parametrize('generator', GENERATORS)
def test_stimulus_only_inside_its_window_on_its_subset(generator):
    """2000 parrots at 2 Hz in two channels of 1000; 300 of channel 0 get
    +60 Hz (CSN) during (1000, 3000] ms. Rates per group and period within
    4 Poisson sd of background (+ stimulus where it applies)."""
    import random

    import nest

    from modes import Stimulus
    drive = _drive(('CSN', 'PTN'), 2000, 2.0, generator, seed=3)
    rec = nest.Create('spike_recorder')
    nest.Connect(drive.layers['CSN'].nodes, rec)
    sheet = _Sheet(drive, [np.arange(1000), np.arange(1000, 2000)])
    stim = Stimulus(sheet, 300, random.Random(4), 1.0)
    stim.drive(0, 60.0, 0.0, 1000.0, 3000.0)
    drive.run(4000.0, 'test', chunk_ms=1500.0)  # the window spans three stretches of trains
    ev = rec.events
    s = np.asarray(ev['senders']) - drive.layers['CSN'].first
    t = np.asarray(ev['times']) - 1.0             # minus the generator delay
    chosen = np.zeros(2000, bool)
    chosen[stim.subsets['CSN'][0]] = True
    assert chosen.sum() == 300 and chosen[:1000].sum() == 300
    inside = (t > 1000.0) & (t <= 3000.0)
    groups = {'stimulated': chosen, 'rest of channel 0': ~chosen & (np.arange(2000) < 1000),
              'channel 1': np.arange(2000) >= 1000}
    for label, member in groups.items():
        for period, mask, dur in (('inside', inside, 2.0), ('outside', ~inside, 1.999)):
            rate = 2.0 + (60.0 if (label == 'stimulated' and period == 'inside') else 0.0)
            expected = member.sum() * rate * dur
            observed = np.sum(member[s] & mask)
            assert abs(observed - expected) < 4 * np.sqrt(expected) + 1, (
                generator, label, period, observed, expected)


SEEDS = tuple(range(814, 822))


@pytest.fixture(scope='module')
def resting_by_drive(tmp_path_factory):
    """{generator: array (seeds, nuclei)} of resting rates, scale 0.02, 2 threads,
    2000 ms (rates over 1000-2000 ms), 8 seeds per drive."""
    from conftest import load_json, run_model
    out = {}
    for gen in GENERATORS:
        rows = []
        for seed in SEEDS:
            d = tmp_path_factory.mktemp('%s_%d' % (gen, seed))
            proc = run_model(d, 'scale=0.02', 'nbcpu=2', 'simDuration=2000.0', 'msd=%d' % seed,
                             'save_spikes=False', 'input_generator=%r' % gen)
            assert proc.returncode == 0, proc.stderr[-2000:]
            rates = load_json(d / 'mean_fr.json')
            rows.append([rates[n] for n in NUCLEI])
        out[gen] = np.array(rows)
    return out


NUCLEI = ('GPi', 'GPe', 'STN', 'FSI', 'MSN_d1', 'MSN_d2')


@pytest.mark.parametrize('drive', GENERATORS[:2])
def test_old_and_new_drive_give_the_same_resting_rates(resting_by_drive, drive):
    """Per nucleus, a new drive's mean over 8 seeds and the old drive's differ
    by less than 4 standard errors of the difference, the standard error taken
    from the seed-to-seed spread of both drives (Welch; 4 SE with ~14 degrees
    of freedom is p ~ 0.001). Measured with the injector (sd over the 8 seeds,
    injector / old drive): GPi 0.56 / 0.86 Hz, GPe 1.24 / 0.82, STN 0.43 /
    0.26, FSI 0.34 / 0.44, MSN_d1 0.025 / 0.030, MSN_d2 0.020 / 0.018; the
    largest difference was STN's, 2.5 SE (20.31 vs 20.75 Hz), and over 14
    seeds GPi differed by 0.2 Hz (0.6 SE). With 4 seeds the spread was
    underestimated (injector GPi sd 0.23 Hz) and a difference of 1.5 Hz read
    as 6 SE, hence 8. A drive at a wrong rate moves GPi, GPe and STN by many
    Hz and fails."""
    new, old = resting_by_drive[drive], resting_by_drive['poisson_generator']
    se = np.sqrt(new.var(axis=0, ddof=1) / len(new) + old.var(axis=0, ddof=1) / len(old))
    diff = new.mean(axis=0) - old.mean(axis=0)
    for i, name in enumerate(NUCLEI):
        assert abs(diff[i]) <= 4 * se[i] + 1e-12, (name, new[:, i], old[:, i])
    # and the seeds do differ: the spread the tolerance rests on is real
    assert np.all(new.std(axis=0)[:4] > 0) and np.all(old.std(axis=0)[:4] > 0)


# --------------------------------------------------------------------------
# The injector drive's mechanics (trains drawn in NumPy, loaded by stretches)
# --------------------------------------------------------------------------
def test_trains_by_node_matches_a_python_sort():
    """The vectorised grouping against the obvious Python: per node, its steps sorted."""
    from input_drive import trains_by_node
    rng = np.random.default_rng(7)
    node = rng.integers(0, 50, 4000)
    step = rng.integers(1, 300, 4000)
    steps, bounds = trains_by_node(node, step, 60)
    for i in range(60):
        assert steps[bounds[i]:bounds[i + 1]].tolist() == sorted(step[node == i].tolist())
    assert bounds[-1] == 4000 and np.all(np.diff(bounds[50:]) == 0)


def test_poisson_steps_range_and_rate():
    """Every step inside the inclusive range; the count within 4 Poisson sd of
    rate x nodes x duration (1000 nodes, 15 Hz, 2000 steps of 0.1 ms = 3000)."""
    from input_drive import poisson_steps
    node, step = poisson_steps(np.random.default_rng(2), 1000, 15.0, 101, 2100, DT)
    assert step.min() >= 101 and step.max() <= 2100 and node.max() < 1000
    assert abs(len(step) - 3000) < 4 * np.sqrt(3000)
    assert poisson_steps(np.random.default_rng(2), 1000, 15.0, 50, 49, DT)[0].size == 0


def test_injector_trains_do_not_depend_on_threads():
    """The trains come from NumPy streams of the seed, so 1 and 2 threads give
    the same spikes (the parrot drives only promise this for one thread count)."""
    a = _input_layer(500, 15.0, 'spike_train_injector', seed=5, threads=1, t_sim=1000.0)
    b = _input_layer(500, 15.0, 'spike_train_injector', seed=5, threads=2, t_sim=1000.0)
    ka, kb = np.lexsort((a[1], a[0])), np.lexsort((b[1], b[0]))
    assert len(a[1]) > 6000
    assert np.array_equal(a[0][ka], b[0][kb]) and np.array_equal(a[1][ka], b[1][kb])


def test_an_episode_gets_the_same_trains_whenever_it_starts():
    """A stream (name, index) gives the same trains relative to the stretch's
    start, so a resumed run, whose episode e starts at another NEST time,
    gets episode e's inputs of the uninterrupted run."""
    import nest

    def episode_spikes(t_start):
        drive = _drive(['CSN'], 300, 15.0, 'spike_train_injector', seed=9)
        rec = nest.Create('spike_recorder')
        nest.Connect(drive.layers['CSN'].nodes, rec)
        drive.run(t_start, 'warmup')
        drive.load(t_start + 1000.0, 'episode', 57)
        drive.simulate(1000.0)
        ev = rec.events
        keep = ev['times'] > t_start
        s, t = np.asarray(ev['senders'])[keep], np.asarray(ev['times'])[keep] - t_start
        k = np.lexsort((t, s))
        return s[k], np.round(t[k], 6)

    a, b = episode_spikes(500.0), episode_spikes(2300.0)
    assert len(a[0]) > 3000
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_injectors_refuse_to_run_past_their_trains():
    """Simulating beyond the loaded trains would silently silence the inputs,
    and a stimulus inside loaded time would be lost: both are refused."""
    drive = _drive(['CSN', 'PTN'], 10, 2.0, 'spike_train_injector', seed=1)
    drive.load(100.0, 'test')
    with pytest.raises(RuntimeError, match='loaded only up to 100 ms'):
        drive.simulate(150.0)
    handle = drive.add_stimulus('CSN', [1, 2], 2.0)
    with pytest.raises(RuntimeError, match='starts before the end of the input trains'):
        drive.stimulate(handle, 60.0, 90.0, 200.0)
    drive.simulate(100.0)
    drive.stimulate(handle, 60.0, 100.0, 200.0)       # the next stretch is fine
