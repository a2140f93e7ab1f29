"""The audit log's records: their hash chain, their verification, and how they are shown.

Each record's hash is SHA-256 over the previous record's hash and the record's own fields, so a
record changed, inserted or removed in the middle breaks every hash after it (`verify`). Removing
the newest records leaves a valid but shorter chain: `verify` prints the head hash, which a DPO
can note outside the system to catch that too. Removing the oldest records is what retention does;
it writes a `retention` record naming the last id it removed, so a gap that retention did not make
shows as well.

Every field of a record may come from a visitor (a user name typed into the login form, a label),
so `plain` renders it as inert text: control characters (a newline that would forge a second
record) are escaped, and the CLI prints it without markup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

GENESIS = "0" * 64
FIELDS = ("id", "at", "username", "role", "event", "target", "ip", "detail")


def now_iso() -> str:
    """The current time as ISO 8601 in UTC, to the microsecond (e.g. 2026-12-02T09:15:03.123456Z),
    from the same clock (`time.time`) as the cut-off of retention and the throttle."""
    return iso(time.time())


def iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(previous: str, record: Mapping[str, object]) -> str:
    """The hash of one record: its fields in a fixed order, as canonical JSON, after `previous`."""
    body = json.dumps([record.get(f) for f in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: the records checked, the head hash, and the first problem, if any."""

    records: int
    head: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(records: Iterable[Mapping[str, object]]) -> Verdict:
    """Check the chain over all records in id order (each with `prev_hash` and `hash`)."""
    rows = list(records)
    if not rows:
        return Verdict(0, GENESIS)
    first = int(str(rows[0]["id"]))
    if first == 1:
        previous = GENESIS
    else:  # the oldest records were removed: only retention may do that, and it says so
        anchors = {
            int(json.loads(str(r["detail"])).get("removed_until", -1))
            for r in rows
            if r["event"] == "retention" and r.get("detail")
        }
        if first - 1 not in anchors:
            return Verdict(len(rows), GENESIS, f"records 1–{first - 1} are gone, and not by retention")
        previous = str(rows[0]["prev_hash"])
    expected = first
    for n, r in enumerate(rows, start=1):
        rid = int(str(r["id"]))
        if rid != expected:
            return Verdict(n, previous, f"records {expected}–{rid - 1} are missing")
        if r["prev_hash"] != previous:
            return Verdict(n, previous, f"record {rid} does not follow the record before it")
        if record_hash(previous, r) != r["hash"]:
            return Verdict(n, previous, f"record {rid} was changed after it was written")
        previous, expected = str(r["hash"]), rid + 1
    return Verdict(len(rows), previous)


def plain(value: object) -> str:
    """A field as inert text: control characters (newlines, escape sequences) are written as
    escapes, so a value can neither start a forged line nor style the terminal."""
    if value is None:
        return ""
    text = str(value)
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def text_frame(records: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """Records as a table of inert text, one record per line whatever a visitor typed: details
    as JSON, every text field through `plain` (for the CLI's table and CSV and the CSV download)."""

    def text(value: object) -> object:
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return plain(value) if isinstance(value, str) else value

    return pl.DataFrame(
        [{k: text(v) for k, v in r.items()} for r in records],
        schema={f: pl.String if f != "id" else pl.Int64 for f in FIELDS},
    )
