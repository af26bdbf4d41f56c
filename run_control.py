"""Keeping a run folder safe: the folder checks, the folder lock and the signals.

Nothing here imports NEST. Every function that can refuse raises
``errors.Refused`` with a message naming the folder, what is wrong and what
to do, so ``stim_all_model.main`` exits 2 before anything is written.
"""
import errno
import fcntl
import os
import signal
import socket

from errors import Interrupted, Refused
from run_folder import LOCK_NAME, describe_run

EXIT_SIGNAL = Interrupted.EXIT_SIGNAL     # exit status after SIGINT, SIGTERM, SIGHUP


# --------------------------------------------------------------------------
# The log folder
# --------------------------------------------------------------------------
def prepare_log_dir(path):
    """Create the log folder if needed and check it is a writable folder."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise Refused('log folder %s is a file, not a folder; choose another --log-dir'
                            % path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise Refused('log folder %s cannot be created: %s' % (path, err.strerror)) from None
    if not os.access(path, os.W_OK):
        raise Refused('log folder %s is not writable' % path)
    return path


def refuse_occupied(path, overwrite):
    """Refuse a folder that holds another run unless ``overwrite`` is set."""
    held = describe_run(path)
    if held and not overwrite:
        raise Refused(
            'log folder %s holds a run (%s); continue it with --resume %s, write to another '
            '--log-dir, or replace it with --overwrite' % (path, held, path))


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
            raise Refused('log folder %s: cannot create %s (%s)'
                                % (folder, LOCK_NAME, err.strerror)) from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            fh.seek(0)
            owner = fh.read().strip() or '?'
            fh.close()
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise Refused('log folder %s is in use by a live run (PID %s); wait for '
                                    'it, stop it, or choose another --log-dir'
                                    % (folder, owner)) from None
            raise Refused('log folder %s: its file system does not support locks (%s); '
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
# Interruption (SIGINT, SIGTERM, SIGHUP)
# --------------------------------------------------------------------------
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
