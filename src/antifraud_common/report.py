"""A self-contained HTML report of the receiver state, for people who would rather look.

:func:`render_report` draws one HTML page: no script, no network, no external
asset (inline CSS and SVG charts drawn here; a Content-Security-Policy that
allows nothing else), so it can be mailed, archived or opened offline. It shows

* the lists held (issuer, list, type, version, entries, expiry);
* entries by issuing list, list type, reason and action (bar charts);
* additions and removals per day, from the versions the state accepted
  (:meth:`~antifraud_common.exchange.state.ReceiverState.history`);
* entries whose validity ends within ``expiring_days`` and lists that expire
  within that window;
* given a screening summary (``antifraud screen --json`` output), the hits by
  action.

Every value is HTML-escaped; card numbers appear masked (first 6, last 4),
also inside case references. Each bar carries its number as text and in
``data-label`` / ``data-value`` attributes, so a test or a scraper can read
the figures back from the page.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from antifraud_common._clock import now_utc
from antifraud_common._files import write_output
from antifraud_common.card import mask_in_text
from antifraud_common.errors import ConfigurationError
from antifraud_common.exchange.state import AppliedVersion, ReceiverState, StateRecord
from antifraud_common.models import Action, Entry, format_timestamp

__all__ = ["ReportData", "collect", "render_report", "write_report"]

#: Most expiring entries listed by name (the count is always complete).
MAX_EXPIRING_ROWS: Final = 200
_BAR_COLOURS: Final = ("#2b6cb0", "#2f855a", "#b7791f", "#c53030", "#6b46c1", "#2c7a7b")
_ACTION_COLOURS: Final = {
    "freeze": "#9b2c2c",
    "hold": "#c05621",
    "block": "#2b6cb0",
    "watch": "#718096",
}


@attrs.frozen(kw_only=True)
class ReportData:
    """The figures a report shows (what :func:`collect` reads from a state)."""

    generated_at: datetime
    lists: tuple[StateRecord, ...]
    by_list: tuple[tuple[str, int], ...]
    by_issuer: tuple[tuple[str, int], ...]
    by_list_type: tuple[tuple[str, int], ...]
    by_reason: tuple[tuple[str, int], ...]
    by_action: tuple[tuple[str, int], ...]
    #: (day, additions, removals), oldest first.
    timeline: tuple[tuple[str, int, int], ...]
    expiring: tuple[tuple[str, str, Entry], ...]
    expiring_count: int
    expiring_days: int
    screening: Mapping[str, Any] | None = None


def _sorted(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _timeline(history: Iterable[AppliedVersion]) -> tuple[tuple[str, int, int], ...]:
    days: dict[str, list[int]] = {}
    for h in history:
        day = h.accepted_at.strftime("%Y-%m-%d")
        cell = days.setdefault(day, [0, 0])
        cell[0] += h.adds
        cell[1] += h.removes
    return tuple((d, a, r) for d, (a, r) in sorted(days.items()))


def _screening(summary: object) -> Mapping[str, Any]:
    doc = summary
    if isinstance(doc, Mapping) and isinstance(doc.get("summary"), Mapping):
        doc = doc["summary"]  # the whole ``screen --json`` document
    if not isinstance(doc, Mapping) or not isinstance(doc.get("matches_by_action"), Mapping):
        raise ConfigurationError(
            "the screening summary has no matches_by_action (use screen --json output)",
            code="invalid_screening_summary",
        )
    hits = doc["matches_by_action"]
    for name, value in hits.items():
        if name not in {a.value for a in Action} or type(value) is not int or value < 0:
            raise ConfigurationError(
                "matches_by_action maps an action to a count",
                code="invalid_screening_summary",
            )
    out: dict[str, Any] = {"matches_by_action": dict(hits)}
    for key in ("records", "values_checked", "listed_values", "bad_rows"):
        if type(doc.get(key)) is int:
            out[key] = doc[key]
    return out


def collect(
    state: ReceiverState,
    *,
    now: datetime | None = None,
    screening: object = None,
    expiring_days: int = 30,
) -> ReportData:
    """Read the figures of ``state`` (one pass over its entries) at ``now``."""
    moment = now_utc(now)
    horizon = moment + timedelta(days=expiring_days)
    lists = tuple(state.lists())
    by_list: Counter[str] = Counter()
    by_issuer: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    by_action: Counter[str] = Counter()
    types = {(r.issuer, r.list_id): r.list_type for r in lists}
    expiring: list[tuple[str, str, Entry]] = []
    expiring_count = 0
    for issuer, list_id, _expires, entry in state.iter_records():
        by_list[f"{issuer}/{list_id}"] += 1
        by_issuer[issuer] += 1
        by_type[types.get((issuer, list_id), "?")] += 1
        by_reason[entry.reason.value] += 1
        by_action[entry.action.value] += 1
        until = entry.valid_until
        if until is not None and moment <= until < horizon:
            expiring_count += 1
            expiring.append((issuer, list_id, entry))
    expiring.sort(key=lambda t: (t[2].valid_until or moment, t[0], t[1], t[2].key))
    return ReportData(
        generated_at=moment.replace(microsecond=0),
        lists=lists,
        by_list=_sorted(by_list),
        by_issuer=_sorted(by_issuer),
        by_list_type=_sorted(by_type),
        by_reason=_sorted(by_reason),
        by_action=_sorted(by_action),
        timeline=_timeline(state.history()),
        expiring=tuple(expiring[:MAX_EXPIRING_ROWS]),
        expiring_count=expiring_count,
        expiring_days=expiring_days,
        screening=None if screening is None else _screening(screening),
    )


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _bar_chart(
    chart_id: str, title: str, rows: Iterable[tuple[str, int]], colours: Mapping[str, str] = {}
) -> str:
    items = list(rows)
    if not items:
        return f'<section><h2>{_e(title)}</h2><p class="empty">nothing to show</p></section>'
    top = max(v for _, v in items) or 1
    label_w, bar_w, row_h = 220, 420, 26
    height = row_h * len(items) + 10
    parts = [
        (
            f'<svg id="{_e(chart_id)}" class="chart" role="img" aria-label="{_e(title)}" '
            f'xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 80}" height="{height}" '
            f'viewBox="0 0 {label_w + bar_w + 80} {height}">'
        )
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        w = max(1, round(bar_w * value / top)) if value else 0
        colour = colours.get(label, _BAR_COLOURS[i % len(_BAR_COLOURS)])
        shown = label if len(label) <= 32 else label[:31] + "\u2026"
        parts.append(
            f'<g class="bar" data-label="{_e(label)}" data-value="{value}">'
            f"<title>{_e(label)}: {value}</title>"
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{_e(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 8}" '
            f'fill="{colour}"/>'
            f'<text class="value" x="{label_w + w + 6}" y="{y + 17}">{value}</text></g>'
        )
    parts.append("</svg>")
    return f"<section><h2>{_e(title)}</h2>{''.join(parts)}</section>"


def _timeline_chart(rows: tuple[tuple[str, int, int], ...]) -> str:
    title = "Additions and removals per day (accepted versions)"
    if not rows:
        return f'<section><h2>{_e(title)}</h2><p class="empty">no accepted versions</p></section>'
    top = max(max(a, r) for _, a, r in rows) or 1
    col_w, plot_h, left, base = 56, 180, 50, 200
    width = left + col_w * len(rows) + 20
    parts = [
        (
            f'<svg id="timeline" class="chart" role="img" aria-label="{_e(title)}" '
            f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{base + 50}" '
            f'viewBox="0 0 {width} {base + 50}">'
        ),
        f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#4a5568"/>',
    ]
    for i, (day, adds, removes) in enumerate(rows):
        x = left + i * col_w + 6
        for j, (series, value, colour) in enumerate(
            (("additions", adds, "#2f855a"), ("removals", removes, "#c53030"))
        ):
            h = round(plot_h * value / top)
            bx = x + j * 22
            parts.append(
                f'<g class="bar {series}" data-label="{_e(day)} {series}" data-value="{value}">'
                f"<title>{_e(day)}: {value} {series}</title>"
                f'<rect x="{bx}" y="{base - h}" width="20" height="{h}" fill="{colour}"/>'
                f'<text class="value" x="{bx + 10}" y="{base - h - 4}" '
                f'text-anchor="middle">{value}</text></g>'
            )
        parts.append(
            f'<text x="{x + 21}" y="{base + 16}" text-anchor="middle" class="day">'
            f"{_e(day[5:])}</text>"
        )
    parts.append(
        f'<g class="legend"><rect x="{left}" y="{base + 28}" width="12" height="12" '
        f'fill="#2f855a"/><text x="{left + 16}" y="{base + 39}">additions</text>'
        f'<rect x="{left + 100}" y="{base + 28}" width="12" height="12" fill="#c53030"/>'
        f'<text x="{left + 116}" y="{base + 39}">removals</text></g></svg>'
    )
    return f"<section><h2>{_e(title)}</h2>{''.join(parts)}</section>"


def _lists_table(data: ReportData) -> str:
    rows = []
    for r in data.lists:
        soon = r.expires < data.generated_at + timedelta(days=data.expiring_days)
        cls = ' class="soon"' if soon else ""
        rows.append(
            f"<tr{cls}><td>{_e(r.issuer)}</td><td>{_e(r.list_id)}</td><td>{_e(r.list_type)}</td>"
            f'<td class="n">{r.version}</td><td class="n">{r.entry_count}</td>'
            f"<td>{_e(format_timestamp(r.expires))}</td></tr>"
        )
    body = "".join(rows) or '<tr><td colspan="6" class="empty">no lists held</td></tr>'
    return (
        '<section><h2>Lists held</h2><table id="lists"><thead><tr><th>issuer</th><th>list</th>'
        '<th>type</th><th class="n">version</th><th class="n">entries</th><th>list expires</th>'
        f"</tr></thead><tbody>{body}</tbody></table></section>"
    )


def _expiring_table(data: ReportData) -> str:
    rows = [
        f"<tr><td>{_e(format_timestamp(e.valid_until))}</td><td>{_e(issuer)}/{_e(list_id)}</td>"
        f"<td>{_e(e.kind.value)}</td><td>{_e(e.masked_value)}</td>"
        f"<td>{_e(e.action.value)}</td><td>{_e(mask_in_text(e.case_ref))}</td></tr>"
        for issuer, list_id, e in data.expiring
        if e.valid_until is not None
    ]
    more = ""
    if data.expiring_count > len(data.expiring):
        more = f'<p class="note">and {data.expiring_count - len(data.expiring)} more</p>'
    body = "".join(rows) or '<tr><td colspan="6" class="empty">none</td></tr>'
    return (
        f"<section><h2>Entries expiring within {data.expiring_days} days: "
        f'<span id="expiring-count">{data.expiring_count}</span></h2>'
        '<table id="expiring"><thead><tr><th>valid until</th><th>list</th><th>kind</th>'
        "<th>value</th><th>action</th><th>case</th></tr></thead>"
        f"<tbody>{body}</tbody></table>{more}</section>"
    )


def _screening_section(data: ReportData) -> str:
    if data.screening is None:
        return ""
    hits = data.screening["matches_by_action"]
    order = [a.value for a in sorted(Action, key=lambda a: -a.severity)]
    rows = [(name, hits.get(name, 0)) for name in order]
    facts = ", ".join(
        f"{key.replace('_', ' ')} {data.screening[key]:,}"
        for key in ("records", "values_checked", "listed_values", "bad_rows")
        if key in data.screening
    )
    chart = _bar_chart("hits-by-action", "Screening hits by action", rows, _ACTION_COLOURS)
    return chart + (f'<p class="note">{_e(facts)}</p>' if facts else "")


_CSS: Final = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
margin:24px auto;max-width:1100px;color:#1a202c;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#4a5568;margin:0 0 16px}.grid{display:flex;flex-wrap:wrap;gap:0 32px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e2e8f0;
padding:4px 8px;text-align:left}th{background:#f7fafc}.n{text-align:right}
tr.soon td{background:#fffaf0}.empty,.note{color:#718096}
svg.chart text{font-size:12px;fill:#2d3748}svg.chart text.value{font-weight:600}
.totals{display:flex;gap:16px;margin:8px 0}.totals div{background:#f7fafc;border:1px solid
#e2e8f0;border-radius:6px;padding:8px 14px}.totals b{display:block;font-size:20px}
"""


def render_report(data: ReportData, *, title: str = "Fraud blacklists held") -> str:
    """Return the report page for ``data`` as one HTML document."""
    total = sum(r.entry_count for r in data.lists)
    totals = (
        f'<div class="totals"><div><b id="total-lists">{len(data.lists)}</b>lists</div>'
        f'<div><b id="total-entries">{total}</b>entries</div>'
        f"<div><b>{len(data.by_issuer)}</b>issuers</div>"
        f"<div><b>{data.expiring_count}</b>expiring within {data.expiring_days} days</div></div>"
    )
    charts = (
        '<div class="grid">'
        + _bar_chart("by-list", "Entries by list", data.by_list)
        + _bar_chart("by-issuer", "Entries by issuer", data.by_issuer)
        + _bar_chart("by-list-type", "Entries by list type", data.by_list_type)
        + _bar_chart("by-reason", "Entries by reason", data.by_reason)
        + _bar_chart("by-action", "Entries by action", data.by_action, _ACTION_COLOURS)
        + "</div>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">generated {_e(format_timestamp(data.generated_at))} by '
        "antifraud_common; card numbers are masked</p>"
        + totals
        + _lists_table(data)
        + charts
        + _timeline_chart(data.timeline)
        + _expiring_table(data)
        + _screening_section(data)
        + "</body></html>\n"
    )


def write_report(page: str, destination: str | os.PathLike[str]) -> None:
    """Write ``page`` to ``destination`` atomically (``0600``: it names listed numbers)."""
    write_output(destination, [page.encode("utf-8")], mode=0o600)
