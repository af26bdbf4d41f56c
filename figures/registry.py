"""The figures ``plots.py`` can make: one entry each.

Adding a figure is one function (inputs → list of ``style.Output``, or
``selection.Missing`` naming what is absent) and one :class:`Entry` here.
"""
from dataclasses import dataclass
from types import MappingProxyType

import fig_curves as curves
import fig_own as own
import fig_windows as windows


@dataclass(frozen=True)
class Entry:
    """One figure of the registry.

    Attributes
    ----------
    name : str
        The ``--only`` name.
    make : callable
        ``make(inputs) -> [style.Output]``.
    modes : tuple of str
        Modes of a ``--run`` / ``--as-run`` folder this figure is made for
        (empty: only from the data roots or the parameter files).
    """
    name: str
    make: object
    modes: tuple = ()


FIGURES = (
    Entry('1E', own.figure_1e, ('action_selection',)),
    Entry('1F', own.figure_1f, ('action_selection',)),
    Entry('1G', own.figure_1g, ('action_selection',)),
    Entry('3C', curves.figure_single_run('3C'), ('plasticity',)),
    Entry('3D', windows.figure_window('3D')),
    Entry('4A', curves.figure_4a),
    Entry('4D', curves.figure_4d),
    Entry('5A', curves.figure_5a),
    Entry('6AB', curves.figure_6ab),
    Entry('6C', curves.figure_6c),
    Entry('7D', curves.figure_7d),
    Entry('8A', curves.figure_single_run('8A')),
    Entry('8B', curves.figure_single_run('8B')),
    Entry('8C', windows.figure_window('8C')),
    Entry('8D', curves.figure_single_run('8D')),
    Entry('8E', windows.figure_window('8E')),
    Entry('8F', windows.figure_window('8F')),
    Entry('validation', curves.figure_validation, ('plasticity',)),
    Entry('weights', own.figure_weights, ('plasticity',)),
    Entry('resting', own.figure_resting, ('resting_state',)),
    Entry('as', own.figure_as, ('action_selection',)),
)
NAMES = tuple(e.name for e in FIGURES)
BY_NAME = MappingProxyType({e.name: e for e in FIGURES})


def of_mode(mode):
    """Names of the figures made for a run folder of that mode."""
    return {e.name for e in FIGURES if mode in e.modes}
