#!/usr/bin/env python3
"""Micro-benchmark of one input layer's drive: 36 000 parrots, nothing downstream.

Usage (from the repository root)::

    python3 benchmarks/drive_micro.py poisson_generator_ps 15
    python3 benchmarks/drive_micro.py poisson_generator 15
    python3 benchmarks/drive_micro.py spike_train_injector 15
    python3 benchmarks/drive_micro.py poisson_generator_ps 0     # parrots only

One line ``DRIVE kind=... rate_hz=... wall_per_model_s=... load_s=...``, on 1
thread, 2 s of model time. ``spike_train_injector`` replaces the parrots by
injector nodes loaded with Poisson trains drawn in NumPy (on the 0.1-ms grid);
``load_s`` is the time to draw and set them. A generator at rate 0 sends
nothing, so that line is the cost of updating 36 000 parrots alone.
"""
import argparse
import time

import numpy as np

N_PARROTS = 36_000
T_MS = 2000.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('kind', choices=('poisson_generator_ps', 'poisson_generator',
                                    'spike_train_injector'))
    p.add_argument('rate', type=float, help='rate of every parrot (Hz)')
    args = p.parse_args()
    import nest
    nest.ResetKernel()
    nest.set(resolution=0.1, local_num_threads=1, print_time=False)
    load = 0.0
    if args.kind == 'spike_train_injector':
        nodes = nest.Create('spike_train_injector', N_PARROTS)
        t0 = time.time()
        rng = np.random.default_rng(1)
        counts = rng.poisson(args.rate * T_MS / 1000.0, N_PARROTS)
        trains = [np.unique(np.round(np.sort(rng.uniform(0.1, T_MS, k)), 1)) for k in counts]
        nodes.set([{'spike_times': t} for t in trains])
        load = time.time() - t0
        # a 1-ms connection so that min_delay is 1 ms as in the model
        nest.Connect(nodes[:1], nest.Create('parrot_neuron'), 'all_to_all', {'delay': 1.0})
    else:
        parrots = nest.Create('parrot_neuron', N_PARROTS)
        gen = nest.Create(args.kind, params={'rate': args.rate})
        nest.Connect(gen, parrots, 'all_to_all', {'delay': 1.0})
    t0 = time.time()
    nest.Simulate(T_MS)
    wall = time.time() - t0
    print('DRIVE kind=%s rate_hz=%g parrots=%d wall_per_model_s=%.2f load_s=%.2f'
          % (args.kind, args.rate, N_PARROTS, wall / (T_MS / 1000.0), load), flush=True)


if __name__ == '__main__':
    main()
