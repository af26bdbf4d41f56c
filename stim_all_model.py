#!/usr/bin/env python3
"""Run the BG model in the mode switched on in simParams.py; write to ./log/.

Usage::

    python3 stim_all_model.py [--log-dir DIR] [--set KEY=VALUE ...]

The entry point: it reads the command line, validates the parameters, opens
the run folder (``run_control``), resumes (``checkpoint``), builds the network
(``ini_all``) and runs the protocol of the mode (``modes``, docs/model.md §6).
NEST is imported only once every check has passed. Nothing imports this file.
"""
import argparse
import os
import shutil
import signal
import sys

import checkpoint
import conditions
import connectivity
import fetch_params as fp
import parallel
import run_control as rc
import run_folder as rf
from errors import Interrupted, Refused, RunFailed, cut

HERE = os.path.dirname(os.path.abspath(__file__))




# --------------------------------------------------------------------------
# resting_state (docs/model.md §6.1)
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Shared pieces of the episode modes
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# action_selection (docs/model.md §6.2)
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# plasticity (docs/model.md §5, 6.3, 7)
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--log-dir', default=None, help='output folder (default ./log)')
    parser.add_argument('--sim-params', default=None, help='simulation parameter file')
    parser.add_argument('--bg-params', default=None, help='BG parameter file')
    parser.add_argument('--resume', metavar='LOGDIR', default=None,
                        help='continue an interrupted plasticity run from its checkpoint')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the run held in the log folder (its files are removed '
                             'once the new run has passed every check)')
    parser.add_argument('--set', action='append', metavar='KEY=VALUE',
                        help='override a simParams key (repeatable), e.g. --set scale=0.1')
    parser.add_argument('--bg-set', action='append', metavar='KEY=VALUE',
                        help='override a bgParams key (repeatable), e.g. --bg-set syn_asymm=4.0')
    parser.add_argument('--overwrite-unfinished', action='store_true',
                        help='like --overwrite, but refuse a folder whose run has finished '
                             '(used by sweep.py: a run finished by another process is kept)')
    parser.add_argument('--mode', choices=fp.MODES,
                        help='the mode to run (instead of editing the switches in simParams.py)')
    parser.add_argument('--paper', metavar='NAME',
                        help="run a condition of the paper (e.g. k4_l02_m1) with every setting "
                             "that makes it comparable with the published runs; 'list' prints "
                             'the names')
    parser.add_argument('--verbose', action='store_true',
                        help="show NEST's banner and one build line per projection")
    parser.add_argument('--skip-memory-check', action='store_true',
                        help='build the network even if its estimated memory exceeds the '
                             "memory available on this machine")
    return parser.parse_args(argv)


def command_line_overrides(args):
    """(sim, bg) overrides of ``--mode``, ``--paper``, ``--set`` and ``--bg-set``."""
    sim_over = fp.parse_overrides(args.set)
    bg_over = fp.parse_overrides(args.bg_set, '--bg-set')
    if args.paper:
        if args.mode:
            raise fp.ParamError('--mode %s: --paper runs the plasticity protocol; allowed: one '
                                'of --mode and --paper' % args.mode)
        return conditions.paper_overrides(args.paper, sim_over, bg_over)
    if args.mode:
        switches = {m: m == args.mode for m in fp.MODES}
        sim_over = dict(switches, **sim_over)
    return sim_over, bg_over


def fresh_params(args):
    """simParams and bgParams of a new run: files plus the command line, validated."""
    sim_over, bg_over = command_line_overrides(args)
    sim = fp.read_sim(args.sim_params, sim_over)
    bg = fp.read_bg(args.bg_params, bg_over)
    fp.check_combination(sim, bg)
    connectivity.check_finite(sim, bg)
    return sim, bg


def check_memory(args, sim, bg):
    """Refuse (ParamError) a network that cannot fit this machine, unless
    ``--skip-memory-check``; MPI ranks on this machine share its memory."""
    if args.skip_memory_check:
        return
    world = parallel.current()
    ranks_here = int(os.environ.get('OMPI_COMM_WORLD_LOCAL_SIZE')
                     or os.environ.get('MPI_LOCALNRANKS') or world.size)
    connectivity.check_memory(sim, bg, ranks_here=ranks_here, ranks=world.size)


def open_run(args, progress):
    """Parameters, the locked RunLog and the resume data, or ParamError.

    Nothing is written here except the folder itself and its run.lock.
    """
    resume = meta = None
    if args.resume:
        if not os.path.isdir(args.resume):
            raise fp.ParamError('--resume %s: no such folder' % args.resume)
        allowed = checkpoint.resume_overrides(args)             # the options first: nothing read yet
        lock = rc.RunLock(args.resume).acquire()     # before reading: no live run changes it
        try:
            sim, bg, resume, meta = checkpoint.resume_params(args, allowed, parallel.current().size,
                                                  progress)
            check_memory(args, sim, bg)
        except Refused:
            lock.release()
            raise
        return sim, bg, resume, meta, rf.RunLog(args.resume), lock
    sim, bg = fresh_params(args)
    check_memory(args, sim, bg)
    for note in fp.protocol_notes(sim) + connectivity.input_notes(sim, bg):
        progress('note: ' + note)
    log_dir = rc.prepare_log_dir(args.log_dir or 'log')
    lock = rc.RunLock(log_dir).acquire()
    try:
        if args.overwrite_unfinished:
            rf.refuse_finished(log_dir)
        rc.refuse_occupied(log_dir, args.overwrite or args.overwrite_unfinished)
    except Refused:
        lock.release()
        raise
    return sim, bg, resume, meta, rf.RunLog(log_dir), lock


def rank_checks(net, state=None):
    """Digests per MPI rank of what every rank must share (raises if they differ):
    positions, channel members and, in plasticity, the weight read-out sample."""
    world = parallel.world()
    out = {'positions': world.agree('the positions', *(net.xy[k] for k in sorted(net.xy))),
           'channels': world.agree('the channel members', *(
               m for name in sorted(net.pops) if name in net.xy or name.startswith('MSN_')
               for m in net.channels(name)))}
    if state is not None:
        out['readout'] = world.agree('the weight read-out sample', *(
            c for h in sorted(state.samples) for c in state.samples[h]))
    return out


def run(sim, bg, resume, meta, run_log, stop, progress, detail=None):
    """Build, check, prepare the folder, run the mode; returns the exit code.
    ``detail`` gets the build's per-projection lines (default: dropped)."""
    import geometry  # NEST is imported here, once every check has passed
    import ini_all
    import modes
    import nest_routine as nr
    progress('mode %s (%s), msd %d, %d thread(s), scale %g, kappa %g, lambda %g, eta %g, '
             'log folder %s' % (sim['mode'], sim['condition'], sim['msd'], sim['nbcpu'],
                                sim['scale'], bg['syn_asymm'], bg['overlap_d1d2'],
                                bg['MSND2_mod'], run_log.dir))
    kwargs = {}
    try:
        net = ini_all.build_network(sim, bg, geometry.make_rngs(sim['msd']), progress,
                                    detail or (lambda line: None))
        modes.preflight(net, sim)
        if sim['mode'] == 'plasticity':
            kwargs['state'] = modes.PlasticState(net, bg['n_report_channels'],
                                                 sim['weights_readout_msn'],
                                                 bg['plastic_projections'])
            kwargs.update(resume=resume, checkpoint_tag=rf.params_digest(sim, bg))
            if resume is not None:
                kwargs['state'].check(resume)
        checks = rank_checks(net, kwargs.get('state'))
        stop.check()
    except Refused as err:
        print('error: %s' % err, file=sys.stderr)
        return 2
    except Interrupted as intr:
        progress('interrupted during the build; nothing was written')
        return intr.exit_code
    # the code that runs is the code of now; a resume keeps the first segment's commit
    # at the top and lists its own with the resume
    commit = rf.git_commit()
    extra = {'status': 'running', 'rank_checks': checks,
             'git_commit': commit if resume is None else meta.get('git_commit', 'unknown')}
    try:
        # only now, with every check passed and the network built, touch the folder
        prepare_folder(sim, resume, meta, run_log, extra, commit, progress, nr)
        modes.write_network_files(run_log, net, bg)
        run_log.write_run_json(modes.run_metadata(sim, bg, net, extra))
        result = modes.PROTOCOLS[sim['mode']](net, sim, bg, run_log, progress, stop, **kwargs)
        result.update(input_load_seconds=round(net.inputs.load_seconds, 3),
                      input_spikes_loaded=net.inputs.spikes_loaded)
        run_log.write_run_json(modes.run_metadata(sim, bg, net, dict(extra, **result,
                                                                     status='finished')))
    except Interrupted as intr:
        mark_run(run_log, modes.run_metadata(sim, bg, net, extra), status='interrupted',
                 next_episode=intr.next_episode, model_ms=intr.model_ms,
                 signal=signal.Signals(intr.signum).name)
        print(interrupted_line(intr, sim, run_log.dir), file=sys.stderr)
        return intr.exit_code
    except (rf.WriteError, RunFailed) as err:
        mark_run(run_log, modes.run_metadata(sim, bg, net, extra), status='failed',
                 error=str(err))
        print('error: %s' % err, file=sys.stderr)
        return 1
    except BaseException as err:
        mark_run(run_log, modes.run_metadata(sim, bg, net, extra), status='failed',
                 error='%s: %s' % (type(err).__name__, cut(err, 1000)))
        raise
    return 0


def prepare_folder(sim, resume, meta, run_log, extra, commit, progress, nest_routine):
    """A fresh run removes the files of an earlier one; a resumed run is cut back
    to its checkpoint and reseeded (:func:`checkpoint.prepare_resume`)."""
    if resume is None:
        run_log.clean()
        return
    seed = checkpoint.prepare_resume(sim, resume, meta, run_log.dir, extra, commit)
    nest_routine.reseed(seed)            # fresh noise, not a replay of the first episodes
    progress('resuming at episode %d with NEST seed %d (derived from msd %d and the '
             'episode)' % (resume['next_episode'], seed, sim['msd']))


def mark_run(run_log, meta, **status):
    """Write run.json with a final status where that still works (a full disk may
    refuse it too: the error that stopped the run is the one reported)."""
    try:
        run_log.write_run_json(dict(meta, **{k: v for k, v in status.items()
                                             if v is not None}))
    except (rf.WriteError, OSError):
        pass


def interrupted_line(intr, sim, log_dir):
    """The one line that says where an interrupted run stopped and what to do."""
    name = signal.Signals(intr.signum).name
    if sim['mode'] == 'plasticity':
        return ('interrupted by %s after %d episodes (rows and checkpoint written); resume '
                'with: python3 stim_all_model.py --resume %s' % (name, intr.next_episode, log_dir))
    if sim['mode'] == 'action_selection':
        return ('interrupted by %s after %d episodes (their rows are written); only '
                'plasticity runs resume: run it again' % (name, intr.next_episode))
    return ('interrupted by %s at %.0f of %.0f model ms; a resting run writes its rates at '
            'the end, so none were written: run it again'
            % (name, intr.model_ms, sim['simDuration'] + sim['initial_ignore']))


def open_other_rank(args, world):
    """What rank > 0 needs once rank 0 has opened the run: the same parameters
    (and checkpoint), a scratch RunLog and no lock (rank 0 holds it)."""
    if args.resume:
        sim, bg, resume, meta = checkpoint.resume_params(
            args, checkpoint.resume_overrides(args), world.size, lambda line: None)
    else:
        (sim, bg), resume, meta = fresh_params(args), None, None
    return sim, bg, resume, meta, rf.RunLog(parallel.scratch_dir(world.rank)), rc.NoLock()


def closing_lines(args, sim, bg, log_dir):
    """What a finished run prints last: where its results are, what to run next."""
    lines = ['results in %s' % log_dir,
             'next: python3 figures/plots.py --run %s' % log_dir]
    if sim['mode'] == 'plasticity' and args.paper:
        folder = rf.condition_folder(bg['syn_asymm'], bg['overlap_d1d2'], bg['MSND2_mod'],
                                     sim['condition'])
        lines.append('compare with the published runs: python3 validation/learning_curves.py '
                     '%s --reference PUBLISHED/%s' % (log_dir, folder))
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.paper == 'list':
        print('\n'.join(conditions.paper_conditions()))
        return 0
    if args.verbose:
        os.environ.pop('PYNEST_QUIET', None)
    else:
        os.environ.setdefault('PYNEST_QUIET', '1')     # no banner when NEST is imported
    world = parallel.current()

    def progress(line):
        if world.root:
            print(line, flush=True)

    error, opened = None, None
    if world.root:
        try:
            opened = open_run(args, progress)
        except Refused as err:
            error = (2, str(err))
        except Exception as err:          # e.g. a folder without flock: stop every rank
            if world.size == 1:
                raise
            error = (1, '%s: %s' % (type(err).__name__, err))
    error = world.bcast(error)            # every rank stops, or none
    if error is not None:
        if world.root:
            print('error: %s' % error[1], file=sys.stderr)
        return error[0]
    if not world.root:
        opened = open_other_rank(args, world)
    world.barrier()                       # rank 0 has locked the folder before others read it
    sim, bg, resume, meta, run_log, lock = opened
    stop = rc.StopFlag(agree=world.max).install()
    try:
        code = run(sim, bg, resume, meta, run_log, stop, progress,
                   progress if args.verbose else None)
        if code == 0:
            for line in closing_lines(args, sim, bg, run_log.dir):
                progress(line)
        return code
    finally:
        stop.uninstall()
        lock.release()
        if not world.root:
            shutil.rmtree(run_log.dir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
