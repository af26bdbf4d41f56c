#!/usr/bin/env python3
"""Micro-benchmark of one input layer's drive: 36 000 parrots, nothing downstream.

Usage (from the repository root)::

    python3 benchmarks/drive_micro.py poisson_generator_ps 15
    python3 benchmarks/drive_micro.py poisson_generator 15
    python3 benchmarks/drive_micro.py spike_train_injector 15
    python3 benchmarks/drive_micro.py poisson_generator_ps 0     # parrots only
    python3 benchmarks/drive_micro.py spike_train_injector 0 --nodes 108000
    python3 benchmarks/drive_micro.py spike_train_injector 0 --nodes 108000 --late-spike

``--nodes`` sets the layer size (default 36 000, one input layer at scale 1;
108 000 is all three, as with full-size inputs). Comparing 10 800, 36 000 and
108 000 nodes shows the per-node cost of NEST's 1-ms update slices, which
grows once the nodes no longer fit in cache. ``--late-spike`` gives every
injector one spike after the end of the run: at rate 0 the nodes then always
have a spike to come but never send one, which separates the cost of looking
up the next spike time from the cost of sending spikes.

One line ``DRIVE kind=... rate_hz=... parrots=... wall_per_model_s=... ns_per_node_slice=...
load_s=...``, on 1
thread, 2 s of model time. ``spike_train_injector`` replaces the parrots by
injector nodes loaded with Poisson trains drawn in NumPy (on the 0.1-ms grid);
``load_s`` is the time to draw and set them. A generator at rate 0 sends
nothing, so that line is the cost of updating 36 000 parrots alone.
"""
import argparse
import time

import numpy as np

T_MS = 2000.0
MIN_DELAY_MS = 1.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('kind', choices=('poisson_generator_ps', 'poisson_generator',
                                    'spike_train_injector'))
    p.add_argument('rate', type=float, help='rate of every parrot (Hz)')
    p.add_argument('--nodes', type=int, default=36_000, help='parrots or injectors (default 36000)')
    p.add_argument('--late-spike', action='store_true',
                   help='injectors: add one spike after the end of the run to every train, so '
                        'every node always has a spike to come (with rate 0: none is ever sent)')
    args = p.parse_args()
    n_nodes = args.nodes
    import nest
    nest.ResetKernel()
    nest.set(resolution=0.1, local_num_threads=1, print_time=False)
    load = 0.0
    if args.kind == 'spike_train_injector':
        nodes = nest.Create('spike_train_injector', n_nodes)
        t0 = time.time()
        rng = np.random.default_rng(1)
        counts = rng.poisson(args.rate * T_MS / 1000.0, n_nodes)
        trains = [np.unique(np.round(np.sort(rng.uniform(0.1, T_MS, k)), 1)) for k in counts]
        if args.late_spike:
            trains = [np.append(t, 2 * T_MS) for t in trains]
        nodes.set([{'spike_times': t} for t in trains])
        load = time.time() - t0
        # a 1-ms connection so that min_delay is 1 ms as in the model
        nest.Connect(nodes[:1], nest.Create('parrot_neuron'), 'all_to_all', {'delay': MIN_DELAY_MS})
    else:
        parrots = nest.Create('parrot_neuron', n_nodes)
        gen = nest.Create(args.kind, params={'rate': args.rate})
        nest.Connect(gen, parrots, 'all_to_all', {'delay': MIN_DELAY_MS})
    t0 = time.time()
    nest.Simulate(T_MS)
    wall = time.time() - t0
    n_slices = T_MS / MIN_DELAY_MS
    print('DRIVE kind=%s rate_hz=%g parrots=%d wall_per_model_s=%.2f ns_per_node_slice=%.1f '
          'load_s=%.2f' % (args.kind, args.rate, n_nodes, wall / (T_MS / 1000.0),
                           wall / (n_nodes * n_slices) * 1e9, load), flush=True)


if __name__ == '__main__':
    main()
