#!/usr/bin/env python3
"""Benchmark: build the network at a given scale and mode, simulate, print one line.

Usage (from the repository root)::

    python3 benchmarks/bench.py --scale 1 --mode resting_state --model-ms 3000 --threads 2
    python3 benchmarks/bench.py --scale 0.1 --mode plasticity --episodes 3
    python3 benchmarks/bench.py --set input_generator=poisson_generator   # the old drive
    python3 benchmarks/bench.py --bg-set rateCSN=0 --bg-set ratePTN=0 --bg-set rateCMPf=0
                                                  # silent inputs: the drive's share

Output: one line ``BENCH key=value ...`` with build seconds, wall seconds per
model second, peak RSS (MB; the largest rank and every rank), nodes,
synapses, recorded spikes per wall second, NEST version, threads and MPI
processes. Over MPI processes (``--mpi 2 --python ~/.cache/bg-nest-mpi/bin/python3
--threads 1``) the run is started with ``mpirun``. Runs the package's own
entry point (``stim_all_model.py``) as a child process, so it measures
exactly what a user runs; the peak RSS is that of the largest process.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import run_folder as rf

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      'stim_all_model.py')


def overrides(args):
    """--set items for the requested benchmark."""
    sets = ['resting_state=False', '%s=True' % args.mode, 'scale=%r' % args.scale,
            'nbcpu=%d' % args.threads, 'msd=%d' % args.msd, 'save_spikes=False']
    if args.deliver_interval:
        sets.append("vt_deliver_interval={'resting_state': %d, 'action_selection': %d, "
                    "'plasticity': %d}" % ((args.deliver_interval,) * 3))
    if args.mode == 'resting_state':
        sets.append('simDuration=%r' % float(args.model_ms))
    elif args.mode == 'action_selection':
        sets += ['as_grid=%d' % args.grid]
    else:
        sets += ['con_ep=%d' % (args.episodes - 1), 'gen_ep=0', 'dis_ep=1', 'probe_T1=[]',
                 'probe_T2=[]', 'n_unreinforced=0', 'checkpoint_every=0']
    out = [x for s in sets for x in ('--set', s)]
    for s in args.set:
        out += ['--set', s]
    for s in args.bg_set:
        out += ['--bg-set', s]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scale', type=float, default=1.0)
    p.add_argument('--mode', default='resting_state',
                   choices=('resting_state', 'action_selection', 'plasticity'))
    p.add_argument('--model-ms', type=float, default=3000.0, help='resting_state duration (ms)')
    p.add_argument('--grid', type=int, default=2, help='action_selection grid size')
    p.add_argument('--episodes', type=int, default=3, help='plasticity episodes (CS+ then one CS-)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--msd', type=int, default=814)
    p.add_argument('--deliver-interval', type=int, default=0,
                   help='volume-transmitter interval (x min_delay); 0 = simParams default')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                   help='extra simParams override, e.g. input_generator=poisson_generator')
    p.add_argument('--bg-set', action='append', default=[], metavar='KEY=VALUE',
                   help='extra bgParams override, e.g. rateCSN=0 (silent inputs)')
    p.add_argument('--mpi', type=int, default=0, help='MPI processes (run under mpirun)')
    p.add_argument('--python', default=sys.executable, help='python of the run (MPI build)')
    args = p.parse_args()
    log_dir = tempfile.mkdtemp(prefix='bench_')
    launcher = (['mpirun', '--allow-run-as-root', '-np', str(args.mpi)] if args.mpi else [])
    t0 = time.time()
    code = subprocess.run(launcher + [args.python, SCRIPT, '--log-dir', log_dir]
                          + overrides(args)).returncode
    wall = time.time() - t0
    if code:
        sys.exit(code)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    meta = rf.read_run_json(log_dir, 'bench')
    model_s = meta['model_ms'] / 1000.0
    sim = meta['simParams']
    fields = dict(mode=args.mode, scale=args.scale, threads=meta['threads'],
                  input_generator=sim.get('input_generator', 'poisson_generator'),
                  full_size_inputs=sim.get('full_size_inputs', False),
                  input_layer_scale=meta.get('inputs', {}).get('layer_scale', '?'),
                  input_draw=meta.get('inputs', {}).get('draw', sim.get('input_draw', 'nest')),
                  nest=meta['nest_version'], deliver_interval=meta['simParams'][
                      'vt_deliver_interval'][args.mode],
                  build_s='%.1f' % meta['build_seconds'], model_s='%.1f' % model_s,
                  sim_s='%.1f' % meta['sim_seconds'],
                  wall_per_model_s='%.2f' % (meta['sim_seconds'] / model_s),
                  input_load_s='%.1f' % meta.get('input_load_seconds', 0.0),
                  total_wall_s='%.1f' % wall,
                  mpi_processes=meta.get('mpi_processes', 1),
                  peak_rss_mb='%.0f' % rss_mb,
                  nodes=meta['n_nodes'], synapses=meta['n_synapses'],
                  spikes_per_s='%.0f' % (meta.get('n_spikes', 0) / meta['sim_seconds']))
    print('BENCH ' + ' '.join('%s=%s' % kv for kv in fields.items()), flush=True)


if __name__ == '__main__':
    main()
