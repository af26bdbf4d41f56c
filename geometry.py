"""Seeding, positions and channels: the pure geometry of the model (docs/model.md §2-3).

Every random stream of a run is derived here from the master seed ``msd``.
Units: sheet units. Nothing here imports NEST.
"""
import random
from dataclasses import dataclass

import numpy as np


@dataclass
class Rngs:
    """Every random stream of a run, all derived from the master seed ``msd``.

    Attributes
    ----------
    nest_seed : int
        NEST kernel ``rng_seed`` (= msd).
    grid : numpy.random.RandomState
        ``RandomState(msd)``, the original's ``pyrngs[0]``: grid-point removal
        and GPi_fake z, consumed in the original order (bit-exact positions).
    msn : numpy.random.Generator
        MSN positions (unseeded in the original, docs/model.md [Q-3]).
    conn : numpy.random.Generator
        Fractional-remainder synapses.
    py : random.Random
        Stimulated channel subsets (``random.sample`` in the original).
    readout : numpy.random.Generator
        Which MSNs the per-episode weight read-out samples (no model effect).
    draw : numpy.random.Generator
        Sources of the input projections when they are drawn in NumPy
        (``input_draw`` other than 'nest'; unused by NEST's own draw).
    draw_msn : numpy.random.Generator
        Sources of the projections from MSNs when they are drawn in NumPy
        (``msn_draw`` other than 'nest').
    inputs : numpy.random.SeedSequence
        Root of the input trains of the ``spike_train_injector`` drive; one
        stream per stretch of time (``input_drive.InputDrive.load``).
    """
    nest_seed: int
    grid: np.random.RandomState
    msn: np.random.Generator
    conn: np.random.Generator
    py: random.Random
    readout: np.random.Generator
    inputs: np.random.SeedSequence
    draw: np.random.Generator = None
    draw_msn: np.random.Generator = None


def make_rngs(msd):
    """Derive all random streams of a run from the master seed ``msd`` (int >= 1)."""
    children = np.random.SeedSequence(msd).spawn(7)   # child k is the same for any count
    py_seed = int(children[2].generate_state(1)[0])
    return Rngs(nest_seed=int(msd), grid=np.random.RandomState(msd),
                msn=np.random.default_rng(children[0]), conn=np.random.default_rng(children[1]),
                py=random.Random(py_seed), readout=np.random.default_rng(children[3]),
                inputs=children[4], draw=np.random.default_rng(children[5]),
                draw_msn=np.random.default_rng(children[6]))


def grid_positions(n, a0, a1, rng):
    """Grid-layer positions: a q x q x-major grid with q = ceil(sqrt(n)).

    If q**2 > n, ``rng.choice(q**2, n, replace=False)`` points are kept,
    sorted so the x-major order is preserved (the original algorithm).

    Parameters
    ----------
    n : int
        Number of neurons.
    a0, a1 : float
        Offset and span (sheet units): P(i, j) = (i/q*a1 - a0, j/q*a1 - a0).
    rng : numpy.random.RandomState
        The grid stream (consumed only when points are removed).

    Returns
    -------
    ndarray, shape (n, 2)
    """
    q = int(np.ceil(np.sqrt(n)))
    ii, jj = np.meshgrid(np.arange(q), np.arange(q), indexing='ij')
    pts = np.column_stack([ii.ravel() / q * a1 - a0, jj.ravel() / q * a1 - a0])
    if q * q > n:
        pts = pts[np.sort(rng.choice(q * q, size=n, replace=False))]
    return pts


def uniform_positions(n, rng):
    """``n`` positions uniform in [-0.5, 0.5)^2 (x then y per point), shape (n, 2)."""
    return rng.uniform(-0.5, 0.5, size=(n, 2))


def round3(values):
    """Round like ``'%1.3f'`` (the position files); returns a float array."""
    arr = np.asarray(values, dtype=float)
    return np.array(['%1.3f' % v for v in arr.ravel()], dtype=float).reshape(arr.shape)


def channel_centres(n_channels, ring_radius):
    """Centres c_i = r (cos(60 i - 30 deg), sin(60 i - 30 deg)), shape (n, 2)."""
    theta = np.deg2rad(60.0 * np.arange(n_channels) - 30.0)
    return np.column_stack([ring_radius * np.cos(theta), ring_radius * np.sin(theta)])


def channel_members(xy_rounded, centres, radius):
    """Indices of the neurons within ``radius`` of each centre (list of arrays)."""
    return [np.flatnonzero(np.hypot(xy_rounded[:, 0] - c[0], xy_rounded[:, 1] - c[1]) <= radius)
            for c in centres]
