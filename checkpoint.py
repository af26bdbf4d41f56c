"""Resuming a plasticity run: the resume checks, the rebuild, the truncation.

A resumed run takes every parameter from its run.json (read by
``run_folder``), refuses a checkpoint that does not belong to it, rebuilds
the network on the run's own number of virtual processes, cuts its files back
to the checkpoint and draws fresh noise from a seed derived from msd and the
episode (docs/checkpoints.md). The checkpoint itself is written by the
plasticity protocol through ``run_folder.RunLog.write_checkpoint``.
"""
import os

import numpy as np

import connectivity
import fetch_params as fp
import protocol
import run_folder as rf

HERE = os.path.dirname(os.path.abspath(__file__))


RESUME_KEYS = ('nbcpu',)    # --set keys allowed with --resume (nbcpu x ranks must stay the run's)


def resume_overrides(args):
    """The ``--set`` values allowed with ``--resume`` (threads only); refuse the rest.

    A resumed run takes every parameter from its run.json, so an override
    that would change the model or the protocol is an error, not ignored.
    """
    if (args.bg_set or args.log_dir or args.sim_params or args.bg_params or args.overwrite
            or args.overwrite_unfinished or args.mode or args.paper):
        raise fp.ParamError('--resume %s: --bg-set, --log-dir, --sim-params, --bg-params, '
                            '--mode, --paper and --overwrite cannot be combined with --resume '
                            '(the run continues in its folder with the parameters of its '
                            'run.json)' % args.resume)
    sets = fp.parse_overrides(args.set)
    bad = sorted(set(sets) - set(RESUME_KEYS))
    if bad:
        raise fp.ParamError('--resume %s: --set %s cannot be changed on resume (the parameters '
                            'come from run.json); allowed with --resume: %s'
                            % (args.resume, ', '.join(bad), ', '.join(RESUME_KEYS)))
    if sets:
        fp.validate(dict(sets), {k: fp.SIM_SCHEMA[k] for k in sets}, '--set')
    return sets


def _package_defaults():
    """The shipped parameter files' dicts (for the format-1 upgrade only)."""
    return (fp._load(os.path.join(HERE, 'simParams.py'), 'simParams'),
            fp._load(os.path.join(HERE, 'bgParams.py'), 'bgParams'))


def run_params(log_dir, progress=print, label='--resume'):
    """(run.json, sim, bg) of a run folder, upgraded to this format and validated.

    Independent of the current parameter files (except the documented
    format-1 upgrade). Refuses a missing, truncated or foreign run.json and
    parameters that fail validation; errors start with ``label`` and the folder.
    """
    meta = rf.read_run_json(log_dir, label)
    meta_version = meta.get('format_version', 1)
    try:
        if meta_version == 1:
            meta, added = rf.upgrade_meta(meta, *_package_defaults())
            if added:
                progress('run.json of format 1: added %s from the package defaults '
                         '(docs/checkpoints.md)' % ', '.join(added))
        else:
            meta, added = rf.upgrade_meta(meta, {}, {})
            if added:
                progress('run.json of format %d: added %s with the values that format was '
                         'made with (docs/checkpoints.md)' % (meta_version, ', '.join(added)))
    except rf.RunFolderError as err:
        raise fp.ParamError('%s %s: %s' % (label, log_dir, err)) from None
    sim, bg = meta['simParams'], meta['bgParams']
    sim.pop('mode', None)
    meta_path = os.path.join(log_dir, 'run.json')
    fp.validate(sim, fp.SIM_SCHEMA, meta_path)
    fp.validate(bg, fp.BG_SCHEMA, meta_path)
    fp.check_sim(sim, meta_path)
    sim['mode'] = next(m for m in fp.MODES if sim[m])
    return meta, sim, bg


def resume_setup(log_dir, progress=print):
    """Parameters, checkpoint and run.json of an interrupted plasticity run.

    Refuses, before anything is written: what :func:`run_params` refuses, a
    missing, truncated or foreign checkpoint.npz, a checkpoint of other
    parameters, a finished run, a run of another mode.
    """
    meta, sim, bg = run_params(log_dir, progress)
    if sim['mode'] != 'plasticity':
        raise fp.ParamError('--resume %s: the run there is %s; only plasticity runs resume'
                            % (log_dir, sim['mode']))
    checkpoint = rf.read_checkpoint(log_dir)
    check_resumable(log_dir, meta, sim, bg, checkpoint, protocol.n_episodes(sim))
    check_rows(log_dir, checkpoint['next_episode'])
    return sim, bg, checkpoint, meta


def resume_params(args, allowed, ranks, progress):
    """(sim, bg, checkpoint, run.json) of ``--resume``: run.json's parameters with
    the allowed ``--set`` values, on the run's own number of virtual processes
    (:func:`rebuild_threads`)."""
    sim, bg, resume, meta = resume_setup(args.resume, progress)
    sim.update(allowed)
    sim['nbcpu'] = rebuild_threads(meta, ranks, allowed.get('nbcpu'), log_dir=args.resume)
    return sim, bg, resume, meta


def check_rows(log_dir, n_episodes):
    """Refuse a resume when a per-episode file has fewer rows than the checkpoint."""
    for name in rf.files_of('plasticity', 'per_episode'):
        path = os.path.join(log_dir, name)
        if not os.path.exists(path):
            raise fp.ParamError('--resume %s: %s is missing; the run folder is incomplete'
                                % (log_dir, name))
        rows = len(rf.data_rows(path)[1])
        if rows < n_episodes:
            raise fp.ParamError('--resume %s: %s has %d rows, fewer than the %d episodes of the '
                                'checkpoint (damaged file?); nothing was changed'
                                % (log_dir, name, rows, n_episodes))


def check_inputs(log_dir, meta, sim, label='--resume'):
    """Refuse a run whose run.json records other inputs (``inputs``: layer scale
    and draw) than this package builds from its parameters: a rebuilt network
    would not be the run's (another package version's ``input_draw`` 'matched').
    A run.json without ``inputs`` (an older format) is not checked."""
    recorded, built = meta.get('inputs'), connectivity.input_plan_record(sim)
    if recorded is not None and recorded != built:
        raise fp.ParamError('%s %s: run.json says the inputs were built as %s, this package '
                            'builds them as %s from the same parameters (input_draw %r of '
                            'another package version; check out git_commit %s); nothing was '
                            'changed' % (label, log_dir, recorded, built, sim['input_draw'],
                                         meta.get('git_commit')))


def check_resumable(log_dir, meta, sim, bg, checkpoint, n_total):
    """Refuse a checkpoint that does not belong to run.json, or a finished run."""
    digest = str(checkpoint.get('params_digest', ''))
    if digest and digest != rf.params_digest(sim, bg):
        raise fp.ParamError('--resume %s: checkpoint.npz was written with other parameters than '
                            "this folder's run.json (was run.json edited, or the checkpoint "
                            'copied from another run?); nothing was changed' % log_dir)
    check_inputs(log_dir, meta, sim)
    if 'msd' in checkpoint and int(checkpoint['msd']) != int(meta['msd']):
        raise fp.ParamError('--resume %s: checkpoint.npz is of msd %d, run.json of msd %d; '
                            'nothing was changed' % (log_dir, int(checkpoint['msd']), meta['msd']))
    if meta.get('status') == 'finished' or checkpoint['next_episode'] >= n_total:
        raise fp.ParamError('--resume %s: the run is finished (%d of %d episodes); nothing to do'
                            % (log_dir, checkpoint['next_episode'], n_total))


def rebuild_threads(meta, ranks, requested=None, label='--resume', log_dir=''):
    """Threads per MPI rank that rebuild a run's network (and so fit its checkpoint).

    NEST draws the connectivity from one random stream per virtual process
    (ranks x threads): a run rebuilds to the same synapses only on the number
    of virtual processes it was made with, in any split into ranks and threads.

    Parameters
    ----------
    meta : dict
        The run's run.json (``virtual_processes``; older formats: ``threads``
        x ``mpi_processes``, else ``simParams['nbcpu']``).
    ranks : int
        MPI processes of this rebuild.
    requested : int or None
        Threads asked for (``--set nbcpu=N``); None takes the run's.

    Raises
    ------
    fetch_params.ParamError
        The run's virtual processes cannot be split over ``ranks``, or
        ``requested`` x ``ranks`` differs from them.
    """
    vps = meta.get('virtual_processes') or (
        (meta['threads'] if 'threads' in meta else meta['simParams']['nbcpu'])
        * meta.get('mpi_processes', 1))
    if vps % ranks:
        raise fp.ParamError('%s %s: the run was made on %d virtual processes (MPI ranks x '
                            'threads), which %d ranks cannot share; allowed: a number of ranks '
                            'that divides %d' % (label, log_dir, vps, ranks, vps))
    threads = vps // ranks
    if requested is not None and requested != threads:
        raise fp.ParamError('%s %s: --set nbcpu=%d would rebuild the run on %d virtual processes, '
                            'but it was made on %d and its connectivity depends on that number '
                            '(NEST draws it per virtual process); allowed: nbcpu=%d with %d '
                            'rank(s), or no nbcpu (the run\'s own is taken)'
                            % (label, log_dir, requested, requested * ranks, vps, threads,
                               ranks))
    return threads


def resume_seed(msd, episode):
    """NEST seed of a run resumed at ``episode``: derived from msd and the episode,
    so the continued run draws fresh noise instead of replaying its start."""
    state = np.random.SeedSequence([int(msd), int(episode), 0x7265]).generate_state(1)[0]
    return int(state % (2 ** 31 - 2)) + 1


def prepare_resume(sim, resume, meta, log_dir, extra, commit):
    """Cut the run's files back to its checkpoint and derive the NEST seed of the
    continued run; ``extra`` (the new run.json's additions) gets this resume.

    Returns
    -------
    int
        The seed to give NEST (:func:`resume_seed`).
    """
    n = resume['next_episode']
    rf.truncate_per_episode(log_dir, 'plasticity', n)
    rf.truncate_spikes(log_dir, 'plasticity', sim['pl_warmup'] + protocol.episode_length_ms(sim) * n)
    seed = resume_seed(sim['msd'], n)
    extra['resumes'] = meta.get('resumes', []) + [{'episode': n, 'nest_seed': seed,
                                                   'git_commit': commit}]
    return seed
