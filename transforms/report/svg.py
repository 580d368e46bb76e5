"""Small inline SVG charts: no JavaScript, no network, readable when printed.

Why hand-written: three chart shapes (hourly bars against a baseline line, daily bars, and
a per-rule sparkline) do not justify a plotting library; the output is deterministic text.
"""

from __future__ import annotations

from html import escape

from transforms.severity import Severity

INCIDENT = "#c0392b"
OTHER = "#95a5a6"
BASELINE = "#2c3e50"
SEVERITY_COLOURS = {Severity.CRITICAL: "#7b1113", Severity.HIGH: "#c0392b", Severity.MEDIUM: "#e67e22",
                    Severity.LOW: "#f1c40f", Severity.INFORMATIONAL: "#7f8c8d"}


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000,
                 100000, 200000, 500000, 1000000):
        if value <= step * 4:
            return float(step * 4)
    return float(value)


def hourly_chart(rows: list[dict], labels: dict[str, str], title: str) -> str:
    """Stacked bars per hour (incident sessions over other activity) and the baseline as a line."""
    width, height, left, bottom, top = 640, 236, 44, 50, 14
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([r["incident_reads"] + r["other_reads"] for r in rows] + [r["baseline_reads"] for r in rows] + [1])
    ymax = _nice_max(peak)
    bar_w = plot_w / 24

    def y(v: float) -> float:
        return top + plot_h - (v / ymax) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):
        v = ymax * i / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{int(v)}</text>')
    for r in rows:
        x = left + r["hour"] * bar_w + 1
        other_top = y(r["other_reads"])
        if r["other_reads"]:
            parts.append(f'<rect x="{x:.1f}" y="{other_top:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{top + plot_h - other_top:.1f}" fill="{OTHER}"/>')
        if r["incident_reads"]:
            inc_top = y(r["other_reads"] + r["incident_reads"])
            parts.append(f'<rect x="{x:.1f}" y="{inc_top:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{other_top - inc_top:.1f}" fill="{INCIDENT}"/>')
        if r["hour"] % 3 == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 13}" font-size="10" '
                         f'text-anchor="middle">{r["hour"]:02d}h</text>')
    # the usual profile is drawn on the chart's scale; beside a big extraction it hugs the axis,
    # so the legend also says how much it is (reads per usual day) and the line is drawn on top
    points = " ".join(f"{left + (r['hour'] + 0.5) * bar_w:.1f},{min(y(r['baseline_reads']), top + plot_h - 1.5):.1f}"
                      for r in rows)
    parts.append(f'<polyline points="{points}" fill="none" stroke="{BASELINE}" stroke-width="2" '
                 'stroke-dasharray="5,3"/>')
    usual = sum(r["baseline_reads"] for r in rows)
    today = sum(r["incident_reads"] + r["other_reads"] for r in rows)
    baseline_label = labels["legend_baseline"] + labels["legend_baseline_values"].format(
        usual=_short(usual), today=_short(today))
    parts.append(_legend([(INCIDENT, labels["legend_incident"]), (OTHER, labels["legend_other"])], left, height - 16))
    parts.append(_legend([(BASELINE, baseline_label)], left, height - 3))
    parts.append("</svg>")
    return "".join(parts)


def daily_chart(rows: list[dict], day_key: str, value_key: str, title: str, highlight: str | None = None,
                no_data: str = "no data") -> str:
    """Bars per day (the last one, or `highlight`, in the incident colour); a None value (a day
    before the lake's first) is drawn as an empty dashed slot, not as a zero bar."""
    width, height, left, bottom, top = 640, 150, 44, 22, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    ymax = _nice_max(max([r[value_key] or 0 for r in rows] + [1]))
    bar_w = plot_w / max(len(rows), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
             f"<title>{escape(title)}</title>"]
    for i in range(3):
        v = ymax * i / 2
        yy = top + plot_h - (v / ymax) * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{yy + 4:.1f}" font-size="10" text-anchor="end">{int(v)}</text>')
    last = highlight or (str(rows[-1][day_key]) if rows else None)
    for i, r in enumerate(rows):
        x = left + i * bar_w + 2
        if r[value_key] is None:  # before the lake's first day: no data, not zero
            parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w - 4:.1f}" height="{plot_h:.1f}" '
                         f'fill="#f4f5f7" stroke="#ddd" stroke-dasharray="2,2"><title>{escape(str(r[day_key]))}: '
                         f'{escape(no_data)}</title></rect>')
            parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{top + plot_h / 2 + 3:.1f}" font-size="9" '
                         f'fill="#999" text-anchor="middle">–</text>')
        h = ((r[value_key] or 0) / ymax) * plot_h
        colour = INCIDENT if str(r[day_key]) == last else OTHER
        if r[value_key]:
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 4:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(str(r[day_key]))}: '
                         f'{r[value_key]}</title></rect>')
        parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{height - 8}" font-size="9" '
                     f'text-anchor="middle">{escape(str(r[day_key])[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: list[int], colour: str = INCIDENT) -> str:
    """A 14-bar sparkline for a table cell."""
    width, height = 140, 24
    peak = max(values + [1])
    bar_w = width / max(len(values), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" class="spark">']
    for i, v in enumerate(values):
        h = max((v / peak) * (height - 2), 1 if v else 0)
        if h:
            parts.append(f'<rect x="{i * bar_w + 1:.1f}" y="{height - h:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
    parts.append(f'<line x1="0" x2="{width}" y1="{height - 0.5}" y2="{height - 0.5}" stroke="#ccc"/>')
    parts.append("</svg>")
    return "".join(parts)


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def _legend(items: list[tuple[str, str]], x: float, y: float) -> str:
    out = []
    for colour, text in items:
        out.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="8" fill="{colour}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{y - 1:.1f}" font-size="10">{escape(text)}</text>')
        x += 22 + 5.6 * len(text)
    return "".join(out)
