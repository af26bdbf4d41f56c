"""In-degrees, weights, delays and labels against docs/model.md §4.13.

The expected values are the spec's table, computed by the spec's author
from the parameter values. Tolerance: half a unit of the last digit printed
in the table (the table is rounded), i.e. the check is as tight as the
table allows (<= 5e-5 absolute for 4-decimal columns, 5e-6 for weights).
"""
import numpy as np
import pytest

import connectivity
import fetch_params as fp

pytestmark = pytest.mark.quick      # part of the installation check

# key: (nu, K, floor K, R, att, G, w_AMPA, w_NMDA, w_GABA, delay, label)
SPEC_TABLE = {
    'CMPf->FSI': (170.2218, 56.7406, 56, 471, 0.9180, 1, 2.75392, 0.068848, None, 7, 1),
    'CMPf->GPe': (27.0677, 9.0226, 9, 7, 1.0000, 1, 3.00000, 0.075000, None, 7, 2),
    'CMPf->GPi': (78.7832, 26.2611, 26, 44, 0.4075, 1, 1.22253, 0.030563, None, 7, 3),
    'CMPf->MSN': (16.1445, 5.3815, 5, 12104, 0.7687, 1, 2.30606, 0.057652, None, 7, 4),
    'CMPf->STN': (84.8831, 28.2944, 28, 28, 0.6636, 1, 1.99093, 0.049773, None, 7, 5),
    'CSN->FSI': (250, 83.3333, 83, 212, 0.4151, 1, 1.24533, 0.031133, None, 7, 6),
    'CSN->MSN': (342, 114, 114, 0, 0.5360, 1, 1.60792, 0.040198, None, 7, 7),
    'FSI->FSI': (116, 38.6667, 38, 424, 0.7990, 1, None, None, -0.59928, 1, 0),
    'FSI->MSN': (87.7414, 29.2471, 29, 7841, 0.8272, 1, None, None, -0.62042, 1, 0),
    'GPe->FSI': (26.6475, 8.8825, 8, 561, 0.4890, 1, None, None, -0.36671, 3, 0),
    'GPe->GPe': (31.92, 10.64, 10, 192, 0.9886, 1, None, None, -0.74142, 1, 0),
    'GPe->GPi': (23.5905, 7.8635, 7, 145, 0.7730, 1, None, None, -0.57973, 3, 0),
    'GPe->STN': (61.9351, 20.6450, 20, 62, 0.6141, 1, None, None, -0.46059, 10, 0),
    'MSN->GPe': (18018.3586, 6006.1195, 6006, 36, 0.6185, 0.3, None, None, -0.13916, 7, 0),
    'MSN->GPi': (31848.5706, 10616.1902, 10616, 32, 0.3442, 0.3, None, None, -0.07743, 11, 0),
    'MSN->MSN': (210, 70, 70, 0, 0.5568, 1, None, None, -0.41759, 1, 0),
    'PTN->FSI': (5, 1.6667, 1, 424, 0.4441, 1, 1.33240, 0.033310, None, 3, 8),
    'PTN->MSN': (5, 1.6667, 1, 21152, 0.5351, 1, 1.60534, 0.040133, None, 3, 9),
    'PTN->STN': (259, 86.3333, 86, 32, 0.5413, 1, 1.62398, 0.040599, None, 3, 10),
    'STN->FSI': (2.2391, 0.7464, 0, 475, 0.5827, 1, 1.74815, 0.043704, None, 3, 11),
    'STN->GPe': (108.978, 36.3260, 36, 98, 0.7254, 1, 2.17612, 0.054403, None, 3, 12),
    'STN->GPi': (90.3323, 30.1108, 30, 19, 0.3442, 1, 1.03245, 0.025811, None, 3, 13),
}
SKIPPED = ('GPe->MSN', 'STN->MSN')


def _half_ulp(value):
    """Half a unit in the last printed decimal of a table entry."""
    text = repr(value)
    decimals = len(text.split('.')[1]) if '.' in text else 0
    return 0.5 * 10 ** (-decimals) + 1e-12


@pytest.fixture(scope='module')
def table():
    bg = fp.read_bg()
    full, _ = connectivity.population_sizes(bg, 1.0)
    return {row['key']: row for row in connectivity.projection_table(bg, full)}, full


def test_build_order_is_lexicographic(table):
    assert list(table[0]) == sorted(SPEC_TABLE.keys() | set(SKIPPED))


@pytest.mark.parametrize('key', sorted(SPEC_TABLE))
def test_projection_row_matches_spec(table, key):
    rows, full = table
    row = rows[key]
    nu, k, k_int, r, att, g, w_a, w_n, w_g, delay, label = SPEC_TABLE[key]
    for name, got, want in (('nu', row['nu'], nu), ('K', row['K'], k), ('att', row['att'], att),
                            ('G', row['G'], g), ('w_ampa', row['w_ampa'], w_a),
                            ('w_nmda', row['w_nmda'], w_n), ('w_gaba', row['w_gaba'], w_g)):
        if want is None:
            assert got is None, (key, name)
        else:
            assert abs(got - want) <= _half_ulp(want), (key, name, got, want)
    assert row['k_int'] == k_int
    assert int(round(row['frac'] * full[row['tgt']])) == r   # remainder target R
    assert row['delay'] == delay
    assert row['label'] == label


def test_skipped_projections(table):
    rows, _ = table
    for key in SKIPPED:
        assert rows[key]['skipped'] and rows[key]['label'] is None


def test_plastic_weights_match_construction_log(table):
    # weights_d1.txt of the published runs: CSN->MSN 1.045150 / 0.026129, PTN 1.043471 / 0.026087
    rows, _ = table
    g = fp.read_bg()['plast_gain']
    assert rows['CSN->MSN']['w_ampa'] * g == pytest.approx(1.045150, abs=5e-7)
    assert rows['CSN->MSN']['w_nmda'] * g == pytest.approx(0.026129, abs=5e-7)
    assert rows['PTN->MSN']['w_ampa'] * g == pytest.approx(1.043471, abs=5e-7)
    assert rows['PTN->MSN']['w_nmda'] * g == pytest.approx(0.026087, abs=5e-7)


@pytest.mark.parametrize('lam, gpe, gpi', [(0.0, (0, 6006), (10616, 0)), (0.1, (600, 5405), (9554, 1061)),
                                           (0.2, (1201, 4804), (8492, 2123)),
                                           (0.3, (1801, 4204), (7431, 3184)),
                                           (0.4, (2402, 3603), (6369, 4246))])
def test_lambda_split_table(lam, gpe, gpi):
    assert connectivity.lambda_split(6006, lam)['GPe'] == gpe
    assert connectivity.lambda_split(10616, lam)['GPi'] == gpi


def test_msn_collaterals():
    subs = connectivity.msn_collaterals(70, 4.0, 0.5, 0.1, -0.41759)
    assert [(s, t, k) for s, t, k, _ in subs] == [
        ('MSN_d2', 'MSN_d2', 35), ('MSN_d2', 'MSN_d1', 35), ('MSN_d1', 'MSN_d1', 35),
        ('MSN_d1', 'MSN_d2', 7)]
    assert [w for *_, w in subs] == pytest.approx([-1.67036, -1.67036, -0.41759, -0.41759])


def test_integer_synapse_total(table):
    """docs/model.md §4.13: 14 177 556 integer-part synapses at lambda 0.1, NMDA included."""
    rows, full = table
    bg = fp.read_bg()
    total = 0
    for key, row in rows.items():
        if row['skipped']:
            continue
        n_tgt = full[row['tgt']]
        if key == 'MSN->MSN':
            n = sum(k * full['MSN'] // 2 for *_, k, _ in connectivity.msn_collaterals(
                row['k_int'], bg['syn_asymm'], bg['asymmetry_1'], bg['asymmetry_2'], 1.0))
        elif row['src'] == 'MSN':
            n = sum(connectivity.lambda_split(row['k_int'], bg['overlap_d1d2'])[row['tgt']]) * n_tgt
        else:
            n = row['k_int'] * n_tgt
        total += n * (2 if row['excitatory'] else 1)
    assert total == 14177556


def test_attenuation_length_constants():
    bg = fp.read_bg()
    for tgt, lx in {'FSI': 1.5693, 'GPe': 1.3268, 'GPi': 2.0667, 'MSN': 1.2380,
                    'STN': 1.2247}.items():
        got = bg['lx'][tgt] * np.sqrt(4 * bg['Ri'] / (bg['dx'][tgt] * bg['Rm']))
        assert abs(got - lx) <= 5e-5
