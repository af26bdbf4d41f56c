"""One HTML page per study: every figure made, with its caption, and the window tables.

The page (``index.html`` in the output folder) is self-contained: the PNG
files beside it, relative links, inline style, nothing fetched from a
network. For every condition folder holding both published runs and runs of
this package, it shows the comparison of ``validation/learning_curves.py``
(window means ours vs published, docs/model.md §10.2) with a z-score per
channel: the distance of our mean from the published mean, in the
published runs' floored sd.
"""
import html
import os

import comparison
from selection import is_own

PAGE = 'index.html'
CSS = """
body { font-family: Helvetica, Arial, sans-serif; max-width: 60em; margin: 1.5em auto;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
figure { margin: 1.5em 0 2.5em; } figure img { width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #333; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: right; }
th { background: #f2f2f2; } td.text { text-align: left; }
td.no { font-weight: bold; } .muted { color: #555; } code { font-size: 0.95em; }
"""


def condition_groups(inp):
    """[(condition folder, ours, published)] for the folders holding both kinds of run."""
    out = []
    for folder, runs in sorted(inp.runs.items()):
        ours = [r for r in runs if is_own(r) and r.mode == 'plasticity']
        published = [r for r in runs if not is_own(r)]
        if ours and published:
            out.append((folder, ours, published))
    return out


def markdown_cells(line):
    """The cells of one markdown table row."""
    return [c.strip() for c in line.strip().strip('|').split('|')]


def z_scores(ours, published):
    """One (z ch1, z ch2) per row of ``comparison.table``, in its row order.

    z = (our mean − published mean) / sd, the sd floored as
    ``comparison.band`` floors it (the sd its verdict uses).
    """
    out = []
    for _, _, o, ref in comparison.rows(ours, published):
        z = []
        for ch in (0, 1):
            mean, sd = comparison.band(ref[:, ch])
            z.append((o[:, ch].mean() - mean) / sd)
        out.append(tuple(z))
    return out


def unscorable(ours, published):
    """Why learning_curves cannot score these runs ('' when it can).

    Each run of ours needs every comparison window inside its protocol, and
    each published run every window written (an unfinished one is left out
    by :func:`comparison`).
    """
    for run in ours:
        wins = comparison.windows(run)
        if any(lo < 0 or hi <= lo or hi > run.n_total for lo, hi in wins):
            return ('the protocol of %s (%d episodes) is shorter than the comparison windows '
                    'of validation/learning_curves.py (%s)' % (
                        run.short_name(), run.n_total, ', '.join('%d-%d' % w for w in wins)))
    if not published:
        return 'no published run has every comparison window written'
    return ''


def condition_section(folder, ours, runs):
    """HTML of one condition: the learning_curves table with z-scores, or why there is none."""
    published = [r for r in runs if r.n_episodes >= r.n_total]
    head = '<h3>%s: %d of ours against %d published</h3>\n' % (
        html.escape(folder), len(ours), len(published))
    if len(published) < len(runs):
        head += '<p class="muted">Left out, unfinished: %s.</p>\n' % html.escape(', '.join(
            r.short_name() for r in runs if r not in published))
    why = unscorable(ours, published)
    if why:
        return head + '<p class="muted">No table: %s.</p>\n' % html.escape(why)
    try:
        lines = comparison.table(ours, published)
    except ValueError as err:
        return head + '<p class="muted">No table: %s</p>\n' % html.escape(str(err))
    header = markdown_cells(lines[0]) + ['z ch1 / ch2']
    body = []
    for line, z in zip(lines[2:], z_scores(ours, published)):
        cells = markdown_cells(line)
        verdict = cells[-1]
        tds = ['<td class="text">%s</td>' % html.escape(c) for c in cells[:2]]
        tds += ['<td>%s</td>' % html.escape(c) for c in cells[2:-1]]
        tds.append('<td class="%s">%s</td>' % ('no' if 'NO' in verdict else 'yes',
                                              html.escape(verdict)))
        tds.append('<td>%+.1f / %+.1f</td>' % z)
        body.append('<tr>%s</tr>' % ''.join(tds))
    text = head + '<table>\n<tr>%s</tr>\n%s\n</table>\n' % (
        ''.join('<th>%s</th>' % html.escape(h) for h in header), '\n'.join(body))
    text += ('<p class="muted">A window passes when our mean lies within %g sd of the '
             'published mean, the sd taken as at least %s of the mean or %g Hz '
             '(<code>validation/learning_curves.py</code>).' % (
                 comparison.N_SD, format(comparison.SD_FLOOR[0], '.0%'), comparison.SD_FLOOR[1]))
    if all(r.n_episodes >= r.n_total for r in ours):
        text += ' %s' % html.escape(comparison.reward_line(ours, published))
    return text + '</p>\n'


def link_labels(outputs):
    """Short link texts: the title up to its first sentence, whole where that repeats."""
    short = [o.title.split('. ')[0].split(':')[0] for o in outputs]
    return [s if short.count(s) == 1 else o.title for s, o in zip(short, outputs)]


def figure_html(out):
    """A figure with its caption."""
    return ('<figure id="%s">\n<img src="%s" alt="%s">\n<figcaption><b>%s.</b> %s'
            '</figcaption>\n</figure>\n' % (
                html.escape(os.path.splitext(out.file)[0]), html.escape(out.file),
                html.escape(out.title), html.escape(out.title), html.escape(out.caption())))


def write_page(folder, inp, made, skipped, command):
    """Write ``index.html`` into ``folder``; returns its path.

    Parameters
    ----------
    folder : str
        The output folder (the PNG files are there).
    inp : selection.Inputs
    made : dict
        {figure name: [style.Output]} in the order made.
    skipped : dict
        {figure name: why}.
    command : str
        The command line, shown on the page.
    """
    outputs = [o for outs in made.values() for o in outs]
    sources = list(inp.roots) + ['--%s %s' % (k, r.path) for k, r in
                                 (('run', inp.run), ('as-run', inp.as_run)) if r is not None]
    parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
             '<title>Figures: %s</title>\n<style>%s</style>\n</head>\n<body>\n' % (
                 html.escape(', '.join(sources)), CSS),
             '<h1>Basal-ganglia model with dopamine-modulated STDP: figures</h1>\n',
             '<p>Made by <code>%s</code> from %s. %d figure file%s; %d figure%s not made '
             '(listed at the end).</p>\n' % (
                 html.escape(command), ', '.join('<code>%s</code>' % html.escape(s)
                                                 for s in sources),
                 len(outputs), '' if len(outputs) == 1 else 's', len(skipped),
                 '' if len(skipped) == 1 else 's')]
    if outputs:
        parts.append('<p>%s</p>\n' % ' · '.join(
            '<a href="#%s">%s</a>' % (html.escape(os.path.splitext(o.file)[0]), html.escape(label))
            for o, label in zip(outputs, link_labels(outputs))))
    groups = condition_groups(inp)
    if groups:
        parts.append('<h2>Window means: ours against the published runs</h2>\n')
        parts += [condition_section(*g) for g in groups]
    parts.append('<h2>Figures</h2>\n')
    parts += [figure_html(o) for o in outputs] or ['<p>No figure was made.</p>\n']
    if skipped:
        parts.append('<h2>Not made</h2>\n<ul>\n%s</ul>\n' % ''.join(
            '<li><b>%s</b>: %s</li>\n' % (html.escape(k), html.escape(v))
            for k, v in skipped.items()))
    parts.append('</body>\n</html>\n')
    path = os.path.join(folder, PAGE)
    with open(path, 'w', encoding='utf-8') as fh:
        fh.write(''.join(parts))
    return path
