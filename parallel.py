"""Runs over MPI processes: what every rank must agree on.

NEST distributes neurons over virtual processes (MPI ranks x threads). A
spike recorder holds only the spikes of its rank's neurons and
``GetConnections`` only the synapses whose target is local, so every number
the protocol decides on or writes is combined here over all ranks, in rank
order. With one process (NEST's PyPI wheel) every function returns its input
unchanged and mpi4py is never imported.

Rank 0 writes the run folder; the other ranks write into a scratch folder
that is removed at the end (``scratch_dir``), so writers need no rank test.
Every function here is collective: call it on every rank, or none.
"""
import hashlib
import os
import tempfile

import numpy as np


class World:
    """The MPI processes of this run (one process: no communicator).

    Attributes
    ----------
    rank, size : int
        This process's rank and the number of processes.
    comm : mpi4py.MPI.Comm or None
        ``MPI.COMM_WORLD`` when ``size`` > 1.
    """

    def __init__(self, comm=None):
        self.comm = comm
        self.rank = comm.Get_rank() if comm is not None else 0
        self.size = comm.Get_size() if comm is not None else 1

    @property
    def root(self):
        """True on rank 0, the rank that writes the run folder."""
        return self.rank == 0

    def gather(self, *arrays):
        """Each array concatenated over the ranks (rank order), on every rank."""
        if self.comm is None:
            return arrays if len(arrays) > 1 else arrays[0]
        parts = self.comm.allgather([np.asarray(a) for a in arrays])
        out = tuple(np.concatenate([p[i] for p in parts]) for i in range(len(arrays)))
        return out if len(out) > 1 else out[0]

    def sum(self, values):
        """Element-wise sum over the ranks (a number or an array)."""
        if self.comm is None:
            return values
        from mpi4py import MPI
        total = self.comm.allreduce(np.asarray(values), op=MPI.SUM)
        return total if np.ndim(values) else total.item()

    def max(self, value):
        """Largest value over the ranks."""
        if self.comm is None:
            return value
        from mpi4py import MPI
        return self.comm.allreduce(value, op=MPI.MAX)

    def bcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        return obj if self.comm is None else self.comm.bcast(obj, root=0)

    def agree(self, what, *arrays):
        """Every rank's digest of ``arrays``; raises if two ranks differ.

        Positions, channel sets, stimulated subsets and read-out samples come
        from seeded streams and must be identical on every rank.

        Returns
        -------
        list of str
            One SHA-1 digest per rank (rank order).
        """
        h = hashlib.sha1()
        for a in arrays:
            a = np.ascontiguousarray(a)
            h.update(str((a.dtype.str, a.shape)).encode())
            h.update(a.tobytes())
        digests = [h.hexdigest()] if self.comm is None else self.comm.allgather(h.hexdigest())
        if len(set(digests)) > 1:
            raise RuntimeError('the MPI ranks disagree on %s (digests %s)' % (what, digests))
        return digests

    def barrier(self):
        if self.comm is not None:
            self.comm.Barrier()


MPI_LAUNCH_VARIABLES = ('OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK', 'MPI_LOCALNRANKS')


def launched_by_mpi(environ=None):
    """True when an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx) started
    this process, judged from its environment, so a plain run never imports
    NEST before its parameters are checked."""
    environ = os.environ if environ is None else environ
    return any(k in environ for k in MPI_LAUNCH_VARIABLES)


def world():
    """The World of the running NEST kernel (imports NEST).

    Raises
    ------
    RuntimeError
        NEST runs on several processes and mpi4py is missing.
    """
    import nest
    if nest.NumProcesses() == 1:
        launched = max(int(os.environ.get(k, '1') or 1) for k in ('OMPI_COMM_WORLD_SIZE',
                                                                  'PMI_SIZE'))
        if launched > 1:
            raise RuntimeError('%d MPI processes were started but this NEST (%s) runs without '
                               'MPI, so each would simulate the whole network alone; use the '
                               'MPI build (bash mpi/install_nest_mpi.sh)'
                               % (launched, nest.__path__[0]))
        return World()
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError('NEST runs on %d MPI processes but mpi4py is not installed; '
                           'install it with the MPI build (bash mpi/install_nest_mpi.sh)'
                           % nest.NumProcesses()) from None
    return World(MPI.COMM_WORLD)


def current():
    """The World of this process: :func:`world` under an MPI launcher, else one
    process without importing NEST (so parameter errors come first)."""
    return world() if launched_by_mpi() else World()


def scratch_dir(rank):
    """A private folder for the files a non-writing rank produces (deleted by the caller)."""
    return tempfile.mkdtemp(prefix='bg_rank%d_' % rank, dir=os.environ.get('TMPDIR'))
