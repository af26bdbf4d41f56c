"""figures/plots.py: the HTML page of a study, malformed run folders and refused options.

The page must parse, reference only images that exist beside it, and show
for a condition with published runs beside ours the table that
validation/learning_curves.py computes for the same runs.
"""
import json
import os
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest
from test_figures import (
    REF_LOGS,
    assert_clean_layout,
    make_small_root,
    put_log,
    reference_root,
    run_main,
    skip_lines,
)

import comparison
import fetch_params as fp  # noqa: E402  (tests/conftest puts the repository on sys.path)
import page
from run_folder import RunFolder


class PageParser(HTMLParser):
    """Images, links, table rows and captions of a page."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.rows, self.captions = [], [], [], []
        self._row = self._cell = self._caption = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'img':
            self.images.append(attrs.get('src'))
        elif tag == 'a':
            self.links.append(attrs.get('href'))
        elif tag == 'tr':
            self._row = []
        elif tag in ('td', 'th'):
            self._cell = ''
        elif tag == 'figcaption':
            self._caption = ''

    def handle_endtag(self, tag):
        if tag in ('td', 'th'):
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == 'tr':
            self.rows.append(self._row)
        elif tag == 'figcaption':
            self.captions.append(self._caption)
            self._caption = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._caption is not None:
            self._caption += data


def parse_page(path):
    """A PageParser fed with the page at ``path``."""
    parser = PageParser()
    with open(path, encoding='utf-8') as fh:
        parser.feed(fh.read())
    parser.close()
    return parser


def own_like_log(root, log, source, factor):
    """A log of 'this package' (a run.json with the paper's protocol) made of published rates."""
    path = put_log(root, (4, 0.2, 1, 'normal'), log, source, factor=factor)
    sim = dict(fp.read_paper_protocol(), condition='normal')
    meta = {'mode': 'plasticity', 'status': 'finished', 'simParams': sim,
            'bgParams': {'syn_asymm': 4.0, 'overlap_d1d2': 0.2, 'MSND2_mod': 1.0}}
    with open(os.path.join(path, 'run.json'), 'w') as fh:
        json.dump(meta, fh)
    return path


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    """A data root: the 5 published logs and 2 logs of ours (one within the band, one not)."""
    root = tmp_path_factory.mktemp('study')
    cond = root / 'run4_k_4_l_02_m_1'
    cond.mkdir()
    ref = os.path.join(reference_root(), 'run4_k_4_l_02_m_1')
    for log in REF_LOGS:
        os.symlink(os.path.join(ref, log), cond / log)
    own_like_log(str(root), 'log8', os.path.join(ref, 'log1'), 1.02)
    own_like_log(str(root), 'log9', os.path.join(ref, 'log2'), 1.6)
    return str(root)


# --------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------
def test_page_shows_every_figure_and_the_learning_curves_table(study, tmp_path, capsys):
    out = tmp_path / 'figs'
    status, text = run_main(['--data', study, '--out', out, '--only', '3C', '3D', '4A',
                             'validation'], capsys)
    assert status == 0, text
    assert_clean_layout(text)
    html_path = out / page.PAGE
    assert 'page: %s' % html_path in text
    parsed = parse_page(html_path)
    made = sorted(f for f in os.listdir(out) if f.endswith('.png'))
    # every figure made is shown, from a relative path that exists beside the page
    assert sorted(parsed.images) == made == ['Figure_3_C.png', 'Figure_3_D.png',
                                             'Validation.png']
    for src in parsed.images:
        assert '/' not in src and ':' not in src and (out / src).is_file()
    assert all(link.startswith('#') for link in parsed.links)
    with open(html_path, encoding='utf-8') as fh:
        source = fh.read()
    assert 'http://' not in source and 'https://' not in source
    # each figure has a caption naming its data and n; the skipped 4A is listed with why
    assert len(parsed.captions) == 3
    assert all('n=' in c for c in parsed.captions if 'Figure 3D' not in c)
    assert 'run4_k_4_l_002_m_1/log*' in source
    # the table: learning_curves.table's cells, plus a z-score per channel
    runs = {os.path.basename(p): RunFolder(os.path.join(study, 'run4_k_4_l_02_m_1', p))
            for p in os.listdir(os.path.join(study, 'run4_k_4_l_02_m_1'))}
    ours = [runs['log8'], runs['log9']]
    published = [runs[log] for log in REF_LOGS]
    expected = [page.markdown_cells(line) for line in comparison.table(ours, published)]
    del expected[1]                              # the markdown separator row
    assert [row[:-1] for row in parsed.rows] == expected
    assert parsed.rows[0][-1] == 'z ch1 / ch2'
    verdicts = [row[-2] for row in parsed.rows[1:]]
    zs = [[float(z) for z in row[-1].split(' / ')] for row in parsed.rows[1:]]
    assert len(zs) == 12
    for verdict, z in zip(verdicts, zs):
        for v, zc in zip(verdict.split(' / '), z):
            assert (v == 'yes') == (abs(zc) <= comparison.N_SD), (verdict, z)
            if v != 'yes':
                assert v == 'NO (%.1f sd)' % abs(zc)
    assert any('NO' in v for v in verdicts) and any('yes' in v for v in verdicts)
    assert comparison.reward_line(ours, published) in source.replace('&#x27;', "'")


def test_page_without_published_runs_has_no_table(tmp_path, capsys):
    """Only published runs: figures and captions, no comparison section."""
    out = tmp_path / 'figs'
    status, text = run_main(['--data', reference_root(), '--out', out, '--only', '3D', '4A'],
                            capsys)
    assert status == 0
    parsed = parse_page(out / page.PAGE)
    assert parsed.images == ['Figure_3_D.png'] and parsed.rows == []
    with open(out / page.PAGE, encoding='utf-8') as fh:
        source = fh.read()
    assert '<h2>Not made</h2>' in source and '<b>4A</b>' in source


# --------------------------------------------------------------------------
# a malformed run folder is left out; every other figure is made
# --------------------------------------------------------------------------
def corrupt(path, line_number, text):
    """Replace line ``line_number`` (1-based) of a file with ``text``."""
    with open(path) as fh:
        lines = fh.readlines()
    lines[line_number - 1] = text + '\n'
    with open(path, 'w') as fh:
        fh.writelines(lines)


def test_malformed_rate_rows_leave_out_their_run(tmp_path, capsys):
    root = make_small_root(str(tmp_path / 'data'))
    short = os.path.join(root, 'run4_k_2_l_002_m_1', 'log0', 'GPi_fr.txt')
    text = os.path.join(root, 'run4_k_4_l_02_m_1_p_no_conv', 'log1', 'MSN_d1_fr.txt')
    corrupt(short, 5, '1.0 2.0 3.0')
    corrupt(text, 7, '0.1 0.2 nan? 0.4 0.5')
    status, out = run_main(['--data', root, '--out', tmp_path / 'figs', '--only', '4D', '5A',
                            '8B', '3D'], capsys)
    assert status == 0, out
    assert ('note: %s left out: %s line 5: 3 values where the rows above have 5'
            % (os.path.dirname(short), short)) in out
    assert ("note: %s left out: %s line 7: not a number in '0.1 0.2 nan? 0.4 0.5'"
            % (os.path.dirname(text), text)) in out
    assert skip_lines(out) == {}
    assert 'Traceback' not in out
    assert 'summary: made 4 figures' in out
    # the corrupted κ 2 log is not among the drawn ones
    assert 'run4_k_2_l_002_m_1/log1 (n=1)' in open(tmp_path / 'figs' / page.PAGE).read()


def test_malformed_run_named_on_the_command_line_is_refused(tmp_path, capsys):
    run = tmp_path / 'run4_k_4_l_02_m_1' / 'log1'
    shutil.copytree(os.path.join(reference_root(), 'run4_k_4_l_02_m_1', 'log1'), run)
    corrupt(run / 'MSN_d2_fr.txt', 3, 'oops')
    status, err = refused(['--run', run, '--out', tmp_path / 'figs'], capsys)
    assert status == 2
    assert err.startswith('plots.py: error: --run %s: %s line 3: not a number' % (
        run, run / 'MSN_d2_fr.txt'))
    assert not (tmp_path / 'figs' / page.PAGE).exists()


def test_damaged_run_json_under_a_data_root_is_named(study, tmp_path, capsys):
    root = tmp_path / 'data'
    shutil.copytree(study, root, symlinks=True)
    with open(root / 'run4_k_4_l_02_m_1' / 'log9' / 'run.json', 'w') as fh:
        fh.write('{"mode": "plas')
    status, err = refused(['--data', root, '--out', tmp_path / 'figs'], capsys)
    assert status == 2
    assert '%s is unreadable' % (root / 'run4_k_4_l_02_m_1' / 'log9' / 'run.json') in err


# --------------------------------------------------------------------------
# refused options: exit 2, one line naming the option, the value and what is allowed
# --------------------------------------------------------------------------
def refused(args, capsys):
    """(status, the one stderr line) of plots.main(args)."""
    status = plots_main(args)
    err = capsys.readouterr().err
    assert err.count('\n') == 1, err
    return status, err.strip()


def plots_main(args):
    """plots.main with string arguments."""
    import plots
    return plots.main([str(a) for a in args])


def test_out_that_cannot_be_used_is_refused(tmp_path, capsys):
    afile = tmp_path / 'afile'
    afile.write_text('x')
    status, err = refused(['--only', '3D', '--out', afile], capsys)
    assert status == 2
    assert err == ('plots.py: error: --out %s: is a file, not a folder; give a folder that '
                   'exists or can be created, and that you can write to' % afile)
    status, err = refused(['--only', '3D', '--out', afile / 'sub'], capsys)
    assert status == 2
    assert err.startswith('plots.py: error: --out %s: cannot be created (' % (afile / 'sub'))
    assert err.endswith('give a folder that exists or can be created, and that you can '
                        'write to')
    if os.geteuid() != 0:                        # root may write anywhere
        locked = tmp_path / 'locked'
        locked.mkdir(mode=0o555)
        status, err = refused(['--only', '3D', '--out', locked], capsys)
        assert status == 2 and 'is not writable' in err


def test_data_that_is_not_a_folder_is_refused(tmp_path, capsys):
    afile = tmp_path / 'afile'
    afile.write_text('x')
    for path, why in ((tmp_path / 'nope', 'no such folder'), (afile, 'is a file, not a folder')):
        status, err = refused(['--data', path, '--out', tmp_path / 'figs'], capsys)
        assert status == 2
        assert err == ('plots.py: error: --data %s: %s; give a folder holding '
                       'run4_k_*_l_*_m_*/log* folders' % (path, why))
    assert not (tmp_path / 'figs').exists()


def test_run_that_is_not_a_folder_is_refused(tmp_path, capsys):
    status, err = refused(['--run', tmp_path / 'nope', '--out', tmp_path], capsys)
    assert status == 2
    assert err == ('plots.py: error: --run %s: no such folder; give a run folder written by '
                   'stim_all_model.py' % (tmp_path / 'nope'))
    long_name = tmp_path / ('x' * 250)
    status, err = refused(['--as-run', long_name, '--out', tmp_path], capsys)
    # the message shortens the path and gives its length (which depends on pytest's tmp folder)
    assert status == 2 and len(err) < 400
    assert '... (%d characters): no such folder' % len(str(long_name)) in err


def test_z_scores_follow_the_band(study):
    """z of a run equal to the published mean is 0 in every window."""
    cond = os.path.join(study, 'run4_k_4_l_02_m_1')
    published = [RunFolder(os.path.join(cond, log)) for log in REF_LOGS]
    rows = page.z_scores([published[0]], published)
    assert len(rows) == 12 and np.all(np.isfinite(rows))
