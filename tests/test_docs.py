"""The documentation cannot drift from the code: the generated pages are
current, the README's quick-start commands run as written (this test is the
installation check of the quick tier), and every page the README links exists.
"""
import os
import re
import subprocess
import sys

import pytest

import make_docs
from conftest import REPO, reference_dir

README = os.path.join(REPO, 'README.md')


def _readme():
    with open(README, encoding='utf-8') as fh:
        return fh.read()


def quick_start_commands(text):
    """The commands of the first ```bash block under the 'Quick start' heading."""
    at = re.search(r'^#+ .*Quick start.*$', text, re.M)
    assert at, 'README.md has no Quick start heading'
    block = re.search(r'```bash\n(.*?)```', text[at.end():], re.S)
    assert block, 'README.md: no ```bash block under Quick start'
    return [ln.strip() for ln in block.group(1).splitlines()
            if ln.strip() and not ln.strip().startswith('#')]


def test_generated_pages_are_current():
    stale = make_docs.stale(make_docs.pages())
    assert not stale, '%s stale: run python3 make_docs.py' % stale
    assert make_docs.main(['--check']) == 0


def test_stale_page_is_detected(tmp_path, monkeypatch):
    page = tmp_path / 'outputs.md'
    page.write_text(make_docs.outputs_page().replace('run.json', 'run.yaml', 1))
    assert make_docs.stale({str(page): make_docs.outputs_page()}) == [str(page)]


def test_readme_links_exist():
    for target in re.findall(r'\]\(([^)#:]+)(?:#[^)]*)?\)', _readme()):
        assert os.path.exists(os.path.join(REPO, target)), 'README links %s' % target


@pytest.mark.quick
def test_readme_quick_start_runs_as_written(tmp_path):
    """Each mode by the README's own command (its log folder moved to a temporary
    one), then the figures of the plasticity run, the sweep count and, where the
    published runs are present, the learning-curve comparison of one of them."""
    commands = quick_start_commands(_readme())
    modes = [re.search(r'--mode (\w+)', c).group(1) for c in commands]
    assert sorted(modes) == ['action_selection', 'plasticity', 'resting_state'], commands
    folders = {}
    for cmd, mode in zip(commands, modes):
        args = cmd.split()
        assert args[:2] == ['python3', 'stim_all_model.py'], cmd
        folders[mode] = str(tmp_path / mode)
        args[args.index('--log-dir') + 1] = folders[mode]
        proc = subprocess.run([sys.executable] + args[1:], cwd=REPO, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, cmd + '\n' + proc.stderr[-3000:]
        assert 'results in %s' % folders[mode] in proc.stdout, proc.stdout[-2000:]
        assert 'N E S T' not in proc.stdout                 # no banner without --verbose
    out = tmp_path / 'figs'
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'figures', 'plots.py'), '--run',
                           folders['plasticity'], '--out', str(out)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert any(n.endswith('.png') for n in os.listdir(out))
    count = subprocess.run([sys.executable, os.path.join(REPO, 'sweep.py'), 'count', 'paper'],
                           capture_output=True, text=True, timeout=120)
    assert count.stdout.strip() == '75'
    try:
        published = reference_dir('log1')
    except pytest.skip.Exception:
        return
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'validation',
                                                        'learning_curves.py'), published],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and 'GPi' in proc.stdout, proc.stderr[-2000:]
