"""The layout: one job per module, data flowing one way, NEST only where a kernel
is needed, nothing importing the entry point, the README's layout table true."""
import ast
import glob
import os
import re

import numpy as np
import pytest

from conftest import REPO

pytestmark = pytest.mark.quick

# The flow: names -> parameters and their validation -> model math -> network
# build -> protocols -> run folder -> resume and folder safety -> readers and
# entry points. A module may import only modules listed before it.
FLOW = ('populations', 'errors', 'simParams', 'bgParams', 'fetch_params', 'protocol',
        'geometry', 'connectivity', 'rates', 'parallel', 'nest_routine', 'input_drive',
        'ini_all', 'modes', 'run_folder', 'checkpoint', 'run_control', 'conditions',
        'comparison', 'stim_all_model', 'sweep', 'make_docs')
NEEDS_A_KERNEL = {'nest_routine', 'input_drive', 'ini_all', 'modes',
                  'parallel'}          # parallel: only under MPI, inside a function


def _imports(path):
    """Top-level names of every module ``path`` imports (anywhere in the file)."""
    tree = ast.parse(open(path, encoding='utf-8').read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split('.')[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split('.')[0])
    return out


def _root_modules():
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, '*.py')))


def test_every_root_module_has_its_place_in_the_flow():
    assert sorted(FLOW) == _root_modules()


def test_every_root_module_is_installed_by_name():
    """pyproject.toml lists every module (the editable install of the set-up
    command makes them importable from figures/, validation/, benchmarks/)."""
    import tomllib
    with open(os.path.join(REPO, 'pyproject.toml'), 'rb') as fh:
        listed = tomllib.load(fh)['tool']['setuptools']['py-modules']
    assert sorted(listed) == _root_modules()


def test_data_flows_one_way():
    backwards = []
    for i, name in enumerate(FLOW):
        for imported in _imports(os.path.join(REPO, name + '.py')) & set(FLOW):
            if FLOW.index(imported) >= i:
                backwards.append('%s imports %s' % (name, imported))
    assert not backwards, backwards


def test_nest_is_imported_only_where_a_kernel_is_needed():
    with_nest = {name for name in FLOW if 'nest' in _imports(os.path.join(REPO, name + '.py'))}
    assert with_nest <= NEEDS_A_KERNEL, with_nest - NEEDS_A_KERNEL


def test_nothing_imports_the_entry_point():
    files = [p for p in glob.glob(os.path.join(REPO, '**', '*.py'), recursive=True)
             if os.path.basename(p) != 'stim_all_model.py']
    importers = [p for p in files if 'stim_all_model' in _imports(p)]
    assert not importers, importers


def test_run_json_and_checkpoint_are_read_in_one_module():
    readers = set()
    for path in glob.glob(os.path.join(REPO, '**', '*.py'), recursive=True):
        if os.sep + 'tests' + os.sep in path or path.endswith('same_outputs.py'):
            continue
        text = open(path, encoding='utf-8').read()
        if re.search(r'json\.load\(|np\.load\(', text) and re.search(
                r"'run\.json'|'checkpoint\.npz'|run_json|checkpoint", text):
            for line in text.splitlines():
                if re.search(r'json\.load\(|np\.load\(', line):
                    readers.add(os.path.relpath(path, REPO))
    assert readers <= {'run_folder.py', 'figures/fig_windows.py'}, readers


def test_each_module_opens_with_its_job_and_the_readme_lists_it():
    readme = open(os.path.join(REPO, 'README.md'), encoding='utf-8').read()
    for name in FLOW:
        doc = ast.get_docstring(ast.parse(open(os.path.join(REPO, name + '.py')).read()))
        assert doc and doc.split('\n')[0].strip(), '%s.py has no one-line job' % name
        assert '`%s.py`' % name in readme, 'README layout table lacks %s.py' % name


def test_same_outputs_compares_every_file(tmp_path):
    """The byte-identity script of a restructuring: equal folders pass, a changed
    byte, a changed checkpoint array and a missing file are each named."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'same_outputs', os.path.join(REPO, 'benchmarks', 'same_outputs.py'))
    same = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(same)
    for side in ('a', 'b'):
        d = tmp_path / side / 'plasticity'
        d.mkdir(parents=True)
        (d / 'GPi_fr.txt').write_text('80.0 81.0\n')
        (d / 'run.json').write_text('{"time": "%s"}' % side)          # never compared
        np.savez(d / 'checkpoint.npz', w=np.arange(3.0))
    assert same.compare(str(tmp_path / 'a'), str(tmp_path / 'b')) == ([], 2)
    (tmp_path / 'b' / 'plasticity' / 'GPi_fr.txt').write_text('80.0 81.1\n')
    np.savez(tmp_path / 'b' / 'plasticity' / 'checkpoint.npz', w=np.arange(3.0) + 1e-12)
    (tmp_path / 'a' / 'plasticity' / 'reward.txt').write_text('0 CS+ F burst\n')
    problems, _ = same.compare(str(tmp_path / 'a'), str(tmp_path / 'b'))
    assert problems == ['plasticity/reward.txt: only in %s' % (tmp_path / 'a'),
                        'plasticity/GPi_fr.txt: bytes differ',
                        "plasticity/checkpoint.npz: arrays differ: ['w']"]
