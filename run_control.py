"""Keeping a run safe: folder checks, the folder lock, interruption, resume checks.

Nothing here imports NEST. Every function that can refuse raises
``fetch_params.ParamError`` with a message naming the folder or file, what
is wrong and what to do, so ``stim_all_model.main`` exits 2 before anything
is written.
"""
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import zipfile

import numpy as np

import fetch_params as fp
import protocol
import run_folder as rf

LOCK_NAME = 'run.lock'
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143,    # shell convention: 128 + signal
               signal.SIGHUP: 129}                       # (SIGHUP: a closed terminal)
CHECKPOINT_KEYS = ('next_episode', 'eta_done')


# --------------------------------------------------------------------------
# The log folder
# --------------------------------------------------------------------------
def prepare_log_dir(path):
    """Create the log folder if needed and check it is a writable folder."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise fp.ParamError('log folder %s is a file, not a folder; choose another --log-dir'
                            % path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise fp.ParamError('log folder %s cannot be created: %s' % (path, err.strerror)) from None
    if not os.access(path, os.W_OK):
        raise fp.ParamError('log folder %s is not writable' % path)
    return path


def describe_run(path):
    """A short description of the run held in ``path``, or '' if it holds none.

    A folder holds a run if it has a run.json, a checkpoint, or any other
    output file of the contract (the authors' published folders have only
    rate files and plot_labels.txt).
    """
    parts = []
    if not os.path.isdir(path):
        return ''
    meta_path = os.path.join(path, 'run.json')
    if os.path.exists(meta_path):
        try:
            with open(meta_path, encoding='utf-8') as fh:
                meta = json.load(fh)
            parts.append('run.json: %s run, msd %s, status %s' % (
                meta.get('mode', '?'), meta.get('msd', '?'), meta.get('status', '?')))
        except (OSError, ValueError):
            parts.append('run.json (unreadable)')
    if os.path.exists(os.path.join(path, 'checkpoint.npz')):
        parts.append('checkpoint.npz')
    if not parts:
        ours = sorted(set(os.listdir(path)) & rf.all_output_names() - {LOCK_NAME})
        if ours:
            parts.append('output files without run.json: %s%s' % (
                ', '.join(ours[:3]), ', ...' if len(ours) > 3 else ''))
    return ', '.join(parts)


def refuse_occupied(path, overwrite):
    """Refuse a folder that holds another run unless ``overwrite`` is set."""
    held = describe_run(path)
    if held and not overwrite:
        raise fp.ParamError(
            'log folder %s holds a run (%s); continue it with --resume %s, write to another '
            '--log-dir, or replace it with --overwrite' % (path, held, path))


def refuse_finished(path):
    """Refuse a folder whose run has finished (run.json ``finished``, or a
    checkpoint after the last episode): ``--overwrite-unfinished`` keeps it."""
    meta_path = os.path.join(path, 'run.json')
    try:
        with open(meta_path, encoding='utf-8') as fh:
            meta = json.load(fh)
        finished = meta.get('status') == 'finished'
        if not finished and os.path.exists(os.path.join(path, 'checkpoint.npz')):
            with np.load(os.path.join(path, 'checkpoint.npz')) as z:
                finished = int(z['next_episode']) >= protocol.n_episodes(meta['simParams'])
    except Exception:           # no run.json, or one that cannot say it finished
        return
    if finished:
        raise fp.ParamError('log folder %s holds a finished run (%s); --overwrite-unfinished '
                            'leaves it alone; allowed: --overwrite to replace it'
                            % (path, describe_run(path)))


class RunLock:
    """An exclusive lock on a run folder (``run.lock`` with the owner's PID).

    Held through ``fcntl.flock`` on an open file: the kernel releases it when
    the process ends, also after ``kill -9``, so a stale ``run.lock`` never
    blocks a folder.
    """

    def __init__(self, folder):
        self.path = os.path.join(folder, LOCK_NAME)
        self.fh = None

    def acquire(self):
        """Take the lock or raise ParamError naming the live run (host:PID)."""
        folder = os.path.dirname(self.path)
        try:
            fh = open(self.path, 'a+')
        except OSError as err:
            raise fp.ParamError('log folder %s: cannot create %s (%s)'
                                % (folder, LOCK_NAME, err.strerror)) from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            fh.seek(0)
            owner = fh.read().strip() or '?'
            fh.close()
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise fp.ParamError('log folder %s is in use by a live run (PID %s); wait for '
                                    'it, stop it, or choose another --log-dir'
                                    % (folder, owner)) from None
            raise fp.ParamError('log folder %s: its file system does not support locks (%s); '
                                'use a local or flock-enabled file system for run folders'
                                % (folder, err.strerror)) from None
        fh.seek(0)
        fh.truncate()
        fh.write('%d on %s\n' % (os.getpid(), socket.gethostname()))
        fh.flush()
        self.fh = fh
        return self

    def release(self):
        """Drop the lock (run.lock stays: unlinking a locked file would let two
        processes lock two different files of the same name)."""
        if self.fh is not None:
            self.fh.close()
            self.fh = None


# --------------------------------------------------------------------------
# Interruption (SIGINT, SIGTERM)
# --------------------------------------------------------------------------
class Interrupted(Exception):
    """The run stopped at a safe point after SIGINT/SIGTERM.

    ``next_episode``: the first episode not run (episode modes); ``model_ms``:
    the model time reached (resting state)."""

    def __init__(self, signum, next_episode=None, model_ms=None):
        super().__init__(signum)
        self.signum, self.next_episode, self.model_ms = signum, next_episode, model_ms

    @property
    def exit_code(self):
        return EXIT_SIGNAL.get(self.signum, 1)


class StopFlag:
    """Records SIGINT/SIGTERM/SIGHUP; the protocol checks it at safe points.

    NEST finishes the ``Simulate`` call in progress (measured here: a Python
    handler runs when the call returns), so a safe point is the end of an
    episode, after its rows are written.
    """

    def __init__(self, agree=None):
        """``agree``: combines the signal numbers of all MPI ranks (0 = none),
        e.g. ``parallel.World.max``, so that every rank stops at the same point."""
        self.signum = None
        self.received = []          # every signal, in order (a sweep passes each one on)
        self.previous = {}
        self.agree = agree

    def install(self):
        """Handle SIGINT, SIGTERM and SIGHUP; a SIGHUP ignored already (``nohup``)
        stays ignored, so closing the terminal does not stop a nohup run."""
        for sig in EXIT_SIGNAL:
            if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
                continue
            self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signum = signum
        self.received.append(signum)

    def agreed(self):
        """The signal number received by any rank, or None (collective under MPI)."""
        if self.agree is None:
            return self.signum
        return self.agree(self.signum or 0) or None

    def check(self, next_episode=None, model_ms=None):
        """Raise :class:`Interrupted` if a signal arrived (on any rank)."""
        signum = self.agreed()
        if signum is not None:
            raise Interrupted(signum, next_episode, model_ms)

    def uninstall(self):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def lock_holder(folder):
    """'PID on host' of the live process that holds ``folder``'s run lock, or ''.

    Probes the lock without taking it for longer than the probe itself; a
    folder without run.lock, or one that cannot be opened, has no holder.
    """
    path = os.path.join(folder, LOCK_NAME)
    try:
        fh = open(path, 'r')
    except OSError:
        return ''
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EAGAIN, errno.EACCES):
                return fh.read().strip() or '?'
            return ''
        fcntl.flock(fh, fcntl.LOCK_UN)
    return ''


class NoLock:
    """Stands in for :class:`RunLock` on MPI ranks > 0 (rank 0 holds the lock)."""

    def release(self):
        pass


# --------------------------------------------------------------------------
# Resume: run.json, checkpoint and the seed of the continued run
# --------------------------------------------------------------------------
def params_digest(sim, bg):
    """SHA-256 of the parameters that define a run (threads and mode flag excluded).

    A key of ``run_folder.FORMAT_2_IMPLIED`` at its implied value is left out,
    so a run of an older format keeps its digest after the upgrade.
    """
    sim = {k: v for k, v in sim.items() if k not in ('nbcpu', 'mode') and
           not (k in rf.FORMAT_2_IMPLIED and v == rf.FORMAT_2_IMPLIED[k])}
    text = json.dumps({'simParams': sim, 'bgParams': bg}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_run_json(log_dir, label='--resume'):
    """run.json of a folder, with a clear error if it is missing, truncated or foreign."""
    path = os.path.join(log_dir, 'run.json')
    if not os.path.exists(path):
        raise fp.ParamError('%s %s: no run.json in that folder' % (label, log_dir))
    try:
        with open(path, encoding='utf-8') as fh:
            meta = json.load(fh)
    except (ValueError, OSError) as err:
        raise fp.ParamError('%s %s: run.json cannot be read (%s); it is truncated or not '
                            'written by this package'
                            % (label, log_dir, str(err)[:120])) from None
    if not isinstance(meta, dict):
        raise fp.ParamError('%s %s: run.json is not a run description' % (label, log_dir))
    for key in ('mode', 'msd', 'simParams', 'bgParams'):
        if key not in meta:
            raise fp.ParamError('%s %s: run.json lacks the key %r; it was not written by '
                                'this package' % (label, log_dir, key))
    return meta


def read_checkpoint(log_dir, label='--resume'):
    """checkpoint.npz of a folder as a dict, or a clear error (missing, truncated, foreign)."""
    path = os.path.join(log_dir, 'checkpoint.npz')
    if not os.path.exists(path):
        raise fp.ParamError('%s %s: no checkpoint.npz in that folder (the run stopped '
                            'before its first checkpoint; start it again)' % (label, log_dir))
    try:
        with np.load(path) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise fp.ParamError('%s %s: checkpoint.npz cannot be read (%s); it is truncated '
                            'or not written by this package'
                            % (label, log_dir, str(err)[:120])) from None
    missing = [k for k in CHECKPOINT_KEYS if k not in data]
    if missing:
        raise fp.ParamError('%s %s: checkpoint.npz lacks %s; it was not written by this '
                            'package' % (label, log_dir, ', '.join(missing)))
    try:
        data['next_episode'] = int(data['next_episode'])
        data['eta_done'] = bool(data['eta_done'])
    except (TypeError, ValueError):
        raise fp.ParamError('%s %s: checkpoint.npz holds no single next_episode / '
                            'eta_done; it was not written by this package'
                            % (label, log_dir)) from None
    return data


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


def check_resumable(log_dir, meta, sim, bg, checkpoint, n_total):
    """Refuse a checkpoint that does not belong to run.json, or a finished run."""
    digest = str(checkpoint.get('params_digest', ''))
    if digest and digest != params_digest(sim, bg):
        raise fp.ParamError('--resume %s: checkpoint.npz was written with other parameters than '
                            "this folder's run.json (was run.json edited, or the checkpoint "
                            'copied from another run?); nothing was changed' % log_dir)
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


def truncate_spikes(log_dir, mode, t_cut_ms):
    """Keep the header and the spikes with time < ``t_cut_ms`` in every spike file."""
    for name in rf.files_of(mode, 'spikes'):
        path = os.path.join(log_dir, name)
        if not os.path.exists(path):
            continue
        with open(path) as src, atomic_write(path) as dst:
            for line in src:
                if line.startswith('#'):
                    dst.write(line)
                    continue
                if not line.endswith('\n'):
                    break                     # a half-written last line
                parts = line.split()
                try:
                    if len(parts) == 2 and float(parts[1]) < t_cut_ms:
                        dst.write(line)
                except ValueError:
                    pass                      # a half-written last line


# --------------------------------------------------------------------------
# Writing: a failed write names its file and the free space, and leaves no
# temporary file behind
# --------------------------------------------------------------------------
class WriteError(Exception):
    """A file of the run folder could not be written (full disk, quota, I/O error)."""

    def __init__(self, path, err):
        self.path, self.err = path, err
        super().__init__(self.describe())

    def describe(self):
        """'cannot write PATH: REASON (N MB free on that file system)'."""
        try:
            free = '%.1f MB free on that file system' % (
                shutil.disk_usage(os.path.dirname(self.path) or '.').free / 1e6)
        except OSError:
            free = 'free space unknown'
        return 'cannot write %s: %s (%s)' % (self.path, self.err.strerror or self.err, free)


@contextlib.contextmanager
def writing(path):
    """Turn an OSError raised while writing ``path`` into :class:`WriteError`."""
    try:
        yield
    except WriteError:
        raise
    except OSError as err:
        raise WriteError(path, err) from None


@contextlib.contextmanager
def atomic_write(path, mode='w'):
    """Write ``path`` through ``path.tmp`` and a rename; on any error the
    temporary file is removed and ``path`` is left as it was."""
    tmp = path + '.tmp'
    try:
        with writing(path), open(tmp, mode) as fh:
            yield fh
        with writing(path):
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


class RunFailed(Exception):
    """The run cannot go on and says why in one line (exit 1, run.json ``failed``)."""
