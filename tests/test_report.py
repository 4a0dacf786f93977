"""``antifraud report``: the page, its escaping and masking, and a headless-browser render."""

from __future__ import annotations

import hashlib
import html.parser
import io
import json
import os
import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from antifraud_common.cli import main
from antifraud_common.exchange.entries import write_entries
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.models import Entry, Manifest
from antifraud_common.report import collect, render_report

CARD = "6222021234567890128"
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'
DAY1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)


class _Verified:
    """A list as the state receives it after verification (the report needs no signature)."""

    def __init__(self, manifest: Manifest, data: bytes) -> None:
        self._manifest, self._data = manifest, data

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def open_verified(self) -> io.BytesIO:
        return io.BytesIO(self._data)


def _entry(
    kind: str,
    value: str,
    *,
    reason: str,
    action: str,
    source: str,
    case: str = "C-1",
    until: datetime | None = None,
) -> Entry:
    return Entry.from_raw(
        kind=kind,
        value=value,
        reason=reason,
        action=action,
        source=source,
        case_ref=case,
        confidence=80,
        tlp="amber",
        listed_at=DAY1,
        valid_from=DAY1,
        valid_until=until,
    )


def _accept(
    state: ReceiverState,
    tmp: Path,
    list_type: str,
    list_id: str,
    entries: list[Entry],
    version: int,
    when: datetime,
) -> None:
    path = tmp / f"{list_id}-{version}.jsonl"
    write_entries(path, entries)
    data = path.read_bytes()
    manifest = Manifest(
        issuer=entries[0].source,
        list_id=list_id,
        list_type=list_type,
        version=version,
        issued_at=when,
        expires=when + timedelta(days=40),
        entry_count=len(entries),
        byte_length=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    state.accept_snapshot(_Verified(manifest, data), now=when)


def _phones(n: int) -> list[Entry]:
    return [
        _entry(
            "phone", f"+86138001380{i:02d}", reason="telecom_fraud", action="block", source="mps"
        )
        for i in range(n)
    ]


def _state(tmp_path: Path) -> Path:
    d = tmp_path / "state"
    files = tmp_path / "files"
    files.mkdir()
    accounts = [
        _entry(
            "bank_card",
            CARD,
            reason="card_trafficking",
            action="freeze",
            source="pboc",
            case=f"{HOSTILE} {CARD}",
            until=NOW + timedelta(days=5),
        ),
        _entry(
            "bank_account",
            "6228480402564890018",
            reason="mule_account",
            action="hold",
            source="pboc",
        ),
        _entry(
            "bank_account",
            "DE89370400440532013000",
            reason="mule_account",
            action="hold",
            source="pboc",
            until=NOW + timedelta(days=90),
        ),
    ]
    with ReceiverState.open(d) as state:
        _accept(state, files, "fraud_numbers", "fraud-phones", _phones(3), 1, DAY1)
        _accept(state, files, "mule_accounts", "mule-accounts", accounts, 1, DAY1)
        _accept(
            state, files, "fraud_numbers", "fraud-phones", _phones(5), 2, DAY1 + timedelta(days=1)
        )
        _accept(
            state,
            files,
            "mule_accounts",
            "mule-accounts",
            accounts[:2],
            2,
            DAY1 + timedelta(days=2),
        )
    return d


SCREENING = {
    "output_version": 2,
    "command": "screen",
    "ok": False,
    "summary": {
        "records": 1000,
        "values_checked": 1500,
        "listed_values": 9,
        "bad_rows": 0,
        "matches_by_action": {"freeze": 1, "hold": 3, "block": 5, "watch": 0},
    },
}

# What the state above holds, chart by chart.
EXPECTED = {
    "by-issuer": {"mps": 5, "pboc": 2},
    "by-list": {"mps/fraud-phones": 5, "pboc/mule-accounts": 2},
    "by-list-type": {"fraud_numbers": 5, "mule_accounts": 2},
    "by-reason": {"telecom_fraud": 5, "card_trafficking": 1, "mule_account": 1},
    "by-action": {"block": 5, "freeze": 1, "hold": 1},
    "timeline": {
        "2026-11-01 additions": 6,
        "2026-11-01 removals": 0,
        "2026-11-02 additions": 2,
        "2026-11-02 removals": 0,
        "2026-11-03 additions": 0,
        "2026-11-03 removals": 1,
    },
    "hits-by-action": {"freeze": 1, "hold": 3, "block": 5, "watch": 0},
}


class _Charts(html.parser.HTMLParser):
    """Collect each chart's bars, and every element name, from a page or a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, int]] = {}
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self._svg: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        a = dict(attrs)
        if tag == "svg" and a.get("id"):
            self._svg = a["id"]
            self.charts[self._svg or ""] = {}
        if tag == "g" and self._svg and a.get("data-label") is not None:
            self.charts[self._svg][a["data-label"] or ""] = int(a["data-value"] or "-1")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = None


def _parse(text: str) -> _Charts:
    p = _Charts()
    p.feed(text)
    return p


def _report(tmp_path: Path) -> tuple[Path, str]:
    d = _state(tmp_path)
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps(SCREENING), encoding="utf-8")
    out = tmp_path / "report.html"
    status = main(
        [
            "report",
            "--state",
            str(d),
            "--out",
            str(out),
            "--screening",
            str(summary),
            "--now",
            "2026-11-20T00:00:00Z",
        ]
    )
    assert status == 0
    return out, out.read_text(encoding="utf-8")


def test_the_page_carries_the_numbers_of_the_state(tmp_path: Path) -> None:
    _, page = _report(tmp_path)
    charts = _parse(page).charts
    for chart, bars in EXPECTED.items():
        assert charts[chart] == bars, chart
    assert 'id="expiring-count">1<' in page  # the card; the IBAN expires after 30 days


def test_hostile_case_reference_is_escaped_and_cards_are_masked(tmp_path: Path) -> None:
    _, page = _report(tmp_path)
    parsed = _parse(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert all(name != "onerror" for name, _ in parsed.attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert CARD not in page
    assert "622202*********0128" in page


def test_the_page_is_self_contained(tmp_path: Path) -> None:
    _, page = _report(tmp_path)
    parsed = _parse(page)
    refs = [v for k, v in parsed.attrs if k in {"src", "href", "srcset", "action"}]
    assert refs == []
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert {"link", "script", "iframe", "object"}.isdisjoint(parsed.tags)


def test_cli_json_and_a_bad_screening_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = _state(tmp_path)
    out = tmp_path / "r.html"
    assert main(["report", "--state", str(d), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and doc["lists"] == 2 and doc["entries"] == 7
    bad = tmp_path / "bad.json"
    bad.write_text('{"summary": {"matches_by_action": {"block": -1}}}', encoding="utf-8")
    status = main(
        [
            "report",
            "--state",
            str(d),
            "--out",
            str(out),
            "--screening",
            str(bad),
            "--json",
            "--force",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert status == 2 and doc["error"]["code"] == "invalid_screening_summary"
    assert main(["report", "--state", str(tmp_path / "none"), "--out", str(out)]) != 0


def test_collect_counts_match_render(tmp_path: Path) -> None:
    with ReceiverState.open(_state(tmp_path), create=False) as state:
        data = collect(state, now=NOW)
    assert dict(data.by_issuer) == EXPECTED["by-issuer"]
    assert data.expiring_count == 1 and data.expiring[0][2].value == CARD
    charts = _parse(render_report(data)).charts
    assert "hits-by-action" not in charts


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("ANTIFRAUD_REQUIRE_INTEROP"):
        pytest.fail("chromium is required (ANTIFRAUD_REQUIRE_INTEROP is set)")
    pytest.skip("chromium not installed")


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    env = dict(os.environ, HOME=str(tmp_path))
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env=env, check=False, cwd=tmp_path
    )


def test_headless_browser_renders_the_charts_with_the_numbers(tmp_path: Path) -> None:
    out, _ = _report(tmp_path)
    done = _browser(tmp_path, "--dump-dom", out.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _parse(done.stdout)
    for chart, bars in EXPECTED.items():
        assert dom.charts[chart] == bars, chart
    assert "script" not in dom.tags and "img" not in dom.tags
    assert CARD not in done.stdout


def test_headless_browser_screenshot(tmp_path: Path) -> None:
    out, _ = _report(tmp_path)
    shot = tmp_path / "shot.png"
    done = _browser(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=1200,1900",
        "--hide-scrollbars",
        out.as_uri(),
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 1900)
    # A blank page compresses to a few kilobytes; charts, tables and text do not.
    assert len(data) > 30_000
