"""The input drive: every parrot an independent Poisson train (issue #11).

Both drives (``input_generator`` 'poisson_generator_ps', the default, and
'poisson_generator', the original's) are checked against the Poisson process
they must be: a few thousand parrots for a few seconds, then the statistics
with tolerances derived from the sample sizes (4 standard errors unless said
otherwise, so a correct drive fails about once in 10^4 checks).
"""
import numpy as np
import pytest

pytest.importorskip('nest')

GENERATORS = ('poisson_generator_ps', 'poisson_generator')
DT = 0.1                      # ms, the package's resolution


def _parrot_layer(n, rate, generator, seed, threads=1, t_sim=4000.0):
    """n parrots on a random sheet fed by ``create_input_layer``; their spikes."""
    import nest
    import nest_routine as nr
    nest.ResetKernel()
    nest.set(resolution=DT, local_num_threads=threads, rng_seed=seed, print_time=False)
    xy = np.random.default_rng(1).uniform(-0.5, 0.5, (n, 2))
    parrots, _ = nr.create_input_layer(xy, rate, 1.0, [1, 1], generator)
    rec = nest.Create('spike_recorder')
    nest.Connect(parrots, rec)
    nest.Simulate(t_sim)
    ev = rec.events
    return np.asarray(ev['senders']) - parrots[0].global_id, np.asarray(ev['times']), t_sim


@pytest.fixture(scope='module', params=GENERATORS)
def train(request):
    """3000 parrots at 15 Hz for 4 s (~180 000 spikes)."""
    senders, times, t_sim = _parrot_layer(3000, 15.0, request.param, seed=12)
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
    a = _parrot_layer(500, 15.0, generator, seed=5, threads=2, t_sim=1000.0)
    b = _parrot_layer(500, 15.0, generator, seed=5, threads=2, t_sim=1000.0)
    c = _parrot_layer(500, 15.0, generator, seed=6, threads=2, t_sim=1000.0)
    key = [np.lexsort((x[1], x[0])) for x in (a, b, c)]
    sa, sb, sc = ((x[0][k], x[1][k]) for x, k in zip((a, b, c), key))
    assert np.array_equal(sa[0], sb[0]) and np.array_equal(sa[1], sb[1])
    assert len(sa[1]) != len(sc[1]) or not np.array_equal(sa[1], sc[1])


class _Sheet:
    """The three things Stimulus needs of a network: ids, centres, channels."""

    def __init__(self, parrots, channels):
        self.parrots, self._channels = parrots, channels
        self.centres = np.zeros((len(channels), 2))

    def first_id(self, name):
        return self.parrots[name][0].global_id

    def channels(self, name):
        return self._channels


@pytest.mark.parametrize('generator', GENERATORS)
def test_stimulus_only_inside_its_window_on_its_subset(generator):
    """2000 parrots at 2 Hz in two channels of 1000; 300 of channel 0 get
    +60 Hz (CSN) during (1000, 3000] ms. Rates per group and period within
    4 Poisson sd of background (+ stimulus where it applies)."""
    import random

    import nest
    import nest_routine as nr
    from stim_all_model import Stimulus
    nest.ResetKernel()
    nest.set(resolution=DT, local_num_threads=1, rng_seed=3, print_time=False)
    xy = np.random.default_rng(1).uniform(-0.5, 0.5, (2000, 2))
    parrots = {name: nr.create_input_layer(xy, 2.0, 1.0, [1, 1], generator)[0]
               for name in ('CSN', 'PTN')}
    rec = nest.Create('spike_recorder')
    nest.Connect(parrots['CSN'], rec)
    sheet = _Sheet(parrots, [np.arange(1000), np.arange(1000, 2000)])
    stim = Stimulus(sheet, 300, random.Random(4), 1.0, generator)
    stim.drive(0, 60.0, 0.0, 1000.0, 3000.0)
    nest.Simulate(4000.0)
    ev = rec.events
    s = np.asarray(ev['senders']) - parrots['CSN'][0].global_id
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


SEEDS = (814, 815, 816, 817)


@pytest.fixture(scope='module')
def resting_by_drive(tmp_path_factory):
    """{generator: array (seeds, nuclei)} of resting rates, scale 0.02, 2 threads,
    2000 ms (rates over 1000-2000 ms), 4 seeds per drive."""
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


def test_old_and_new_drive_give_the_same_resting_rates(resting_by_drive):
    """Per nucleus, the two drives' means over 4 seeds differ by less than 4
    standard errors of the difference, the standard error taken from the
    seed-to-seed spread of both drives. Measured (new / old drive, sd over the
    4 seeds): GPi 0.75 / 0.43 Hz, GPe 1.29 / 0.62, STN 0.53 / 0.28,
    FSI 0.24 / 0.19, MSN_d1 0.027 / 0.018, MSN_d2 0.036 / 0.017; the largest
    difference was FSI's, 2.8 standard errors (11.79 vs 12.22 Hz). A drive at
    a wrong rate moves GPi, GPe and STN by many Hz and fails."""
    new, old = resting_by_drive['poisson_generator_ps'], resting_by_drive['poisson_generator']
    se = np.sqrt(new.var(axis=0, ddof=1) / len(new) + old.var(axis=0, ddof=1) / len(old))
    diff = new.mean(axis=0) - old.mean(axis=0)
    for i, name in enumerate(NUCLEI):
        assert abs(diff[i]) <= 4 * se[i] + 1e-12, (name, new[:, i], old[:, i])
    # and the seeds do differ: the spread the tolerance rests on is real
    assert np.all(new.std(axis=0)[:4] > 0) and np.all(old.std(axis=0)[:4] > 0)
