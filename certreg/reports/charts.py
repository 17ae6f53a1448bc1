"""Charts as server-rendered SVG geometry (pure Python; ``templates/reports/_charts.html`` draws them).

No JavaScript and no style attributes (the CSP forbids inline styles): shapes carry CSS
classes (``series-0`` ...) coloured by ``static/css/app.css``. Every chart also has a data
table, for screen readers and for anyone who wants the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
Formatter = Callable[[Decimal], str]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str  # shown on hover: "2025 — Annex C: 12.3"


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    id: str
    title: str
    unit: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    x_labels: list[Label] = field(default_factory=list)
    y_labels: list[Label] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)
    baseline: float = 0.0
    plot_left: float = 0.0
    plot_right: float = 0.0
    legend: list[tuple[int, str]] = field(default_factory=list)
    table_head: list[str] = field(default_factory=list)
    table_rows: list[list[str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rects


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round tick step (1, 2 or 5 × 10^n) giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    exponent = raw.adjusted()
    base = Decimal(1).scaleb(exponent)
    for factor in (1, 2, 5, 10):
        step = base * factor
        if step >= raw:
            return step
    return base * 10


def _scale(low: Decimal, high: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    step = nice_step(high - low if high > low else max(abs(high), abs(low), Decimal(1)))
    top = (high / step).to_integral_value(rounding="ROUND_CEILING") * step if high > 0 else ZERO
    bottom = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step if low < 0 else ZERO
    if top == bottom:
        top = bottom + step
    return bottom, top, step


def stacked_columns(chart_id: str, title: str, unit: str, categories: Sequence[str],
                    series: Sequence[tuple[str, Sequence[Decimal], int]], fmt: Formatter, *, width: int = 560,
                    height: int = 300) -> Chart:
    """One column per category, each series ``(name, values, colour)`` stacked (positives up, negatives down)."""
    left, right, top_pad, bottom_pad = 78, 8, 14, 34
    chart = Chart(chart_id, title, unit, width, height, plot_left=left, plot_right=width - right)
    highs = [sum((max(values[i], ZERO) for _n, values, _c in series), ZERO) for i in range(len(categories))]
    lows = [sum((min(values[i], ZERO) for _n, values, _c in series), ZERO) for i in range(len(categories))]
    low, high, step = _scale(min(lows, default=ZERO), max(highs, default=ZERO))
    plot_h = height - top_pad - bottom_pad

    def y_of(value: Decimal) -> float:
        return top_pad + float((high - value) / (high - low)) * plot_h

    chart.baseline = y_of(ZERO)
    tick = low
    while tick <= high:
        chart.grid.append(y_of(tick))
        chart.y_labels.append(Label(left - 6, y_of(tick) + 5, fmt(tick), "end"))
        tick += step
    slot = (width - left - right) / max(len(categories), 1)
    bar_w = max(4.0, slot * 0.6)
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        chart.x_labels.append(Label(left + slot * i + slot / 2, height - 10, category))
        up, down = ZERO, ZERO
        for name, values, colour in series:
            value = values[i]
            if not value:
                continue
            if value > 0:
                y0, y1 = y_of(up + value), y_of(up)
                up += value
            else:
                y0, y1 = y_of(down), y_of(down + value)
                down += value
            chart.rects.append(Rect(round(x, 1), round(y0, 1), round(bar_w, 1), round(max(y1 - y0, 1.0), 1), colour,
                                    f"{category} — {name}: {fmt(value)} {unit}"))
    chart.legend = [(colour, name) for name, _values, colour in series]
    chart.table_head = ["", *(name for name, _values, _c in series)]
    chart.table_rows = [[category, *(fmt(values[i]) for _n, values, _c in series)]
                        for i, category in enumerate(categories)]
    return chart


def horizontal_bars(chart_id: str, title: str, unit: str, items: Sequence[tuple[str, Decimal, int]], fmt: Formatter,
                    *, width: int = 560, bar_height: int = 30) -> Chart:
    """One bar per item ``(label, value, colour)``, in the order given."""
    left, right, top_pad = 120, 90, 6
    height = top_pad * 2 + bar_height * max(len(items), 1)
    chart = Chart(chart_id, title, unit, width, height, plot_left=left, plot_right=width - right)
    high = max((v for _l, v, _s in items), default=ZERO)
    _low, top, _step = _scale(ZERO, high)
    span = width - left - right
    for i, (label, value, series) in enumerate(items):
        y = top_pad + i * bar_height
        w = float(max(value, ZERO) / top) * span if top else 0.0
        chart.rects.append(Rect(left, y + 3, round(max(w, 1.0), 1), bar_height - 6, series,
                                f"{label}: {fmt(value)} {unit}"))
        chart.y_labels.append(Label(left - 6, y + bar_height / 2 + 5, label, "end"))
        chart.x_labels.append(Label(left + max(w, 1.0) + 4, y + bar_height / 2 + 5, fmt(value), "start"))
    chart.table_head = ["", unit]
    chart.table_rows = [[label, fmt(value)] for label, value, _s in items]
    return chart
