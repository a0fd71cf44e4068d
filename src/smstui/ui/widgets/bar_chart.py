"""A bar chart over time with labelled axes, drawn with block characters (any UTF-8 terminal).

Eighth blocks (▁▂▃▄▅▆▇█) read the same over SSH, in tmux and under NO_COLOR: the height is the
shape, not a colour. The series is coarsened to the width the chart has, so a resize re-buckets
instead of cutting bars off.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.markup import escape
from textual.widgets import Static

from smstui.breakdown import Bucket, Series

BLOCKS = " ▁▂▃▄▅▆▇█"
MAX_BAR_W = 3  # wider bars read as blocks, not a trend


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above value (an axis maximum people can read)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def chart_lines(
    values: Sequence[float | None],
    *,
    width: int,
    height: int,
    y_max: float,
    y_text: Callable[[float], str],
    x_labels: Sequence[str],
    mark_zero: bool = False,
    x_days: Sequence[str] = (),
) -> list[str]:
    """Rows of plain text: bars with a y axis (top, middle, 0) and an x axis with time ticks.

    `values[i]` is None where a bucket has no data (drawn empty); `mark_zero` draws a measured
    0 as a sliver so it differs from no data. `x_labels[i]` names bucket i's start and
    `x_days[i]` its day: when the buckets span more than one day, the first tick and every
    tick on a new day carry the day ("11-20 23:00", then "00:00"… "11-21 06:00").
    """
    plot_rows = max(1, height - 2)
    marks = {plot_rows - 1: y_max}
    if plot_rows >= 3:
        k = max(0, round(plot_rows / 2) - 1)
        marks[k] = y_max * (k + 1) / plot_rows
    labels = {k: y_text(v) for k, v in marks.items()}
    zero = y_text(0)
    pad = max(len(t) for t in [*labels.values(), zero])
    plot_w = max(1, width - pad - 2)
    n = max(1, len(values))
    col_w = max(1, min(MAX_BAR_W, plot_w // n))
    bar_w = col_w - 1 if col_w > 1 else 1
    eighths = []
    for v in values[: plot_w // col_w]:
        if v is None:
            eighths.append(0)
        else:
            e = round(max(0.0, min(v, y_max)) / y_max * plot_rows * 8) if y_max > 0 else 0
            eighths.append(max(e, 1) if mark_zero else e)
    rows = []
    for r in range(plot_rows):
        k = plot_rows - 1 - r  # rows counted from the bottom
        cells = []
        for e in eighths:
            fill = min(8, max(0, e - k * 8))
            cells.append(BLOCKS[fill] * bar_w + " " * (col_w - bar_w))
        axis = "┤" if k in labels else "│"
        rows.append(f"{labels.get(k, '').rjust(pad)} {axis}{''.join(cells)}".rstrip())
    ticks, tick_line, used_to = [], ["─"] * plot_w, -1
    dated = len(set(x_days[: len(eighths)])) > 1
    last_day = None
    for i, text in enumerate(x_labels[: len(eighths)]):
        col = i * col_w
        day = x_days[i] if dated else None
        if day is not None and day != last_day:
            text = f"{day} {text}"
        if col <= used_to or col + len(text) > plot_w:
            continue
        tick_line[col] = "┬"
        ticks.append((col, text))
        used_to = col + len(text) + 1
        last_day = day
    rows.append(f"{zero.rjust(pad)} ┼{''.join(tick_line)}")
    label_row = [" "] * plot_w
    for col, text in ticks:
        label_row[col : col + len(text)] = list(text)
    rows.append(" " * (pad + 2) + "".join(label_row).rstrip())
    return rows


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """What one chart plots from a series, and how its axes are labelled."""

    title: Callable[[int], str]  # bucket seconds → border title ("Sent per 5 min")
    value: Callable[[Bucket], float | None]
    y_text: Callable[[float], str]
    x_text: Callable[[float, int], str]  # bucket start, bucket seconds → tick label
    x_title: str  # the x axis's name, shown under the chart
    y_max: float | None = None  # None: a nice ceiling of the largest value
    mark_zero: bool = False
    x_day: Callable[[float, int], str] | None = None  # bucket start, seconds → its day ('')


class BarChart(Static):
    """One bar chart of a send-time series; re-drawn to fit whenever its size changes."""

    def __init__(self, spec: ChartSpec, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.spec = spec
        self.series: Series | None = None
        self.lines: list[str] = []  # the plain text last drawn (tests read it)

    def show(self, series: Series) -> None:
        """Plot this series (coarsened to the chart's width when drawn)."""
        self.series = series
        self._draw()

    def on_resize(self) -> None:
        """Re-bucket for the new width."""
        self._draw()

    def _fit(self, series: Series, bars: int) -> tuple[Series, list[float | None], float]:
        """The series in at most `bars` buckets, its values and the axis maximum."""
        coarse = series.coarsen(max(1, bars))
        values = [self.spec.value(b) for b in coarse.buckets]
        measured = [v for v in values if v is not None]
        return coarse, values, self.spec.y_max or nice_ceiling(max(measured, default=0.0))

    def _draw(self) -> None:
        series, spec = self.series, self.spec
        width, height = self.content_size.width, self.content_size.height
        if series is None or width <= 0 or height <= 0:
            return
        self.border_subtitle = spec.x_title
        if not series.buckets:
            self.border_title = spec.title(series.bucket_s)
            self.lines = ["no messages with a send time"]
            self.update(self.lines[0])
            return
        # The y labels' width depends on the axis maximum, which depends on the bucketing:
        # bucket for a guess, then once more if the real labels leave fewer columns.
        coarse, values, y_max = self._fit(series, width - len(spec.y_text(0.0)) - 3)
        pad = max(len(spec.y_text(v)) for v in (0.0, y_max, y_max / 3, y_max * 2 / 3))
        if len(coarse.buckets) > width - pad - 2:
            coarse, values, y_max = self._fit(series, width - pad - 2)
        self.border_title = spec.title(coarse.bucket_s)
        self.lines = chart_lines(
            values,
            width=width,
            height=height,
            y_max=y_max,
            y_text=spec.y_text,
            x_labels=[spec.x_text(b.start, coarse.bucket_s) for b in coarse.buckets],
            mark_zero=spec.mark_zero,
            x_days=[spec.x_day(b.start, coarse.bucket_s) for b in coarse.buckets]
            if spec.x_day is not None
            else (),
        )
        self.update("\n".join(escape(line) for line in self.lines))
