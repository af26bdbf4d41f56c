"""The run-folder contract: every output file described once, and the reader.

A run folder (``log/`` or ``run4_k_4_l_02_m_1/log1/``) holds the files of one
run. :data:`OUTPUTS` describes each of them once (name, modes that write it,
when it is written, columns); the writer (:class:`RunLog`), the
fresh-run clean-up, the truncation on ``--resume`` and :class:`RunFolder`,
the reader used by the figures, the validation scripts and the sweep tooling,
all work from that description. Adding an output file is one entry in
:data:`OUTPUTS`.

Folders written by this package carry ``run.json`` (every parameter, the
seed, the code version); the reader takes the protocol from there. The
authors' published folders have only ``plot_labels.txt`` and the rate files;
for them the reader uses the paper's protocol (``paperProtocol`` in
``simParams.py``) and says so in :attr:`RunFolder.protocol_source`.

Nothing here imports NEST.
"""
import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
from dataclasses import dataclass, field

import numpy as np

import connectivity
import fetch_params as fp
import geometry
import protocol
from errors import Refused, cut
from populations import (
    CHANNELS,
    HALVES,
    MODES,
    POSITION_POPS,
    SPIKE_RECORDERS,
    STIMULATED_INPUTS,
    TASK_MODES,
)

# run.json format written by this version of the package (6: the inputs a run was
# built with, 'inputs', and input_draw 'matched')
FORMAT_VERSION = 6
LOCK_NAME = 'run.lock'      # the folder lock (run_control.RunLock)


@dataclass(frozen=True)
class OutputFile:
    """One kind of output file of a run folder.

    Attributes
    ----------
    pattern : str
        File name, with ``{placeholders}`` expanded over ``fields``.
    modes : tuple of str
        Modes that write it.
    when : str
        'once' (written whole), 'per_episode' (one row appended per episode:
        truncated to the checkpoint on resume), 'append' (lines appended,
        e.g. a log), 'spikes' (``sender time_ms`` rows appended as recorded;
        truncated to the checkpoint's time on resume) or 'lock'.
    columns : str
        What the file holds, with units.
    header : str
        The file's first line after ``# `` ('' for files without one).
    fields : dict
        {placeholder: values} expanded to the concrete names.
    """
    pattern: str
    modes: tuple
    when: str
    columns: str
    header: str = ''
    fields: dict = field(default_factory=dict)

    def names(self):
        """Every concrete file name this entry stands for."""
        if not self.fields:
            return [self.pattern]
        keys = list(self.fields)
        return [self.pattern.format(**dict(zip(keys, combo)))
                for combo in itertools.product(*(self.fields[k] for k in keys))]


OUTPUTS = (
    OutputFile('run.json', MODES, 'once', 'every parameter, seed, code version, the inputs '
               'built (layer scale, draw), timings, status'),
    OutputFile('{pop}.txt', MODES, 'once', 'positions: id x y [z] (sheet units, %1.3f)',
               fields={'pop': POSITION_POPS}),
    OutputFile('centers.txt', MODES, 'once', 'the 6 channel centres: x y (sheet units)'),
    OutputFile('weights_{half}.txt', MODES, 'once',
               'construction log of the plastic synapses (docs/model.md [Q-15])',
               fields={'half': HALVES}),
    OutputFile('mean_fr.json', ('resting_state',), 'once',
               '{population: mean rate (Hz) over record_start..end}'),
    OutputFile('At.json', ('resting_state',), 'once',
               '{population: A(t) (Hz), 1-ms window sampled every dt from record_start}'),
    OutputFile('performance.txt', ('resting_state',), 'append',
               'Simulation_Elapse_Time <wall seconds>'),
    OutputFile('{pop}_fr.txt', ('action_selection',), 'per_episode',
               'rate (Hz) of channels 0..n_report_channels-1 over the stimulus window',
               fields={'pop': ('PTN', 'CSN')}),
    OutputFile('{pop}_fr.txt', TASK_MODES, 'per_episode',
               'rate (Hz) of channels 0..n_report_channels-1 over the stimulus window',
               fields={'pop': ('GPi', 'MSN', 'MSN_d1', 'MSN_d2')}),
    OutputFile('{pop}_fr.txt', ('plasticity',), 'per_episode',
               'rate (Hz) of channels 0..n_report_channels-1 over the stimulus window',
               fields={'pop': ('FSI', 'GPe', 'STN')}),
    OutputFile('{inp}_c{k}_to_MSN_{half}.txt', ('action_selection',), 'once',
               'target source weight (pA) from the stimulated parrots of channel k',
               header='target source weight', fields={'inp': STIMULATED_INPUTS, 'k': CHANNELS, 'half': HALVES}),
    OutputFile('MSN_{src}_c{k}_to_MSN_{half}.txt', ('action_selection',), 'once',
               'target source weight (pA) from the channel-k MSNs of one half',
               header='target source weight', fields={'src': HALVES, 'k': CHANNELS, 'half': HALVES}),
    OutputFile('{name}.txt', ('plasticity',), 'per_episode',
               'CS_plus 0/1, CS_minus 0/1, current_task +1/-1: one value per episode',
               fields={'name': ('CS_plus', 'CS_minus', 'current_task')}),
    OutputFile('reward.txt', ('plasticity',), 'per_episode',
               'episode, phase CS+/CS-, flag F/T/T1/T2, decision burst/dip/none',
               header='episode phase flag decision'),
    OutputFile('mean_weights.txt', ('plasticity',), 'per_episode',
               'episode, then per channel 0..n_report_channels-1: D1 AMPA, D1 NMDA, D2 AMPA, '
               'D2 NMDA mean cortico-striatal weight (pA) over the read-out sample '
               '(weights_readout_msn MSNs per channel and half)',
               header='episode, then per channel 0..n_report_channels-1: D1 AMPA, D1 NMDA, '
                      'D2 AMPA, D2 NMDA mean weight (pA)'),
    OutputFile('plot_labels.txt', ('plasticity',), 'once', 'Lambda,<lambda> kappa,<kappa> Mod,<eta>'),
    OutputFile('run.lock', MODES, 'lock',
               'PID of the live run holding the folder (flock, released at exit; the file stays)'),
    OutputFile('checkpoint.npz', ('plasticity',), 'once',
               'resumable state: next_episode, eta_done, weight/c/n of every plastic synapse'),
    OutputFile('{rec}_spikes.dat', MODES, 'spikes', 'sender (node id), time_ms',
               header='sender time_ms',
               fields={'rec': SPIKE_RECORDERS}),
)


def entry(name):
    """The :class:`OutputFile` that describes file ``name`` (KeyError if none)."""
    for out in OUTPUTS:
        if name in out.names():
            return out
    raise KeyError('%s is not an output file of this package (run_folder.OUTPUTS)' % name)


def files_of(mode=None, when=None):
    """Concrete names of the output files (of one mode and/or kind)."""
    return [n for out in OUTPUTS if (mode is None or mode in out.modes) and
            (when is None or out.when == when) for n in out.names()]


def all_output_names():
    """Every file name the contract lists (the fresh-run clean-up removes only these)."""
    return set(files_of())


def data_rows(path):
    """(header lines, data lines) of a text output file (``#`` lines are header)."""
    with open(path, errors='replace') as fh:
        lines = fh.readlines()
    return ([ln for ln in lines if ln.startswith('#')],
            [ln for ln in lines if ln.strip() and not ln.startswith('#')])


def truncate_per_episode(log_dir, mode, n_episodes):
    """Keep the header plus the first ``n_episodes`` rows of every per-episode file.

    Returns the names of the files that exist afterwards.
    """
    kept = []
    for name in files_of(mode, 'per_episode'):
        path = os.path.join(log_dir, name)
        if not os.path.exists(path):
            continue
        header, rows = data_rows(path)
        with open(path, 'w') as fh:
            fh.writelines(header + rows[:n_episodes])
        kept.append(name)
    return kept


# --------------------------------------------------------------------------
# Folder names of the authors' layout (docs/model.md §7)
# --------------------------------------------------------------------------
CONDITION_SUFFIX = {'normal': '', 'parkinson': '_p_no_conv', 'schizophrenia': '_s'}
_FOLDER_RE = re.compile(r'^run4_k_(?P<k>[0-9.]+)_l_(?P<l>[0-9]+)_m_(?P<m>[0-9.]+)'
                        r'(?P<suffix>_p_no_conv|_s)?$')
_LOG_RE = re.compile(r'^log(?P<n>[0-9]+)$')


def lambda_code(lam):
    """λ as written in folder names: 0.0 -> '002' (the authors' code), 0.2 -> '02'."""
    if lam == 0:
        return '002'
    text = ('%g' % lam)
    code = text.replace('.', '') if not text.startswith('0.') else '0' + text[2:]
    if code == '002':
        raise RunFolderError("lambda %g has no folder name of its own: the authors' code '002' "
                             "means 0.0 (docs/model.md §7)" % lam)
    return code


def lambda_from_code(code):
    """Inverse of :func:`lambda_code`: '002' -> 0.0 (plot_labels.txt), '02' -> 0.2."""
    if code == '002':
        return 0.0
    return float(code[0] + '.' + code[1:]) if len(code) > 1 else float(code)


# what fixes a condition, in order: RunFolder attribute -> parameter name in messages
CONDITION_PARAMETERS = (('kappa', 'syn_asymm (kappa)'), ('lam', 'overlap_d1d2 (lambda)'),
                        ('eta', 'MSND2_mod (eta)'), ('condition', 'condition'))


def condition_mismatches(run, cond):
    """(parameter name, run's value, cond's value) for each way ``run`` differs from ``cond``.

    Parameters
    ----------
    run : RunFolder
    cond : tuple
        (κ, λ, η, condition), in the order of :data:`CONDITION_PARAMETERS`
        (e.g. another run's :attr:`RunFolder.condition_values`).

    Returns
    -------
    list of tuple
        Empty when the run is of the condition ``cond``; numbers are compared
        with ``np.isclose`` (0.2 in run.json and 0.2 parsed from '02' agree).
    """
    out = []
    for (attr, name), theirs in zip(CONDITION_PARAMETERS, cond):
        mine = getattr(run, attr)
        same = (mine == theirs if isinstance(theirs, str) or mine is None or theirs is None
                else bool(np.isclose(mine, theirs)))
        if not same:
            out.append((name, mine, theirs))
    return out


def condition_folder(kappa, lam, eta, condition='normal'):
    """``run4_k_{κ}_l_{λ code}_m_{η}[_p_no_conv|_s]`` for one parameter set."""
    return 'run4_k_%g_l_%s_m_%g%s' % (kappa, lambda_code(lam), eta, CONDITION_SUFFIX[condition])


def parse_condition_folder(name):
    """(kappa, lambda, eta, condition) of a folder name, or None if it is not one."""
    m = _FOLDER_RE.match(name)
    if not m:
        return None
    condition = {v: k for k, v in CONDITION_SUFFIX.items()}[m.group('suffix') or '']
    return float(m.group('k')), lambda_from_code(m.group('l')), float(m.group('m')), condition


def find_runs(roots):
    """Run folders of the authors' layout under the given roots.

    ``run4_k_*_l_*_m_*[_p_no_conv|_s]/log{N}`` with an integer N only (the
    original never loads ``log3x``/``log7m``, docs/model.md [Q-27]), and only
    those with a ``GPi_fr.txt``.

    Returns
    -------
    dict
        {condition folder name: [RunFolder, ...] sorted by N}.
    """
    found = {}
    for root in roots:
        if not os.path.isdir(root):
            continue
        for cond in sorted(os.listdir(root)):
            if parse_condition_folder(cond) is None or not os.path.isdir(os.path.join(root, cond)):
                continue
            logs = []
            for log in os.listdir(os.path.join(root, cond)):
                m = _LOG_RE.match(log)
                path = os.path.join(root, cond, log)
                if m and os.path.exists(os.path.join(path, 'GPi_fr.txt')):
                    logs.append((int(m.group('n')), path))
            if logs:
                found.setdefault(cond, []).extend(RunFolder(p) for _, p in sorted(logs))
    return found


# --------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------
class RunFolderError(Refused):
    """A run folder lacks what a reader asked for."""


def git_commit(path=None):
    """Commit of the package checkout (with '+dirty' if modified), or 'unknown'."""
    import subprocess
    path = path or os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=path, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return 'unknown'
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                               cwd=path, capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ('+dirty' if dirty.stdout.strip() else '')
    except (OSError, subprocess.SubprocessError):
        return 'unknown'


# Keys a format-1 run.json (written before format_version existed) lacks,
# because format 1 had them in code; their values then were the shipped
# defaults of the parameter files, so the upgrade takes them from there.
FORMAT_1_CODE_KEYS = {'simParams': ('stim_delay', 'stdp_windows', 'weights_readout_msn'),
                      'bgParams': ('plastic_projections', 'normalrate')}


# simParams keys added in format 3 (full-size inputs and the input drive), with the values every run of
# formats 1 and 2 was made with (not the new defaults).
FORMAT_2_IMPLIED = {'input_generator': 'poisson_generator', 'full_size_inputs': False}

# simParams keys added in format 4 (how the input projections are drawn), with the
# value every run of formats 1 to 3 was made with.
FORMAT_3_IMPLIED = {'input_draw': 'nest'}
# simParams keys added in format 5 (an input layer scale of its own, the draw of
# the projections from MSNs).
FORMAT_4_IMPLIED = {'input_layer_scale': None, 'msn_draw': 'nest'}
IMPLIED = dict(FORMAT_2_IMPLIED, **FORMAT_3_IMPLIED, **FORMAT_4_IMPLIED)   # left out of the parameter digest


def upgrade_meta(meta, default_sim, default_bg):
    """Bring a run.json of an older format to :data:`FORMAT_VERSION`.

    Rule (documented in docs/checkpoints.md): format 1 (no ``format_version``) gets
    the keys of :data:`FORMAT_1_CODE_KEYS`, which format 1 kept in code,
    from the package's own parameter files; formats 1 and 2 get the keys of
    :data:`FORMAT_2_IMPLIED` with the values they were made with. Anything
    else missing, or a newer format, is refused.

    Returns
    -------
    (dict, list of str)
        The upgraded metadata and the keys it added.

    Raises
    ------
    RunFolderError
        Naming the missing key or the unknown format.
    """
    version = meta.get('format_version', 1)
    if version > FORMAT_VERSION:
        raise RunFolderError('run.json has format_version %r, newer than this package reads '
                             '(%d); use the package version that wrote it (git_commit %s)'
                             % (version, FORMAT_VERSION, meta.get('git_commit', 'unknown')))
    added = []
    for section, defaults in (('simParams', default_sim), ('bgParams', default_bg)):
        if section not in meta:
            raise RunFolderError('run.json lacks the key %r' % section)
        if version == 1:
            for key in FORMAT_1_CODE_KEYS[section]:
                if key not in meta[section]:
                    meta[section][key] = defaults[key]
                    added.append(key)
    for implied, last in ((FORMAT_2_IMPLIED, 2), (FORMAT_3_IMPLIED, 3), (FORMAT_4_IMPLIED, 4)):
        if version <= last:
            for key, value in implied.items():
                if key not in meta['simParams']:
                    meta['simParams'][key] = value
                    added.append(key)
    meta['format_version'] = FORMAT_VERSION
    return meta, added


def read_plot_labels(path):
    """{'Lambda': λ, 'kappa': κ, 'Mod': η} from a plot_labels.txt."""
    out = {}
    with open(path) as fh:
        for line in fh:
            if ',' in line:
                key, value = line.strip().split(',', 1)
                out[key] = float(value)
    return out


class RunFolder:
    """One run folder, read back.

    Parameters
    ----------
    path : str
        The folder (``log/``, ``run4_k_4_l_02_m_1/log1`` ...).

    Attributes
    ----------
    path : str
    meta : dict or None
        run.json, if the folder has one.
    sim, bg : dict
        Parameters: all of them from run.json; for the authors' folders the
        paper's protocol (``paperProtocol``) plus κ, λ, η from
        plot_labels.txt (else the folder name) and the condition from the
        folder name.
    mode : str
    protocol_source : str
        Where the protocol came from, in words.
    """

    def __init__(self, path):
        self.path = os.path.abspath(path)
        if not os.path.isdir(self.path):
            raise RunFolderError('%s: no such run folder' % path)
        self._rates = {}
        meta_path = os.path.join(self.path, 'run.json')
        if os.path.exists(meta_path):
            with open(meta_path) as fh:
                self.meta = json.load(fh)
            self.sim, self.bg = self.meta['simParams'], self.meta['bgParams']
            self.mode = self.meta['mode']
            self.protocol_source = 'run.json'
        else:
            self.meta = None
            self.sim = fp.read_paper_protocol()
            self.bg = {}
            self.mode = 'plasticity'
            self._authors_parameters()
            self.protocol_source = ('paper protocol (simParams.py paperProtocol): %s has no '
                                    'run.json' % path)

    def _authors_parameters(self):
        """κ, λ, η and condition of an authors' folder (plot_labels.txt, folder name)."""
        parsed = parse_condition_folder(os.path.basename(os.path.dirname(self.path)))
        labels_path = os.path.join(self.path, 'plot_labels.txt')
        if os.path.exists(labels_path):
            lab = read_plot_labels(labels_path)
            self.bg.update(syn_asymm=lab['kappa'], overlap_d1d2=lab['Lambda'], MSND2_mod=lab['Mod'])
        elif parsed:
            self.bg.update(syn_asymm=parsed[0], overlap_d1d2=parsed[1], MSND2_mod=parsed[2])
        if parsed:
            self.sim['condition'] = parsed[3]

    # -- parameters ---------------------------------------------------------
    @property
    def kappa(self):
        return self.bg.get('syn_asymm')

    @property
    def lam(self):
        return self.bg.get('overlap_d1d2')

    @property
    def eta(self):
        return self.bg.get('MSND2_mod')

    @property
    def condition(self):
        return self.sim.get('condition', 'normal')

    @property
    def condition_values(self):
        """(κ, λ, η, condition), in the order of :data:`CONDITION_PARAMETERS`."""
        return tuple(getattr(self, attr) for attr, _ in CONDITION_PARAMETERS)

    @property
    def status(self):
        """run.json status ('running', 'finished', ...) or 'published' (authors')."""
        return self.meta.get('status', 'unknown') if self.meta else 'published'

    def label(self):
        """Short description: κ, λ, η, condition and the folder."""
        return 'κ %g, λ %g, η %g, %s (%s)' % (self.kappa, self.lam, self.eta, self.condition,
                                              self.short_name())

    def short_name(self):
        """``cond_folder/logN`` (the last two path parts)."""
        return os.path.join(os.path.basename(os.path.dirname(self.path)),
                            os.path.basename(self.path))

    # -- files ------------------------------------------------------------------
    def file(self, name):
        """Path of a file of the folder; RunFolderError naming it if missing."""
        path = os.path.join(self.path, name)
        if not os.path.exists(path):
            raise RunFolderError('%s: missing %s' % (self.path, name))
        return path

    def has(self, *names):
        return all(os.path.exists(os.path.join(self.path, n)) for n in names)

    def spikes(self, pop):
        """(senders, times_ms) of ``<pop>_spikes.dat`` (written by RunLog.append_spikes)."""
        data = np.loadtxt(self.file(pop + '_spikes.dat'), comments='#', ndmin=2)
        if data.size == 0:
            return np.zeros(0, int), np.zeros(0)
        return data[:, 0].astype(int), data[:, 1]

    def rates(self, pop):
        """Per-episode rates (Hz): array (episodes, channels) from ``<pop>_fr.txt``."""
        if pop not in self._rates:
            rows = data_rows(self.file(pop + '_fr.txt'))[1]
            self._rates[pop] = (np.loadtxt(rows, ndmin=2) if rows else
                                np.zeros((0, self.bg.get('n_report_channels', 5))))
        return self._rates[pop]

    @property
    def n_episodes(self):
        """Episodes written so far (rows of GPi_fr.txt)."""
        return len(self.rates('GPi'))

    # -- the plasticity protocol of this run ---------------------------------
    @property
    def n_total(self):
        """Episodes of the run's protocol (con_ep + gen_ep + dis_ep)."""
        return protocol.n_episodes(self.sim)

    @property
    def bounds(self):
        """(last CS+ episode, last generalisation episode): (100, 130) in the paper."""
        return protocol.phase_bounds(self.sim)

    @property
    def probes(self):
        """{'T1': [episodes], 'T2': [episodes]} (absolute)."""
        return protocol.probe_episodes(self.sim)

    def _reward_rows(self):
        """Split rows of reward.txt (episode phase flag decision), read once."""
        if not hasattr(self, '_reward'):
            self._reward = [ln.split() for ln in data_rows(self.file('reward.txt'))[1]]
        return self._reward[:self.n_episodes]

    def plan(self):
        """[(phase, flag)] per written episode: from reward.txt, else the protocol.

        For folders without reward.txt (the authors') the flag of episodes
        after generalisation is taken as 'F' (do_tests.txt of the shipped
        runs holds F).
        """
        if self.has('reward.txt'):
            return [(r[1], r[2]) for r in self._reward_rows()]
        out = []
        for e in range(self.n_episodes):
            phase, flag = protocol.episode_plan(e, self.sim)
            out.append((phase, flag or 'F'))
        return out

    def decisions(self):
        """'burst' / 'dip' / 'none' per episode: reward.txt, else the reward rule on the rates."""
        if self.has('reward.txt'):
            return [r[3] for r in self._reward_rows()]
        gpi, d2 = self.rates('GPi'), self.rates('MSN_d2')
        return [protocol.reward_decision(phase, flag, e, {'GPi': gpi[e], 'MSN_d2': d2[e]},
                                         self.sim)
                for e, (phase, flag) in enumerate(self.plan())]

    def reward_counts(self):
        """(bursts, dips) over the run: (101, 83) for the published log1."""
        d = self.decisions()
        return d.count('burst'), d.count('dip')

    def window_mean(self, pop, lo, hi, channels=(1, 2)):
        """Mean rate (Hz) of episodes lo..hi-1 per channel; None if not all written."""
        r = self.rates(pop)
        if len(r) < hi:
            return None
        return r[lo:hi, list(channels)].mean(axis=0)

    def resting_rates(self):
        """{population: mean rate (Hz)} of a resting run (``mean_fr.json``)."""
        with open(self.file('mean_fr.json')) as fh:
            return json.load(fh)

    def mean_weights(self):
        """(episodes, weights): weights has shape (episodes, channels, 4) for
        D1 AMPA, D1 NMDA, D2 AMPA, D2 NMDA (pA)."""
        data = np.loadtxt(self.file('mean_weights.txt'), ndmin=2)
        return data[:, 0].astype(int), data[:, 1:].reshape(len(data), -1, 4)

    # -- positions, channels and the checkpointed weights ---------------------
    def positions(self, pop):
        """(ids, xy) of a population from ``<pop>.txt`` (sheet units, as written: %1.3f)."""
        data = np.loadtxt(self.file(pop + '.txt'), ndmin=2)
        return data[:, 0].astype(int), data[:, 1:3]

    def channel_ids(self, pop):
        """Node ids of each channel's members (list over the channels).

        Membership as in the model (docs/model.md §3): within ``channel_radius``
        of a centre of ``centers.txt``, on the coordinates read back from the
        positions file. Folders without run.json use bgParams.py's radius.
        """
        ids, xy = self.positions(pop)
        if 'channel_radius' not in self.bg:
            raise RunFolderError('%s: no channel_radius in its parameters (a folder without '
                                 'run.json has no positions either)' % self.path)
        radius = self.bg['channel_radius']
        centres = np.loadtxt(self.file('centers.txt'), ndmin=2)
        return [ids[m] for m in geometry.channel_members(xy, centres, radius)]

    def checkpoint_weights(self, half, receptor='NMDA'):
        """Plastic cortico-striatal weights onto MSN_<half> stored in checkpoint.npz.

        Parameters
        ----------
        half : {'d1', 'd2'}
        receptor : {'AMPA', 'NMDA'}

        Returns
        -------
        next_episode : int
            The checkpoint's episode count (the protocol's length for a finished run).
        targets : ndarray of int
            Target node id of every synapse.
        weights : ndarray of float
            Its weight (pA).
        """
        if half not in HALVES or receptor not in ('AMPA', 'NMDA'):
            raise ValueError("half must be 'd1' or 'd2' and receptor 'AMPA' or 'NMDA', got %r, %r"
                             % (half, receptor))
        port = self.bg['receptor'][receptor]      # checkpoints exist only beside run.json
        with np.load(self.file('checkpoint.npz')) as z:
            keep = z[half + '_receptor'] == port
            return int(z['next_episode']), z[half + '_target'][keep], z[half + '_weight'][keep]

    # -- action selection ------------------------------------------------------
    def as_grid(self, pop='GPi'):
        """(levels in Hz of CSN input, rates (n, n, channels)) of an action-selection run.

        Row e = n*i + j of ``<pop>_fr.txt`` has channel-1 level i and channel-2
        level j (docs/model.md §6.2).
        """
        if self.mode != 'action_selection':
            raise RunFolderError('%s: not an action-selection run (mode %s)'
                                 % (self.path, self.mode))
        n = self.sim['as_grid']
        r = self.rates(pop)
        if len(r) < n * n:
            raise RunFolderError('%s: %s_fr.txt has %d rows of the %d-episode grid'
                                 % (self.path, pop, len(r), n * n))
        return np.arange(n) * self.sim['as_rate_step'], r[:n * n].reshape(n, n, -1)


def write_positions(path, ids, xyz):
    """Write ``id x y [z]`` rows, every column ``%1.3f`` (docs/model.md §2.6)."""
    np.savetxt(path, np.column_stack([np.asarray(ids, float), xyz]), fmt='%1.3f')


class RunLog:
    """All file output of a run, in one folder; rows are flushed as written.

    Only files described in ``run_folder.OUTPUTS`` can be written (a
    KeyError names any other), so the contract and the writer cannot drift.
    """

    def __init__(self, log_dir):
        self.dir = os.path.abspath(log_dir)
        self.known = all_output_names()

    def path(self, name):
        if name not in self.known:
            raise KeyError('%s is not in the run-folder contract (run_folder.OUTPUTS)' % name)
        return os.path.join(self.dir, name)

    def clean(self):
        """Remove the files of an earlier run that the contract lists (nothing else)."""
        for name in os.listdir(self.dir):
            if (name in self.known and name != LOCK_NAME and
                    os.path.isfile(os.path.join(self.dir, name))):
                os.remove(os.path.join(self.dir, name))

    def start(self, name):
        """Start a file with its contract header line (``# columns``)."""
        self.append_line(name, '# ' + entry(name).header)

    def write_positions(self, name, ids, xyz):
        """A position file: ``id x y [z]`` rows, every column ``%1.3f``."""
        path = self.path(name)
        with writing(path):
            write_positions(path, ids, xyz)

    def write_table(self, name, rows, fmt='%.18e'):
        """A whole table of numbers (with the contract's header line, if it has one)."""
        path = self.path(name)
        header = entry(name).header
        with writing(path):
            np.savetxt(path, rows, fmt=fmt, **({'header': header} if header else {}))

    def write_checkpoint(self, arrays):
        """checkpoint.npz, atomically: a crash mid-write keeps the previous one."""
        with atomic_write(self.path('checkpoint.npz'), 'wb') as fh:
            np.savez(fh, **arrays)

    def write_run_json(self, meta):
        """run.json in this package's format (``format_version`` added)."""
        self.write_json('run.json', dict(meta, format_version=FORMAT_VERSION))

    def write_json(self, name, obj):
        """Write atomically (a temporary file, then rename): never a truncated run.json."""
        with atomic_write(self.path(name)) as fh:
            json.dump(obj, fh, indent=1)

    def _write(self, name, mode, text):
        path = self.path(name)
        with writing(path), open(path, mode) as fh:
            fh.write(text)

    def append_row(self, name, values):
        """Append one row of Python-repr floats (the original *_fr.txt format)."""
        self._write(name, 'a', ' '.join(repr(float(v)) for v in values) + '\n')

    def write_text(self, name, text):
        self._write(name, 'w', text)

    def append_line(self, name, text):
        self._write(name, 'a', text + '\n')

    def append_spikes(self, name, senders, times):
        """Append spikes to ``<name>_spikes.dat`` (columns sender, time_ms)."""
        path = self.path(name + '_spikes.dat')
        new = not os.path.exists(path)
        with writing(path), open(path, 'a') as fh:
            if new:
                fh.write('# %s\n' % entry(name + '_spikes.dat').header)
            np.savetxt(fh, np.column_stack([senders, times]), fmt=['%d', '%.1f'])


def params_digest(sim, bg):
    """SHA-256 of the parameters that define a run (threads and mode flag excluded).

    A key of :data:`IMPLIED` at its implied value is left out,
    so a run of an older format keeps its digest after the upgrade.
    """
    sim = {k: v for k, v in sim.items() if k not in ('nbcpu', 'mode') and
           not (k in IMPLIED and v == IMPLIED[k])}
    text = json.dumps({'simParams': sim, 'bgParams': bg}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def network_digest(sim, bg):
    """:func:`params_digest` with the keys that choose the inputs replaced by the
    inputs they build (connectivity.input_plan): equal for two runs whose
    parameters name the same network in two ways (at scale 1, ``input_draw``
    'matched' or 'nest', with or without ``full_size_inputs``), as a sweep
    compares a folder's run with its own."""
    canon = {k: v for k, v in sim.items() if k not in connectivity.INPUT_PLAN_KEYS}
    canon['inputs'] = connectivity.input_plan_record(sim)
    return params_digest(canon, bg)


RUN_JSON_KEYS = ('mode', 'msd', 'simParams', 'bgParams')   # what a run of this package has


def read_run_json(log_dir, label='--resume', required=RUN_JSON_KEYS):
    """run.json of a folder, with a clear error if it is missing, truncated or foreign
    (``required``: the keys it must hold; () only checks that it is a JSON object)."""
    path = os.path.join(log_dir, 'run.json')
    if not os.path.exists(path):
        raise Refused('%s %s: no run.json in that folder' % (label, log_dir))
    try:
        with open(path, encoding='utf-8') as fh:
            meta = json.load(fh)
    except (ValueError, OSError) as err:
        raise Refused('%s %s: run.json cannot be read (%s); it is truncated or not '
                            'written by this package'
                            % (label, log_dir, str(err)[:120])) from None
    if not isinstance(meta, dict):
        raise Refused('%s %s: run.json is not a run description' % (label, log_dir))
    for key in required:
        if key not in meta:
            raise Refused('%s %s: run.json lacks the key %r; it was not written by '
                                'this package' % (label, log_dir, key))
    return meta


def read_checkpoint(log_dir, label='--resume', keys=None):
    """checkpoint.npz of a folder as a dict, or a clear error (missing, truncated, foreign).

    ``keys``: the arrays to read besides :data:`CHECKPOINT_KEYS` (None: all; the
    per-synapse arrays of a full-scale run take a few hundred MB).
    """
    path = os.path.join(log_dir, 'checkpoint.npz')
    if not os.path.exists(path):
        raise Refused('%s %s: no checkpoint.npz in that folder (the run stopped '
                      'before its first checkpoint; start it again)' % (label, log_dir))
    try:
        with np.load(path) as z:
            wanted = z.files if keys is None else [k for k in z.files
                                                   if k in CHECKPOINT_KEYS or k in keys]
            data = {k: z[k] for k in wanted}
    except Exception as err:      # OSError, ValueError, EOFError, zipfile.BadZipFile, zlib
        raise Refused('%s %s: checkpoint.npz cannot be read (%s: %s); it is truncated '
                      'or not written by this package'
                      % (label, log_dir, type(err).__name__, cut(err, 120))) from None
    missing = [k for k in CHECKPOINT_KEYS if k not in data]
    if missing:
        raise Refused('%s %s: checkpoint.npz lacks %s; it was not written by this '
                            'package' % (label, log_dir, ', '.join(missing)))
    try:
        data['next_episode'] = int(data['next_episode'])
        data['eta_done'] = bool(data['eta_done'])
    except (TypeError, ValueError):
        raise Refused('%s %s: checkpoint.npz holds no single next_episode / '
                            'eta_done; it was not written by this package'
                            % (label, log_dir)) from None
    return data


CHECKPOINT_KEYS = ('next_episode', 'eta_done')


def truncate_spikes(log_dir, mode, t_cut_ms):
    """Keep the header and the spikes with time < ``t_cut_ms`` in every spike file."""
    for name in files_of(mode, 'spikes'):
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


class WriteError(Exception):
    """A file of the run folder could not be written (full disk, quota, I/O error)."""

    def __init__(self, path, err):
        self.path, self.err = path, err
        super().__init__(path, err)

    def __str__(self):
        return self.describe()          # when shown: the free space after the clean-up

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
            meta = read_run_json(path, 'describe', required=())
            parts.append('run.json: %s run, msd %s, status %s' % (
                meta.get('mode', '?'), meta.get('msd', '?'), meta.get('status', '?')))
        except Refused:
            parts.append('run.json (unreadable)')
    if os.path.exists(os.path.join(path, 'checkpoint.npz')):
        parts.append('checkpoint.npz')
    if not parts:
        ours = sorted(set(os.listdir(path)) & all_output_names() - {LOCK_NAME})
        if ours:
            parts.append('output files without run.json: %s%s' % (
                ', '.join(ours[:3]), ', ...' if len(ours) > 3 else ''))
    return ', '.join(parts)


def checkpoint_done(log_dir, sim, label):
    """Whether the folder's checkpoint lies after the last episode of ``sim``'s
    protocol (reads only its episode counter; Refused if it cannot be read)."""
    episode = read_checkpoint(log_dir, label, keys=())['next_episode']
    return episode >= protocol.n_episodes(sim)


def refuse_finished(path):
    """Refuse a folder whose run has finished (run.json ``finished``, or a
    checkpoint after the last episode): ``--overwrite-unfinished`` keeps it."""
    label = '--overwrite-unfinished'
    try:
        meta = read_run_json(path, label, required=('simParams',))
        finished = meta.get('status') == 'finished' or (
            os.path.exists(os.path.join(path, 'checkpoint.npz'))
            and checkpoint_done(path, meta['simParams'], label))
    except (Refused, KeyError, TypeError):   # no run.json, or one that cannot say it finished
        return
    if finished:
        raise Refused('log folder %s holds a finished run (%s); --overwrite-unfinished '
                      'leaves it alone; allowed: --overwrite to replace it'
                      % (path, describe_run(path)))
