"""Load ``simParams.py`` and ``bgParams.py`` into plain dicts and validate them.

Nothing here imports NEST: every check runs before any network is built.
Each error names the file, the key, the bad value and what is allowed.
"""
import ast
import copy
import difflib
import math
import os

from errors import Refused, cut, shown
from errors import bad_value as _bad_value
from populations import CONDITIONS, HALVES, INPUT_DRAW_CHOICES, INPUT_DRAWS, INPUT_DRIVES, MODES

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECTIONS = (
    'CMPf->FSI', 'CMPf->GPe', 'CMPf->GPi', 'CMPf->MSN', 'CMPf->STN', 'CSN->FSI',
    'CSN->MSN', 'FSI->FSI', 'FSI->MSN', 'GPe->FSI', 'GPe->GPe', 'GPe->GPi',
    'GPe->MSN', 'GPe->STN', 'MSN->GPe', 'MSN->GPi', 'MSN->MSN', 'PTN->FSI',
    'PTN->MSN', 'PTN->STN', 'STN->FSI', 'STN->GPe', 'STN->GPi', 'STN->MSN')


class ParamError(Refused):
    """A parameter file is missing, unreadable or holds a bad value."""


# --- schema helpers: each returns (check(value) -> bool, description) -------
def _num(lo=None, hi=None, lo_open=False, integer=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        if not math.isfinite(v):          # NaN and infinity are never parameters
            return False
        if integer and not isinstance(v, int):
            return False
        if lo is not None and (v <= lo if lo_open else v < lo):
            return False
        return hi is None or v <= hi
    kind = 'an integer' if integer else 'a number'
    lo_txt = '' if lo is None else (' > %g' % lo if lo_open else ' >= %g' % lo)
    hi_txt = '' if hi is None else (' <= %g' % hi)
    sep = ' and' if lo_txt and hi_txt else ''
    return check, kind + lo_txt + sep + hi_txt


def _choice(options):
    return (lambda v: v in options), 'one of %s' % (list(options),)


_BOOL = ((lambda v: isinstance(v, bool)), 'True or False')
_POS = _num(0, lo_open=True)
_NONNEG = _num(0)
_PROB = _num(0, 1)
_COUNT = _num(1, integer=True)
_NONNEG_INT = _num(0, integer=True)


def _int_list(v):
    return isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool)
                                       and x >= 0 for x in v)


def _vt_dict(v):
    return (isinstance(v, dict) and set(v) == set(MODES) and
            all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v.values()))


def _fraction(f):
    """A window entry: a finite number or a string 'p/q' of two numbers, q != 0,
    whose quotient is finite too ('1e308/1e-10' overflows)."""
    if isinstance(f, str):
        num, _, den = f.partition('/')
        try:
            num, den = float(num), float(den or 1)
        except ValueError:
            return False
        return (math.isfinite(num) and math.isfinite(den) and den != 0
                and math.isfinite(num / den))
    return _num()[0](f)


def _windows(v):
    return (isinstance(v, dict) and set(v) == set(CONDITIONS) and
            all(isinstance(c, dict) and set(c) == {'burst', 'dip'} and
                all(isinstance(c[p], dict) and set(c[p]) == {'d1', 'd2'} and
                    all(isinstance(c[p][h], list) and len(c[p][h]) == 2 and
                        all(_fraction(f) for f in c[p][h]) for h in HALVES)
                    for p in ('burst', 'dip'))
                for c in v.values()))


SIM_SCHEMA = {
    'resting_state': _BOOL, 'action_selection': _BOOL, 'plasticity': _BOOL,
    'msd': _num(1, 2 ** 31 - 1, integer=True),
    'nbcpu': _COUNT,
    'dt': _num(0, 1, lo_open=True),
    'scalefactor': ((lambda v: isinstance(v, list) and len(v) == 2 and
                     all(_POS[0](x) for x in v)), 'a list of two numbers > 0'),
    'scale': _num(0, 1, lo_open=True),
    'full_size_inputs': _BOOL,
    'input_layer_scale': ((lambda v: v is None or _num(0, 1, lo_open=True)[0](v)),
                          'None or a number > 0 and <= 1'),
    'input_generator': _choice(INPUT_DRIVES),
    'input_draw': _choice(INPUT_DRAW_CHOICES),
    'msn_draw': _choice(INPUT_DRAWS),
    'record_inputs': _BOOL, 'save_spikes': _BOOL,
    'record_start': _NONNEG,
    'vt_deliver_interval': (_vt_dict, 'a dict {mode: integer >= 1} for the modes %s' % (MODES,)),
    'simDuration': _POS, 'initial_ignore': _NONNEG, 'at_window': _POS,
    'as_warmup': _NONNEG, 'as_grid': _COUNT, 'as_rate_step': _NONNEG,
    'as_ptn_ratio': _NONNEG, 'as_stim_duration': _POS, 'as_break_duration': _NONNEG,
    'as_n_stim': _COUNT, 'stim_delay': _POS,
    'condition': _choice(CONDITIONS),
    'stdp_windows': (_windows, "a dict {condition: {'burst'|'dip': {'d1'|'d2': [A_plus, "
                     "A_minus]}}} for the conditions %s, each entry a number or 'p/q' "
                     '(units of dc)' % (CONDITIONS,)),
    'dc': _NONNEG, 'Istrong': _NONNEG, 'Iweak': _NONNEG,
    'pl_rate_step': _NONNEG, 'pl_ptn_ratio': _NONNEG, 'pl_n_stim': _COUNT,
    'pl_warmup': _NONNEG, 'DA_rate': _NONNEG,
    'con_ep': _NONNEG_INT, 'gen_ep': _NONNEG_INT, 'dis_ep': _NONNEG_INT,
    'n_unreinforced': _NONNEG_INT,
    'probe_T1': (_int_list, 'a list of integers >= 0'),
    'probe_T2': (_int_list, 'a list of integers >= 0'),
    'stim_duration': _POS, 'break_duration': _NONNEG, 'burst_duration': _NONNEG,
    'dip_duration': _NONNEG, 'post_duration': _NONNEG, 'd2_guard_rate': _NONNEG,
    'checkpoint_every': _NONNEG_INT,
    'weights_readout_msn': _NONNEG_INT,
}


def _proj_dict(check):
    return ((lambda v: isinstance(v, dict) and set(v) == set(PROJECTIONS) and
             all(check[0](x) for x in v.values())),
            'a dict with exactly the 24 projection keys, each %s' % check[1])


def _neuron(v):
    return (isinstance(v, dict) and set(v) == {'C_m', 'tau_m', 'V_th'} and
            all(_POS[0](v[k]) for k in ('C_m', 'tau_m')) and _num()[0](v['V_th']))


_NEURON = (_neuron, "a dict {'C_m': >0, 'tau_m': >0, 'V_th': number}")
_NUCLEI = ('FSI', 'GPe', 'GPi', 'MSN', 'STN')

BG_SCHEMA = {
    **{'nb' + p: _COUNT for p in ('MSN', 'FSI', 'STN', 'GPe', 'GPi', 'CSN', 'PTN', 'CMPf')},
    **{'count' + p: _COUNT for p in ('MSN', 'FSI', 'STN', 'GPe', 'GPi', 'CMPf')},
    'rateCSN': _NONNEG, 'ratePTN': _NONNEG, 'rateCMPf': _NONNEG, 'input_delay': _POS,
    'common_neuron': ((lambda v: isinstance(v, dict) and
                       {'E_L', 'V_reset', 'V_m', 'V_min', 't_ref', 'V_th', 'tau_syn'} == set(v) and
                       isinstance(v['tau_syn'], list) and len(v['tau_syn']) == 3 and
                       all(_POS[0](x) for x in v['tau_syn']) and _NONNEG[0](v['t_ref'])),
                      'a dict with E_L, V_reset, V_m, V_min, t_ref >= 0, V_th and 3 tau_syn > 0'),
    **{p + '_neuron': _NEURON for p in _NUCLEI},
    **{'Ie' + p: _num() for p in _NUCLEI},
    'receptor': ((lambda v: v == {'AMPA': 1, 'NMDA': 2, 'GABA': 3}),
                 "{'AMPA': 1, 'NMDA': 2, 'GABA': 3}"),
    'alpha': _proj_dict(_NONNEG), 'ProjPercent': _proj_dict(_PROB),
    'distcontact': _proj_dict(_PROB), 'tau': _proj_dict(_POS),
    'focused': ((lambda v: isinstance(v, list) and set(v) <= set(PROJECTIONS)),
                'a list of projection keys'),
    'focused_radius': _POS, 'diffuse_radius_factor': _POS, 'redundancy': _POS,
    'RedundancyType': _choice(('outDegreeAbs', 'inDegreeAbs', 'outDegreeCons')),
    'wPSP': ((lambda v: isinstance(v, list) and len(v) == 3 and all(_num()[0](x) for x in v)),
             'a list of 3 numbers [AMPA, NMDA, GABA]'),
    'Ri': _POS, 'Rm': _POS,
    'lx': ((lambda v: isinstance(v, dict) and set(v) == set(_NUCLEI) and
            all(_POS[0](x) for x in v.values())), 'a dict {nucleus: > 0} for %s' % (_NUCLEI,)),
    'dx': ((lambda v: isinstance(v, dict) and set(v) == set(_NUCLEI) and
            all(_POS[0](x) for x in v.values())), 'a dict {nucleus: > 0} for %s' % (_NUCLEI,)),
    'GGPe_STN': _NONNEG, 'GSTN_GPi': _NONNEG, 'GMSN_MSN': _NONNEG, 'GMSN_GPx': _NONNEG,
    'plast_gain': _NONNEG, 'plastic_syn': _BOOL,
    'plastic_projections': ((lambda v: isinstance(v, list) and
                             all(p in ('CSN->MSN', 'PTN->MSN', 'CMPf->MSN') for p in v) and
                             len(set(v)) == len(v)),
                            "a list of distinct input->MSN projections among 'CSN->MSN', "
                            "'PTN->MSN', 'CMPf->MSN'"),
    'normalrate': ((lambda v: isinstance(v, dict) and all(
        isinstance(r, list) and len(r) == 2 and all(_NONNEG[0](x) for x in r) and r[0] <= r[1]
        for r in v.values())), 'a dict {nucleus: [low, high]} (Hz) with 0 <= low <= high'),
    'overlap_d1d2': _PROB, 'syn_asymm': _NONNEG, 'asymmetry_1': _PROB,
    'asymmetry_2': _PROB, 'MSND2_mod': _POS,
    'stdp': ((lambda v: isinstance(v, dict) and set(v) == {
        'A_plus_d1', 'A_minus_d1', 'A_plus_d2', 'A_minus_d2', 'Wmax', 'Wmin', 'b',
        'tau_plus', 'tau_c', 'tau_n'} and all(_num()[0](x) for x in v.values()) and
        v['Wmax'] >= v['Wmin'] and all(v[k] > 0 for k in ('tau_plus', 'tau_c', 'tau_n'))),
        'a dict of the 10 STDP keys with Wmax >= Wmin and time constants > 0'),
    'n_channels': _num(6, 6, integer=True), 'channel_ring_radius': _POS, 'channel_radius': _POS,
    'remainder_mode': _choice(('original', 'expected_count', 'none')),
    'diffuse_mode': _choice(('original', 'uniform')),
    'eta_mode': _choice(('multiply', 'first_weight')),
    'n_report_channels': _choice((5, 6)),
    'cap_indegree': _BOOL,
}


def _load(path, varname):
    """Execute a parameter file and return a deep copy of its dict ``varname``."""
    if not os.path.isfile(path):
        raise ParamError('%s: parameter file not found' % path)
    try:
        with open(path, encoding='utf-8') as fh:
            source = fh.read()
    except UnicodeDecodeError as err:
        raise ParamError('%s: not UTF-8 text (byte %d): save the parameter file as UTF-8'
                         % (path, err.start)) from None
    except OSError as err:
        raise ParamError('%s: cannot be read: %s' % (path, err.strerror)) from None
    namespace = {}
    try:
        exec(compile(source, path, 'exec'), namespace)
    except SyntaxError as err:
        raise ParamError('%s: syntax error at line %s: %s' % (path, err.lineno, err.msg)) from None
    except BaseException as err:   # also sys.exit() and KeyboardInterrupt: data only here
        raise ParamError('%s: line %s raised %s; a parameter file may only define data (the '
                         'dict %s = {...}), nothing was run'
                         % (path, _line_in(err.__traceback__, path), _raised(err), varname)
                         ) from None
    if varname not in namespace:
        raise ParamError('%s: variable %r is not defined (the file must define a dict %s = {...})'
                         % (path, varname, varname))
    value = namespace[varname]
    if not isinstance(value, dict):
        raise ParamError('%s: %s must be a dict, got %s' % (path, varname, type(value).__name__))
    return copy.deepcopy(value)


def _line_in(tb, path):
    """The line of ``path`` where a traceback left that file last ('?' if none)."""
    line = '?'
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _raised(err):
    """What a parameter file raised, in words: ``sys.exit(0)``, ``KeyboardInterrupt``, ..."""
    if isinstance(err, SystemExit):
        return 'sys.exit(%s)' % shown(err.code)
    text = str(err)
    return type(err).__name__ + (': ' + cut(text) if text else '')


OTHER_FILE = {'sim': ('bgParams.py', '--bg-set'), 'bg': ('simParams.py', '--set')}


def _unknown_key_hint(key, schema):
    """' (did you mean ...?)' or the hint that the key belongs to the other file."""
    if schema is SIM_SCHEMA and key in BG_SCHEMA:
        return " (a key of bgParams.py: use --bg-set)"
    if schema is BG_SCHEMA and key in SIM_SCHEMA:
        return " (a key of simParams.py: use --set)"
    near = difflib.get_close_matches(key, list(schema), n=1)
    return " (did you mean %r?)" % near[0] if near else ''


def validate(params, schema, path, overridden=(), override_label='--set'):
    """Check ``params`` against ``schema``; raise ParamError on the first problem.

    Parameters
    ----------
    params, schema : dict
    path : str
        Where the values come from (a file), named in the message.
    overridden : collection of str
        Keys whose value came from the command line: their errors name
        ``override_label`` instead of ``path``.
    """
    def origin(key):
        return override_label if key in overridden else path

    missing = [k for k in schema if k not in params]
    if missing:
        raise ParamError('%s: missing key(s) %s' % (path, ', '.join(repr(k) for k in missing)))
    for key in params:
        if key not in schema:
            raise ParamError('%s: unknown key %s%s; allowed: the keys documented in the file'
                             % (origin(key), shown(key), _unknown_key_hint(str(key), schema)))
    for key, (check, allowed) in schema.items():
        if not check(params[key]):
            raise bad_value(origin(key), key, params[key], allowed)


# every time parameter must lie on the dt grid (NEST refuses or rounds otherwise)
TIME_KEYS = ('simDuration', 'initial_ignore', 'record_start', 'as_warmup', 'as_stim_duration',
             'as_break_duration', 'stim_delay', 'pl_warmup', 'stim_duration', 'break_duration',
             'burst_duration', 'dip_duration', 'post_duration', 'at_window')


def on_grid(t, dt):
    """Whether time ``t`` (ms) is a whole number of steps ``dt`` (ms)."""
    return abs(t / dt - round(t / dt)) < 1e-9 * max(1.0, abs(t / dt))


def bad_value(where, key, value, allowed):
    """:func:`errors.bad_value` as a :class:`ParamError`."""
    return _bad_value(where, key, value, allowed, ParamError)


def _fail(path, key, value, allowed):
    raise bad_value(path, key, value, allowed)


def _check_protocol(sim, path):
    """Consistency of the task protocols (only for the mode switched on)."""
    if sim['action_selection'] and sim['as_warmup'] < sim['record_start']:
        _fail(path, 'as_warmup', sim['as_warmup'], 'at least record_start (%g ms), else the '
              'first episodes fall before the recorders start' % sim['record_start'])
    if not sim['plasticity']:
        return
    if sim['pl_warmup'] < sim['record_start']:
        _fail(path, 'pl_warmup', sim['pl_warmup'], 'at least record_start (%g ms), else episode '
              "0's rates are zero and its reward decision wrong" % sim['record_start'])
    both = sorted(set(sim['probe_T1']) & set(sim['probe_T2']))
    if both:
        _fail(path, 'probe_T2', sim['probe_T2'], 'offsets not also in probe_T1 %r (both at %r)'
              % (sim['probe_T1'], both))
    n_total = sim['con_ep'] + sim['gen_ep'] + sim['dis_ep']
    if sim['n_unreinforced'] > n_total:
        _fail(path, 'n_unreinforced', sim['n_unreinforced'], 'at most the number of episodes '
              'con_ep + gen_ep + dis_ep (%d)' % n_total)


def _check_sim_consistency(sim, path):
    modes_on = [m for m in MODES if sim[m]]
    if len(modes_on) != 1:
        raise ParamError('%s: exactly one of %s must be True; got %s switched on'
                         % (path, ', '.join(MODES), modes_on or 'none'))
    if sim['record_start'] >= sim['simDuration'] + sim['initial_ignore']:
        _fail(path, 'record_start', sim['record_start'], 'less than simDuration + '
              'initial_ignore (%g ms)' % (sim['simDuration'] + sim['initial_ignore']))
    for key in TIME_KEYS:
        if not on_grid(sim[key], sim['dt']):
            _fail(path, key, sim[key], 'a multiple of dt (%g ms), the simulation step'
                  % sim['dt'])
    _check_protocol(sim, path)
    _check_input_layers(sim, path)
    n_gen = sim['gen_ep']
    for key in ('probe_T1', 'probe_T2'):
        bad = [p for p in sim[key] if not 1 <= p <= n_gen]
        if bad:
            _fail(path, key, sim[key], 'episode offsets in 1..gen_ep (%d)' % n_gen)
    if sim['scalefactor'] != [1, 1]:
        _fail(path, 'scalefactor', sim['scalefactor'], "[1, 1] (other sheet scale factors "
              "are inconsistent in the original model, docs/model.md [Q-11]; use 'scale' to shrink "
              "the network)")


def _check_input_layers(sim, path):
    s_in = sim['input_layer_scale']
    if s_in is None:
        return
    if sim['full_size_inputs']:
        _fail(path, 'input_layer_scale', s_in, 'None when full_size_inputs is True (set one '
              'of the two: full_size_inputs=True is input_layer_scale=1)')
    if s_in < sim['scale']:
        _fail(path, 'input_layer_scale', s_in, 'None or a number from scale (%g) to 1: the '
              'input layers are never smaller than the network' % sim['scale'])


def _check_bg_consistency(bg, path):
    if bg['nbMSN'] % 2:
        _fail(path, 'nbMSN', bg['nbMSN'], 'an even number (D1/D2 halves)')


def _read(path, default_name, varname, schema, check, overrides, label):
    """Load, override, validate and cross-check one parameter file."""
    path = path or os.path.join(HERE, default_name)
    params = _load(path, varname)
    params.update(overrides or {})
    validate(params, schema, path, overridden=set(overrides or ()), override_label=label)
    check(params, path if not overrides else '%s (with %s)' % (path, label))
    return params


def check_sim(sim, path):
    """The cross-key checks of simParams (modes, times on the dt grid, protocol)."""
    _check_sim_consistency(sim, path)


def protocol_notes(sim):
    """Allowed but unusual settings a user must be told about (lines of text)."""
    notes = []
    if sim['plasticity'] and sim['Istrong'] < sim['Iweak']:
        notes.append('Istrong (%g) < Iweak (%g): channel 1 gets the WEAKER stimulus in CS+ and '
                     'the stronger one in CS-, i.e. the channels swap roles in the protocol '
                     '(docs/model.md §6.3 has Istrong 8 >= Iweak 6)' % (sim['Istrong'], sim['Iweak']))
    for key, what in (('input_draw', 'input projections'), ('msn_draw', 'projections from MSNs')):
        if sim[key] not in ('nest', 'matched'):     # 'matched': connectivity.input_notes
            notes.append('%s drawn %s (%s %r): a network of another connectivity than the '
                         'original at any scale' % (what, sim[key].replace('_', ' '), key, sim[key]))
    return notes


def check_combination(sim, bg):
    """Checks that need both parameter sets (before NEST is imported).

    Raises
    ------
    ParamError
        plasticity without plastic synapses; a transmission delay off the dt grid.
    """
    if sim['plasticity'] and not bg['plastic_syn']:
        raise bad_value('bgParams', 'plastic_syn', False, 'True when the plasticity mode is on '
                        '(the protocol needs the dopamine-STDP synapses)')
    delays = dict(bg['tau'], input_delay=bg['input_delay'])
    for key, d in delays.items():
        if not on_grid(d, sim['dt']):
            raise ParamError("bgParams: delay %r = %g ms is not a multiple of dt = %g ms "
                             "(simParams); allowed: delays and dt on one grid"
                             % (key, d, sim['dt']))


def parse_overrides(items, label='--set'):
    """``['key=value', ...]`` (``--set`` / ``--bg-set``) -> dict, values parsed as
    Python literals (a value that is not one stays a string)."""
    out = {}
    for item in items or []:
        if '=' not in item:
            raise ParamError('%s %s: expected KEY=VALUE' % (label, shown(item)))
        key, value = item.split('=', 1)
        try:
            out[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            out[key.strip()] = value
    return out


def read_sim(path=None, overrides=None):
    """Load and validate the simulation parameters.

    Parameters
    ----------
    path : str, optional
        Path of the parameter file; default ``simParams.py`` next to this module.
    overrides : dict, optional
        Keys replacing the file's values before validation (``--set``).

    Returns
    -------
    dict
        The validated ``simParams`` dict (a copy), plus the key ``'mode'``.
    """
    sim = _read(path, 'simParams.py', 'simParams', SIM_SCHEMA, _check_sim_consistency, overrides,
                '--set')
    sim['mode'] = next(m for m in MODES if sim[m])
    return sim


def read_bg(path=None, overrides=None):
    """Load and validate the basal-ganglia parameters (``bgParams.py``).

    Parameters
    ----------
    path : str, optional
        Path of the parameter file; default ``bgParams.py`` next to this module.
    overrides : dict, optional
        Keys replacing the file's values before validation (``--bg-set``).

    Returns
    -------
    dict
        The validated ``bgParams`` dict (a copy).
    """
    return _read(path, 'bgParams.py', 'bgParams', BG_SCHEMA, _check_bg_consistency, overrides,
                 '--bg-set')


PAPER_PROTOCOL_KEYS = ('con_ep', 'gen_ep', 'dis_ep', 'probe_T1', 'probe_T2', 'n_unreinforced',
                       'd2_guard_rate', 'condition', 'dc', 'stim_duration')


def read_paper_protocol(path=None):
    """The published runs' protocol (``paperProtocol`` in simParams.py), validated.

    Used to read run folders without run.json (the authors' published ones).

    Returns
    -------
    dict
        The keys of :data:`PAPER_PROTOCOL_KEYS`, plus ``stdp_windows`` from
        ``simParams``.
    """
    path = path or os.path.join(HERE, 'simParams.py')
    proto = _load(path, 'paperProtocol')
    schema = {k: SIM_SCHEMA[k] for k in PAPER_PROTOCOL_KEYS}
    validate(proto, schema, path + ' (paperProtocol)')
    proto['stdp_windows'] = _load(path, 'simParams')['stdp_windows']
    return proto
