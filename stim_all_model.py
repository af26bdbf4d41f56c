#!/usr/bin/env python3
"""Run the BG model in the mode switched on in simParams.py; write to ./log/.

Usage::

    python3 stim_all_model.py [--log-dir DIR] [--set KEY=VALUE ...]

Modes (MODEL_SPEC 6): ``resting_state``, ``action_selection``, ``plasticity``.
Every output file is written here (``RunLog``); a fresh run first removes
this package's output files from the log folder (``do_tests.txt`` is kept).
"""
import argparse
import ast
import json
import os
import platform
import sys
import time

import numpy as np

import fetch_params as fp

HERE = os.path.dirname(os.path.abspath(__file__))
POSITION_FILES = ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'FSI', 'STN', 'GPe', 'GPi_fake', 'CSN',
                  'PTN', 'CMPf')
RATE_FILES = ('GPi', 'MSN', 'MSN_d1', 'MSN_d2', 'FSI', 'GPe', 'STN', 'PTN', 'CSN')
OUTPUT_FILES = (
    ['%s.txt' % p for p in POSITION_FILES] + ['%s_fr.txt' % p for p in RATE_FILES] +
    ['centers.txt', 'weights_d1.txt', 'weights_d2.txt', 'mean_fr.json', 'At.json',
     'performance.txt', 'run.json', 'CS_plus.txt', 'CS_minus.txt', 'current_task.txt',
     'plot_labels.txt', 'reward.txt', 'mean_weights.txt'])
OUTPUT_PATTERNS = ('_spikes.dat', '_to_MSN_d1.txt', '_to_MSN_d2.txt', 'checkpoint.npz')


# --------------------------------------------------------------------------
# Output: one writer that knows the log folder
# --------------------------------------------------------------------------
class RunLog:
    """All file output of a run, in one folder; rows are flushed as written."""

    def __init__(self, log_dir):
        self.dir = os.path.abspath(log_dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def clean(self):
        """Remove this package's outputs of an earlier run (never do_tests.txt)."""
        for name in os.listdir(self.dir):
            if name in OUTPUT_FILES or name.endswith(OUTPUT_PATTERNS):
                os.remove(self.path(name))

    def write_json(self, name, obj):
        with open(self.path(name), 'w') as fh:
            json.dump(obj, fh, indent=1)

    def append_row(self, name, values):
        """Append one row of Python-repr floats (the original *_fr.txt format)."""
        with open(self.path(name), 'a') as fh:
            fh.write(' '.join(repr(float(v)) for v in values) + '\n')

    def append_line(self, name, text):
        with open(self.path(name), 'a') as fh:
            fh.write(text + '\n')

    def append_spikes(self, name, senders, times):
        """Append spikes to ``<name>_spikes.dat`` (columns sender, time_ms)."""
        path = self.path(name + '_spikes.dat')
        new = not os.path.exists(path)
        with open(path, 'a') as fh:
            if new:
                fh.write('# sender time_ms\n')
            np.savetxt(fh, np.column_stack([senders, times]), fmt=['%d', '%.1f'])


def write_network_files(run_log, net, bg):
    """Position files, channel centres and the weights_d*.txt construction log."""
    import nest_routine as nr
    for name in POSITION_FILES:
        ids = net.pop(name).tolist()
        xy = net.xy[name] if name in net.xy else net.xy['MSN'][:len(ids)]
        nr.write_positions(run_log.path(name + '.txt'), ids, xy)
    np.savetxt(run_log.path('centers.txt'), net.centres)
    rows = {r['key']: r for r in net.projections}
    g = bg['plast_gain']
    for half in ('d1', 'd2'):
        import nest
        defaults = nest.GetDefaults('syn_' + half)
        lines = ['syn_%s defaults: %s' % (half, {k: defaults[k] for k in (
            'A_plus', 'A_minus', 'Wmax', 'Wmin', 'b', 'tau_plus', 'tau_c', 'tau_n')})]
        for key in ('CSN->MSN', 'PTN->MSN'):
            lines.append('%s: %r' % (key, float(rows[key]['w_ampa'] * g)))
            lines.append('mirror NMDA %s, weight: %r' % (half, float(rows[key]['w_nmda'] * g)))
        with open(run_log.path('weights_%s.txt' % half), 'w') as fh:
            fh.write('\n'.join(lines) + '\n')


def run_metadata(sim, bg, net, extra):
    """Everything needed to reproduce and audit a run (written to run.json)."""
    import nest
    proj = [{k: v for k, v in r.items()} for r in net.projections]
    return dict(extra, msd=sim['msd'], mode=sim['mode'], nest_version=nest.__version__,
                threads=nest.GetKernelStatus('local_num_threads'), python=platform.python_version(),
                n_nodes=int(nest.GetKernelStatus('network_size')),
                n_synapses=int(nest.GetKernelStatus('num_connections')),
                population_sizes=net.sizes, build_seconds=net.build_seconds,
                projections=proj, simParams=sim, bgParams=bg)


# --------------------------------------------------------------------------
# resting_state (MODEL_SPEC 6.1)
# --------------------------------------------------------------------------
def resting_rates(net, sim, t_stop):
    """Mean rate (Hz) of every recorded population over [record_start, t_stop]."""
    import nest_routine as nr
    duration = t_stop - sim['record_start']
    rates, events = {}, {}
    for name, rec in net.recorders.items():
        events[name] = nr.read_events(rec)
        rates[name] = nr.mean_rate(len(events[name][0]), len(net.pops[name]), duration)
    n_msn = len(net.pops['MSN_d1']) + len(net.pops['MSN_d2'])
    rates['MSN'] = nr.mean_rate(len(events['MSN_d1'][0]) + len(events['MSN_d2'][0]), n_msn,
                                duration)
    return rates, events


def run_resting_state(net, sim, bg, run_log, progress):
    """Simulate, then write mean_fr.json, At.json, performance.txt and spikes."""
    import nest
    import nest_routine as nr
    t_stop = sim['simDuration'] + sim['initial_ignore']
    t0 = time.time()
    nest.Simulate(t_stop)
    sim_seconds = time.time() - t0
    rates, events = resting_rates(net, sim, t_stop)
    run_log.write_json('mean_fr.json', rates)
    activity = {}
    for name, (senders, times) in events.items():
        activity[name] = nr.population_activity(times, len(net.pops[name]), sim['record_start'],
                                                t_stop, sim['dt'], sim['at_window']).tolist()
    d1, d2 = events['MSN_d1'][1], events['MSN_d2'][1]
    activity['MSN'] = nr.population_activity(np.concatenate([d1, d2]), len(net.pop('MSN')),
                                             sim['record_start'], t_stop, sim['dt'],
                                             sim['at_window']).tolist()
    run_log.write_json('At.json', activity)
    run_log.append_line('performance.txt', 'Simulation_Elapse_Time %r' % sim_seconds)
    if sim['save_spikes']:
        for name, (senders, times) in events.items():
            run_log.append_spikes(name, senders, times)
    progress('simulated %.0f ms in %.1f s (%.1f s per model second)'
             % (t_stop, sim_seconds, sim_seconds / (t_stop / 1000.0)))
    progress('rates (Hz): ' + ', '.join('%s %.3f' % (k, rates[k]) for k in
                                        ('GPi', 'GPe', 'STN', 'FSI', 'MSN_d1', 'MSN_d2')
                                        if k in rates))
    return {'sim_seconds': sim_seconds, 'model_ms': t_stop, 'rates': rates}


MODES = {'resting_state': run_resting_state}


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def parse_overrides(items):
    """``['key=value', ...]`` -> dict, values parsed as Python literals."""
    out = {}
    for item in items or []:
        if '=' not in item:
            raise fp.ParamError('--set %r: expected KEY=VALUE' % item)
        key, value = item.split('=', 1)
        try:
            out[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key.strip()] = value
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--log-dir', default='log', help='output folder (default ./log)')
    parser.add_argument('--sim-params', default=None, help='simulation parameter file')
    parser.add_argument('--bg-params', default=None, help='BG parameter file')
    parser.add_argument('--set', action='append', metavar='KEY=VALUE',
                        help='override a simParams key (repeatable), e.g. --set scale=0.1')
    return parser.parse_args(argv)


def prepare_log_dir(path):
    """Create the log folder if needed and check it is writable."""
    os.makedirs(path, exist_ok=True)
    if not os.access(path, os.W_OK):
        raise fp.ParamError('log folder %s is not writable' % path)
    return path


def main(argv=None):
    args = parse_args(argv)
    try:
        sim = fp.read_sim(args.sim_params, parse_overrides(args.set))
        bg = fp.read_bg(args.bg_params)
        run_log = RunLog(prepare_log_dir(args.log_dir))
    except fp.ParamError as err:
        print('error: %s' % err, file=sys.stderr)
        return 2
    import ini_all
    import nest_routine as nr

    def progress(line):
        print(line, flush=True)

    run_log.clean()
    progress('mode %s, msd %d, %d thread(s), scale %g, log folder %s'
             % (sim['mode'], sim['msd'], sim['nbcpu'], sim['scale'], run_log.dir))
    net = ini_all.build_network(sim, bg, nr.make_rngs(sim['msd']), progress)
    write_network_files(run_log, net, bg)
    result = MODES[sim['mode']](net, sim, bg, run_log, progress)
    run_log.write_json('run.json', run_metadata(sim, bg, net, result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
