"""Shared figure style: printed widths, fonts, colours, captions, saving, the layout check.

Every figure is drawn at the width it would have in a journal: the full
two-column text width (:data:`FULL_WIDTH`, 178 mm) or one column
(:data:`HALF_WIDTH`, 89 mm), in inches, so that a font size here is the
printed size (no text below :data:`SMALL_PT`). Colours are the Okabe-Ito
palette (distinguishable with the common colour-vision deficiencies); where
two curves share a panel they also differ in line style or marker, so the
figures stay readable in greyscale.
"""
import textwrap
from dataclasses import dataclass
from types import MappingProxyType

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt
from matplotlib.patches import Patch
from matplotlib.text import Text

FULL_WIDTH = 7.0              # inches: two-column text width (178 mm)
HALF_WIDTH = 3.5              # inches: one column (89 mm)
DPI = 200                     # 1400 pixels across a full-width figure
SMALL_PT = 7                  # smallest text: ticks, legends, captions
LABEL_PT = 7.5                # axis labels, panel titles
TITLE_PT = 8.5                # the figure title
CAPTION_COLOUR = '0.25'       # the caption line: neutral dark grey
CAPTION_CHARS_PER_INCH = 17   # wrap width of the 7-pt caption line
TITLE_CHARS_PER_INCH = 14     # wrap width of the bold 8.5-pt title
LINE_INCH = SMALL_PT * 1.3 / 72

RC = MappingProxyType({
    'font.size': SMALL_PT, 'axes.titlesize': LABEL_PT, 'axes.labelsize': LABEL_PT,
    'xtick.labelsize': SMALL_PT, 'ytick.labelsize': SMALL_PT, 'legend.fontsize': SMALL_PT,
    'axes.spines.top': False, 'axes.spines.right': False,
    'axes.linewidth': 0.6, 'xtick.major.width': 0.6, 'ytick.major.width': 0.6,
    'xtick.major.size': 2.5, 'ytick.major.size': 2.5, 'lines.linewidth': 1.0,
    'legend.frameon': False, 'legend.handlelength': 2.2, 'axes.titlelocation': 'left',
    'figure.constrained_layout.h_pad': 0.03, 'figure.constrained_layout.w_pad': 0.03,
    'savefig.facecolor': 'white', 'savefig.dpi': 'figure', 'axes.formatter.useoffset': False,
})

# Okabe & Ito (2008), "Color universal design"
OKABE_ITO = MappingProxyType({
    'orange': '#E69F00', 'sky': '#56B4E9', 'green': '#009E73', 'yellow': '#F0E442',
    'blue': '#0072B2', 'vermillion': '#D55E00', 'purple': '#CC79A7', 'black': '#000000'})
CH_COLOUR = MappingProxyType({1: OKABE_ITO['blue'], 2: OKABE_ITO['vermillion']})
CH_STYLE = MappingProxyType({1: '-', 2: '--'})
CH_MARKER = MappingProxyType({1: 'o', 2: '^'})
# conditions compared in one panel: dark and light colours alternate (greyscale)
SERIES = (OKABE_ITO['blue'], OKABE_ITO['orange'], OKABE_ITO['green'], OKABE_ITO['purple'],
          OKABE_ITO['sky'])
KAPPA_COLOUR = MappingProxyType({2: OKABE_ITO['orange'], 4: OKABE_ITO['blue']})
PUBLISHED_COLOUR = '0.55'     # the published runs' band in the validation figure
UNREINFORCED_COLOUR = '0.88'  # background of the episodes that are never reinforced
PHASE_LINE = MappingProxyType({'color': '0.45', 'lw': 0.6, 'ls': (0, (4, 3))})
LEGEND_FILL = 0.97            # a figure legend fills at most this fraction of the width
MANY_POINTS = 40              # fewer episodes than this: each is marked with a dot


@dataclass(frozen=True)
class Output:
    """One figure file: its name, the open figure and its caption.

    Attributes
    ----------
    file : str
        File name in the output folder.
    fig : matplotlib.figure.Figure
        The figure (closed once saved).
    title : str
        What is drawn (also the figure's title).
    source : str
        Which runs, with n per curve.
    missing : str
        What is not drawn and why ('' when nothing is).
    notes : str
        How to read it (grey spans, markers, deliberate differences from the paper).
    """
    file: str
    fig: object
    title: str
    source: str
    missing: str = ''
    notes: str = ''

    def caption(self):
        """The caption: source and n, then notes and what is missing."""
        parts = [self.source.rstrip('.') + '.']
        if self.notes:
            parts.append(self.notes[0].upper() + self.notes[1:].rstrip('.') + '.')
        if self.missing:
            parts.append('Not found: %s.' % self.missing.rstrip('.'))
        return ' '.join(parts)


def subplots(nrows, ncols, width, height, **kw):
    """A figure of the printed ``width`` x ``height`` (inches), constrained layout.

    Returns
    -------
    (Figure, axes)
        As :func:`matplotlib.pyplot.subplots`.
    """
    matplotlib.rcParams.update(RC)
    return plt.subplots(nrows, ncols, figsize=(width, height), dpi=DPI, layout='constrained',
                        **kw)


def figure(width, height):
    """An empty figure of the printed size (for grid specs), constrained layout."""
    matplotlib.rcParams.update(RC)
    return plt.figure(figsize=(width, height), dpi=DPI, layout='constrained')


def figure_legend(fig, handles, loc, ncol, gid):
    """A figure legend of at most ``ncol`` columns, fewer until it fits the figure's width."""
    renderer = fig.canvas.get_renderer()
    while True:
        legend = fig.legend(handles=handles, loc=loc, ncol=ncol, columnspacing=1.5)
        legend.set_gid(gid)
        if ncol == 1 or legend.get_window_extent(renderer).width <= LEGEND_FILL * fig.bbox.width:
            return legend
        legend.remove()
        ncol -= 1


def legend_on_top(fig, handles, ncol=4):
    """One legend for the whole figure, in a strip under the title (see :func:`finish`)."""
    return figure_legend(fig, handles, 'upper left', ncol, 'top')


def legend_below(fig, handles, ncol):
    """One legend for the whole figure, in a strip over the caption (see :func:`finish`)."""
    return figure_legend(fig, handles, 'lower center', ncol, 'bottom')


def finish(fig, file, title, source, missing='', notes=''):
    """Title the figure, put the caption line at its foot, return its :class:`Output`.

    From the top: the title, the legend of :func:`legend_on_top` if any,
    the panels (constrained layout), the legend of :func:`legend_below` if
    any, and the caption line (source, n, notes, what is missing) wrapped
    to the figure's width in neutral grey.
    """
    out = Output(file, fig, title, source, missing, notes)
    width, height = fig.get_size_inches()
    text = textwrap.fill(out.caption(), int(width * CAPTION_CHARS_PER_INCH))
    head_text = textwrap.fill(title, int(width * TITLE_CHARS_PER_INCH))
    foot = ((text.count('\n') + 1) * LINE_INCH + 0.1) / height
    head = ((head_text.count('\n') + 1) * TITLE_PT * 1.3 / 72 + 0.08) / height
    fig.text(0.01, 1 - 0.04 / height, head_text, fontsize=TITLE_PT, weight='bold', ha='left',
             va='top')
    fig.text(0.01, 0.04 / height, text, fontsize=SMALL_PT, color=CAPTION_COLOUR, ha='left',
             va='bottom', linespacing=1.15)
    renderer = fig.canvas.get_renderer()
    for legend in fig.legends:
        legend.set_in_layout(False)
        strip = legend.get_window_extent(renderer).height / fig.dpi / height + 0.02 / height
        if legend.get_gid() == 'bottom':
            legend.set_bbox_to_anchor((0.5, foot), transform=fig.transFigure)
            foot += strip
        else:
            legend.set_bbox_to_anchor((0.005, 1 - head), transform=fig.transFigure)
            head += strip
    fig.get_layout_engine().set(rect=(0, foot, 1, 1 - foot - head))
    return out


def save(out, path):
    """Write an :class:`Output`'s figure as PNG; returns :func:`text_problems` of it.

    The figure is closed afterwards.
    """
    out.fig.savefig(path)
    problems = text_problems(out.fig)
    plt.close(out.fig)
    return problems


def marker(n_points):
    """A dot per point for short series, none for long ones."""
    return '.' if n_points < MANY_POINTS else None


def unreinforced_patch():
    """Legend entry of the grey span of unreinforced episodes."""
    return Patch(color=UNREINFORCED_COLOUR, label='no dopamine (never reinforced)')


def plural(n, word):
    """'1 figure', '2 figures'."""
    return '%d %s%s' % (n, word, '' if n == 1 else 's')


# --------------------------------------------------------------------------
# Layout check: no text overlaps another or leaves the canvas
# --------------------------------------------------------------------------
def drawn_texts(fig):
    """Every text artist the last draw put on the canvas, with non-empty text.

    Tick labels are taken from the ticks actually drawn (those inside the
    view limits: ``Axis._update_ticks`` is what ``draw`` uses); the other
    texts from the artist tree.
    """
    ticks, drawn = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.majorTicks + axis.minorTicks:
                ticks |= {id(tick.label1), id(tick.label2)}
            for tick in axis._update_ticks():
                drawn += [tick.label1, tick.label2]
    texts = [t for t in fig.findobj(Text) if id(t) not in ticks] + drawn
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def text_problems(fig, tolerance=1.0):
    """Texts smaller than SMALL_PT, overlapping another text or leaving the canvas, as last drawn.

    Call it after ``savefig``: the layout is not run again, so what is
    checked is what was written.

    Parameters
    ----------
    fig : Figure
    tolerance : float
        Pixels of overlap or overhang forgiven (anti-aliasing).

    Returns
    -------
    list of str
        One message per problem ('' texts shortened); empty when the layout is clean.
    """
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    boxes = [(t, t.get_window_extent(renderer)) for t in drawn_texts(fig)]
    problems = ['%r is %g pt, below %g pt' % (_short(t), t.get_fontsize(), SMALL_PT)
                for t, _ in boxes if t.get_fontsize() < SMALL_PT]
    for t, b in boxes:
        if (b.x0 < -tolerance or b.y0 < -tolerance or b.x1 > width + tolerance or
                b.y1 > height + tolerance):
            problems.append('%r leaves the canvas' % _short(t))
    for i, (t, b) in enumerate(boxes):
        for u, c in boxes[i + 1:]:
            dx = min(b.x1, c.x1) - max(b.x0, c.x0)
            dy = min(b.y1, c.y1) - max(b.y0, c.y0)
            if dx > tolerance and dy > tolerance:
                problems.append('%r overlaps %r' % (_short(t), _short(u)))
    return problems


def _short(text_artist, n=40):
    """A text artist's string, shortened for messages."""
    s = ' '.join(text_artist.get_text().split())
    return s if len(s) <= n else s[:n - 1] + '…'
