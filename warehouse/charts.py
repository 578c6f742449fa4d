"""Charts of the annual overview as inline SVG, drawn by matplotlib offline (no CDN, no script).

Text stays text in the SVG (``svg.fonttype = none``): the browser draws the Chinese labels with
its own fonts, and matplotlib measures them with a CJK font when one is installed.
"""
from __future__ import annotations

import io
from contextlib import contextmanager

# the results of table 三 in the template's order, with one colour each
RESULT_COLOURS = {"予以公开": "#2e7d32", "部分公开": "#9ccc65", "不予公开": "#c62828", "无法提供": "#ef6c00",
                  "不予处理": "#8e24aa", "其他处理": "#78909c"}
_STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei",
                        "DejaVu Sans"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "xxgk",  # the same chart gives the same SVG: pages can be compared between runs
}


@contextmanager
def _figure(rows: int, width: float = 8.0):
    # matplotlib (~1 s) where a chart is drawn, not with the module: the overview's asset imports it
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(_STYLE):
        fig = Figure(figsize=(width, max(1.6, 0.55 + 0.32 * rows)), layout="constrained")
        yield fig


def _svg(fig) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prolog or DOCTYPE


def horizontal_bars(labels: list[str], values: list[float], xlabel: str, colour: str = "#1565c0") -> str:
    """One bar per label, largest on top, each with its value."""
    with _figure(len(labels)) as fig:
        ax = fig.add_subplot()
        ys = range(len(labels))[::-1]
        bars = ax.barh(list(ys), values, color=colour)
        ax.set_yticks(list(ys), labels)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], padding=3)
        ax.set_xlabel(xlabel)
        ax.margins(x=0.12)
        return _svg(fig)


def result_mix(labels: list[str], series: dict[str, list[float]]) -> str:
    """Each agency's results as shares of its total, stacked in the template's order."""
    with _figure(len(labels) + 1) as fig:
        ax = fig.add_subplot()
        ys = list(range(len(labels)))[::-1]
        totals = [sum(s[i] for s in series.values()) or 1 for i in range(len(labels))]
        left = [0.0] * len(labels)
        for name, values in series.items():
            shares = [100 * v / t for v, t in zip(values, totals)]
            ax.barh(ys, shares, left=left, color=RESULT_COLOURS.get(name), label=name)
            left = [a + b for a, b in zip(left, shares)]
        ax.set_yticks(ys, labels)
        ax.set_xlim(0, 100)
        ax.set_xlabel("占办理结果总数 %")
        ax.legend(ncols=len(series), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=9)
        return _svg(fig)


def change_bars(labels: list[str], before: list[float], after: list[float], years: tuple[int, int]) -> str:
    """Two bars per label: the year before and the year."""
    with _figure(2 * len(labels)) as fig:
        ax = fig.add_subplot()
        ys = [2.6 * i for i in range(len(labels))][::-1]
        a = ax.barh([y + 0.5 for y in ys], before, height=1.0, color="#90a4ae", label=str(years[0]))
        b = ax.barh([y - 0.5 for y in ys], after, height=1.0, color="#1565c0", label=str(years[1]))
        ax.bar_label(a, labels=[f"{v:,.0f}" for v in before], padding=3, fontsize=8)
        ax.bar_label(b, labels=[f"{v:,.0f}" for v in after], padding=3, fontsize=8)
        ax.set_yticks(ys, labels)
        ax.margins(x=0.15)
        ax.legend(frameon=False)
        return _svg(fig)
