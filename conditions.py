"""The paper's conditions: their names and the settings of each, read from the
``paper`` sweep (``sweeps/paper.toml``), so that ``sweep.py run paper`` and
``stim_all_model.py --paper NAME`` run the same 15 conditions.

A name reads ``k{kappa}_l{lambda code}_m{eta}``, with ``_p`` for the
Parkinson and ``_s`` for the schizophrenia condition (``k4_l02_m1``: kappa 4,
lambda 0.2, eta 1); the lambda code is that of the run folders
(``run_folder.lambda_code``).
"""
import os
import tomllib

import fetch_params as fp
import run_folder as rf

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER_SWEEP = os.path.join(HERE, 'sweeps', 'paper.toml')
SUFFIX = {'normal': '', 'parkinson': '_p', 'schizophrenia': '_s'}
CONDITION_KEYS = ('syn_asymm', 'overlap_d1d2', 'MSND2_mod', 'condition')   # kappa, lambda, eta


def condition_name(kappa, lam, eta, condition='normal'):
    """'k4_l02_m1' for kappa 4, lambda 0.2, eta 1 (suffix _p / _s for the diseases)."""
    return 'k%g_l%s_m%g%s' % (kappa, rf.lambda_code(lam), eta, SUFFIX[condition])


def paper_conditions(path=PAPER_SWEEP):
    """{name: (sim overrides, bg overrides)} of the paper's conditions, in file order.

    Each holds the sweep's ``[fixed]`` settings (the plasticity mode) and kappa, lambda, eta
    and the condition written out (eta 1 and 'normal' where the file leaves
    them to the defaults of the paper).
    """
    with open(path, 'rb') as fh:
        desc = tomllib.load(fh)
    out = {}
    for entry in desc['conditions']:
        sim_set, bg_set = dict(desc.get('fixed', {})), dict(desc.get('fixed_bg', {}))
        entry = dict({'MSND2_mod': 1.0, 'condition': 'normal'}, **entry)
        for key, value in entry.items():
            (sim_set if key in fp.SIM_SCHEMA else bg_set)[key] = value
        name = condition_name(bg_set['syn_asymm'], bg_set['overlap_d1d2'], bg_set['MSND2_mod'],
                              sim_set['condition'])
        out[name] = (sim_set, bg_set)
    return out


def paper_overrides(name, sim_over, bg_over):
    """(sim overrides, bg overrides) of ``--paper NAME`` with the user's own on top.

    Raises
    ------
    fetch_params.ParamError
        An unknown name (the list of names is given), or a user override of
        kappa, lambda, eta, the condition or the mode, which define the condition.
    """
    conditions = paper_conditions()
    if name not in conditions:
        raise fp.ParamError('--paper %s: not a condition of the paper; allowed: %s'
                            % (fp.shown(name), ', '.join(conditions)))
    sim_set, bg_set = (dict(d) for d in conditions[name])
    for given, own in ((sim_over, sim_set), (bg_over, bg_set)):
        for key in given:
            if key in CONDITION_KEYS or key in fp.MODES:
                raise fp.ParamError('--paper %s sets %s = %s itself; allowed: another --paper, '
                                    'or no --paper and your own --set/--bg-set'
                                    % (name, key, fp.shown(own.get(key))))
    return dict(sim_set, **sim_over), dict(bg_set, **bg_over)
