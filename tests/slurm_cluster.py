"""A throw-away one-node SLURM cluster on localhost, for testing go.slurm.

The session fixture ``slurm_cluster`` starts ``munged`` (unless one already
answers), ``slurmctld`` and ``slurmd`` as root, waits until the node is idle,
yields a :class:`SlurmCluster` and stops what it started when the session
ends. It needs root and Debian's ``slurmctld slurmd slurm-client munge``
packages; otherwise it skips with one line saying why.

The cluster never touches the machine's own SLURM set-up: its ``slurm.conf``,
state, spool and log files live in a fresh folder under ``/var/spool``
(removed afterwards), its daemons listen on free ports picked at start, and
the clients find it through ``SLURM_CONF`` in :attr:`SlurmCluster.env`. So an
existing ``/etc/slurm/slurm.conf`` and a cluster already running on this
machine are left alone and do not interfere. A running ``munged`` is reused
(both clusters share the machine's munge key).

There is no accounting database (hence no ``sacct``): a finished job leaves
``squeue`` but ``scontrol show job`` keeps its state and exit code for
``MinJobAge`` seconds, which :meth:`SlurmCluster.wait` relies on.
"""
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

PROGRAMS = ('slurmctld', 'slurmd', 'munged', 'sbatch', 'scontrol', 'sinfo', 'squeue',
            'scancel', 'munge', 'unmunge')
TERMINAL = {'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY',
            'PREEMPTED', 'BOOT_FAIL', 'DEADLINE'}
MUNGE_SOCKET_DIR = '/run/munge'

JobResult = collections.namedtuple('JobResult', 'state exit_code signal')
JobResult.__doc__ = """End of a job: SLURM state (e.g. ``'COMPLETED'``), exit code of the
batch script and the number of the signal that ended it (0 if none)."""

SLURM_CONF = """\
# Test cluster written by tests/slurm_cluster.py (one node, no accounting).
ClusterName=bgtest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=5
MinJobAge=300
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def unavailable():
    """Why a test cluster cannot run here (one line), or ``''`` if it can."""
    if os.geteuid() != 0:
        return 'SLURM tests need root (they start slurmctld, slurmd and munged)'
    missing = [name for name in PROGRAMS if not os.access(_which(name), os.X_OK)]
    if missing:
        return ('SLURM not installed (missing %s); as root: apt-get install -y '
                '--no-install-recommends slurmctld slurmd slurm-client munge'
                % ', '.join(missing))
    return ''


def _free_ports(n):
    """``n`` different TCP ports nobody listens on right now."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(('127.0.0.1', 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _available_memory_mb():
    """``MemAvailable`` of /proc/meminfo, in MB."""
    with open('/proc/meminfo') as fh:
        for line in fh:
            if line.startswith('MemAvailable:'):
                return int(line.split()[1]) // 1024
    raise RuntimeError('no MemAvailable in /proc/meminfo')


def _which(name):
    """Full path of a program, also when /usr/sbin is not on PATH."""
    path = shutil.which(name)
    return path if path else os.path.join('/usr/sbin', name)


def _munge_works():
    """True if a munged answers on the default socket (encode, then decode)."""
    try:
        cred = subprocess.run(['munge', '-n'], capture_output=True, timeout=10)
        if cred.returncode != 0:
            return False
        return subprocess.run(['unmunge'], input=cred.stdout, capture_output=True,
                              timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _tail(path, lines=30):
    """The last lines of a log file, or a note that it is missing."""
    try:
        with open(path, errors='replace') as fh:
            return ''.join(fh.readlines()[-lines:])
    except OSError:
        return '(no %s)\n' % path


class SlurmCluster:
    """One-node SLURM cluster on localhost, run from a private folder.

    Parameters
    ----------
    root : str
        Empty folder for ``slurm.conf``, state, spool and log files.
    cpus : int
        CPUs of the node (default: the CPUs this process may use).
    memory_mb : int
        ``RealMemory`` of the node (default: 90 % of the available memory).

    Attributes
    ----------
    node : str
        Node name (the short host name).
    conf : str
        Path of the cluster's ``slurm.conf``.
    env : dict
        Environment for SLURM clients: ``os.environ`` plus ``SLURM_CONF``.
    """

    def __init__(self, root, cpus=None, memory_mb=None):
        self.root = root
        self.node = socket.gethostname().split('.')[0]
        self.cpus = cpus or len(os.sched_getaffinity(0))
        self.memory_mb = memory_mb or int(0.9 * _available_memory_mb())
        self.conf = os.path.join(root, 'slurm.conf')
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self._procs = []          # (name, Popen) of the daemons started here

    # ------------------------------------------------------------------
    # Start and stop
    # ------------------------------------------------------------------
    def start(self, timeout=60):
        """Start munged (if none answers), slurmctld and slurmd; wait for an idle node.

        Parameters
        ----------
        timeout : float
            Seconds to wait for munged, then for the node to become idle.

        Raises
        ------
        RuntimeError
            If a daemon exits or the node is not idle in time; the message
            holds the end of the daemons' logs.
        """
        for sub in ('state', 'spool'):
            os.makedirs(os.path.join(self.root, sub))
        ctld_port, slurmd_port = _free_ports(2)
        with open(self.conf, 'w') as fh:
            fh.write(SLURM_CONF.format(node=self.node, root=self.root, cpus=self.cpus,
                                       memory=self.memory_mb, ctld_port=ctld_port,
                                       slurmd_port=slurmd_port))
        if not _munge_works():
            self._start_munged(timeout)
        self._spawn('slurmctld', [_which('slurmctld'), '-D', '-c', '-f', self.conf])
        self._wait_for(lambda: self.run('scontrol', 'ping', check=False).returncode == 0,
                       timeout, 'slurmctld to answer')
        self._spawn('slurmd', [_which('slurmd'), '-D', '-N', self.node, '-f', self.conf])
        self._wait_for(lambda: self.node_state() == 'idle', timeout, 'the node to be idle')

    def _start_munged(self, timeout):
        """Run munged in the foreground as user munge, socket in /run/munge."""
        os.makedirs(MUNGE_SOCKET_DIR, mode=0o755, exist_ok=True)
        shutil.chown(MUNGE_SOCKET_DIR, 'munge', 'munge')
        self._spawn('munged', [_which('munged'), '--foreground'], user='munge',
                    group='munge', extra_groups=[])
        self._wait_for(_munge_works, timeout, 'munged to answer')

    def _spawn(self, name, cmd, **kwargs):
        """Start a daemon in the foreground; its own output goes to ROOT/NAME.out."""
        with open(os.path.join(self.root, name + '.out'), 'w') as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    **kwargs)
        self._procs.append((name, proc))

    def _wait_for(self, ready, timeout, what):
        """Poll ``ready()`` every 0.5 s; fail early if a daemon started here exits."""
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [name for name, proc in self._procs if proc.poll() is not None]
            if dead:
                raise RuntimeError('%s exited while waiting for %s\n%s'
                                   % (', '.join(dead), what, self.logs()))
            if time.monotonic() > deadline:
                raise RuntimeError('timed out after %g s waiting for %s\n%s'
                                   % (timeout, what, self.logs()))
            time.sleep(0.5)

    def stop(self, timeout=30):
        """Cancel every job, then stop the daemons started here (by PID), newest first.

        Stopping slurmd alone would leave running jobs behind, so jobs are
        cancelled first and given ``timeout`` seconds to leave the queue.
        """
        if any(name == 'slurmctld' and proc.poll() is None for name, proc in self._procs):
            jobs = self.run('squeue', '-h', '-o', '%A', check=False).stdout.split()
            if jobs:
                self.run('scancel', *sorted(set(jobs)), check=False)
                deadline = time.monotonic() + timeout
                while (self.run('squeue', '-h', '-o', '%A', check=False).stdout.strip()
                       and time.monotonic() < deadline):
                    time.sleep(0.5)
        for name, proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs = []

    def logs(self):
        """End of the daemons' logs and output (for failure messages)."""
        return ''.join('--- %s\n%s' % (name, _tail(os.path.join(self.root, name)))
                       for name in ('slurmctld.log', 'slurmd.log', 'slurmctld.out',
                                    'slurmd.out', 'munged.out'))

    # ------------------------------------------------------------------
    # Clients
    # ------------------------------------------------------------------
    def run(self, *cmd, check=True, timeout=60, cwd=None):
        """Run a SLURM client against this cluster.

        Parameters
        ----------
        *cmd : str
            Program and arguments, e.g. ``'scontrol', 'ping'``.
        check : bool
            Raise ``RuntimeError`` (with stderr) on a non-zero exit code.
        timeout : float
            Seconds before the client is killed.
        cwd : str, optional
            Working folder of the client (sbatch's submit folder).

        Returns
        -------
        subprocess.CompletedProcess
        """
        proc = subprocess.run(list(cmd), env=self.env, cwd=cwd, capture_output=True,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError('%s exited with %d: %s'
                               % (' '.join(cmd), proc.returncode, proc.stderr.strip()))
        return proc

    def node_state(self):
        """State of the node as ``sinfo`` shows it (``'idle'``, ``'alloc'``, ...)."""
        return self.run('sinfo', '-h', '-N', '-o', '%t', check=False).stdout.strip()

    def submit(self, script, *args, sbatch_args=(), cwd=None):
        """Submit a batch script; return the job id.

        Parameters
        ----------
        script : str
            Path of the batch script.
        *args : str
            Arguments of the script.
        sbatch_args : sequence of str
            Options for sbatch, e.g. ``['--array=0-1', '--cpus-per-task=1']``.
        cwd : str, optional
            Folder sbatch is called from (the job's ``SLURM_SUBMIT_DIR``).

        Returns
        -------
        str
            The job id; for an array, the array's id (tasks are ``ID_INDEX``).
        """
        out = self.run('sbatch', '--parsable', *sbatch_args, script, *args, cwd=cwd).stdout
        return out.strip().split(';')[0]

    def job_record(self, job_id):
        """``scontrol -o show job`` line of a job or array task, ``''`` if unknown.

        For an array task not yet split off its array, the array's pending
        record is returned.
        """
        proc = self.run('scontrol', '-o', 'show', 'job', job_id, check=False)
        lines = proc.stdout.splitlines() if proc.returncode == 0 else []
        if '_' in job_id and len(lines) > 1:
            task = job_id.split('_', 1)[1]
            own = [ln for ln in lines if re.search(r'\bArrayTaskId=%s\b' % task, ln)]
            lines = own or lines
        return lines[0] if lines else ''

    def wait(self, job_id, timeout=300):
        """Wait until a job (or array task ``ID_INDEX``) ends.

        Parameters
        ----------
        job_id : str
            Job id as returned by :meth:`submit`, or ``'ID_INDEX'``.
        timeout : float
            Seconds before giving up.

        Returns
        -------
        JobResult
            State, exit code and signal of the batch script.

        Raises
        ------
        TimeoutError
            If the job has not ended in time (the message holds its record
            and the daemons' logs).
        """
        deadline = time.monotonic() + timeout
        while True:
            record = self.job_record(job_id)
            state = re.search(r'\bJobState=(\S+)', record)
            if state and state.group(1) in TERMINAL:
                code = re.search(r'\bExitCode=(\d+):(\d+)', record)
                return JobResult(state.group(1), int(code.group(1)), int(code.group(2)))
            if time.monotonic() > deadline:
                raise TimeoutError('job %s not finished after %g s: %s\n%s'
                                   % (job_id, timeout, record or '(unknown to scontrol)',
                                      self.logs()))
            time.sleep(1)


@pytest.fixture(scope='session')
def slurm_cluster():
    """A running one-node SLURM cluster for the whole test session (see module doc)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = tempfile.mkdtemp(prefix='bg-test-slurm-', dir='/var/spool')
    cluster = SlurmCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
