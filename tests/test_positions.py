"""Position algorithm (docs/model.md §2.1, 2.3, 2.5) against the published run log1 (msd 814).

The grid algorithm seeded with RandomState(814), consumed in the original
order, must reproduce every grid coordinate and the GPi_fake z values of
the shipped position files exactly (compared after the files' %1.3f
rounding, so the tolerance is 0).
"""
import os

import numpy as np
import pytest

import connectivity
import fetch_params as fp
import geometry
from conftest import reference_dir

GRID = (('GPi', 0.4, 0.9), ('FSI', 0.5, 1.0), ('STN', 0.4, 0.9), ('GPe', 0.5, 1.0))
INPUT_GRID = ('CSN', 'PTN', 'CMPf')


@pytest.fixture(scope='module')
def generated():
    """Positions generated with the original RNG order for msd 814."""
    bg = fp.read_bg()
    _, sizes = connectivity.population_sizes(bg, 1.0)
    rng = geometry.make_rngs(814).grid
    pos = {name: geometry.grid_positions(sizes[name], a0, a1, rng) for name, a0, a1 in GRID}
    pos['GPi_fake_z'] = rng.uniform(0.0, 0.5, sizes['GPi'])
    for name in INPUT_GRID:
        pos[name] = geometry.grid_positions(sizes[name], 0.5, 1.0, rng)
    return pos


@pytest.mark.parametrize('name', [g[0] for g in GRID] + list(INPUT_GRID))
def test_grid_positions_match_reference(generated, name):
    ref = np.loadtxt(os.path.join(reference_dir(), name + '.txt'))
    np.testing.assert_array_equal(geometry.round3(generated[name]), ref[:, 1:3])


def test_gpi_fake_matches_reference(generated):
    ref = np.loadtxt(os.path.join(reference_dir(), 'GPi_fake.txt'))
    gpi = np.loadtxt(os.path.join(reference_dir(), 'GPi.txt'))
    np.testing.assert_array_equal(ref[:, 1:3], gpi[:, 1:3])
    np.testing.assert_array_equal(geometry.round3(generated['GPi_fake_z']), ref[:, 3])


def test_reference_channel_sizes(generated):
    """docs/model.md §3: channel sizes of the reference run (msd 814)."""
    centres = geometry.channel_centres(6, 0.24)
    want = {'GPi': [9, 10, 8, 10, 9, 9], 'STN': [6, 6, 6, 6, 5, 4],
            'GPe': [12, 11, 16, 13, 14, 16], 'FSI': [29, 27, 31, 28, 27, 30]}
    for name, sizes in want.items():
        members = geometry.channel_members(geometry.round3(generated[name]), centres, 0.12)
        assert [len(m) for m in members] == sizes, name


def test_centres_match_reference():
    ref = np.loadtxt(os.path.join(reference_dir(), 'centers.txt'))
    np.testing.assert_allclose(geometry.channel_centres(6, 0.24), ref, rtol=0, atol=1e-15)


def test_grid_without_removal_consumes_no_random_numbers():
    rng = np.random.RandomState(1)
    pts = geometry.grid_positions(16, 0.5, 1.0, rng)
    assert pts.shape == (16, 2)
    assert rng.randint(1 << 30) == np.random.RandomState(1).randint(1 << 30)
