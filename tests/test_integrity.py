"""A load a municipality's IT can run: one at a time, nothing lost, nothing left readable, bad input
refused alike by `check` and `load`, operating-system errors as one line. Every test runs the real
`bsm` command in its own process."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from boligsocial.common.files import exclusive, working_copies
from builders import SmallDelivery

#: Real loads in processes (locks, kill -9, a full disk): slow. One refused delivery (two
#: short processes, no load) runs in the quick round too.
PROCESSES = pytest.mark.slow

BSM = Path(sys.executable).parent / "bsm"


def bsm(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BSM), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def years_of(db: Path) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT year FROM persons ORDER BY 1").fetchall()]
    finally:
        con.close()


def later(small: SmallDelivery, shift: int) -> SmallDelivery:
    """The same delivery `shift` years later (persons, reference figures)."""
    small.persons = [{**p, "year": p["year"] + shift} for p in small.persons]
    small.reference = [{**r, "year": r["year"] + shift} for r in small.reference]
    return small


# --- one load at a time ------------------------------------------------------------------------


@PROCESSES
def test_two_concurrent_loads_both_land(tmp_path: Path, key_file: Path) -> None:
    """Without the lock both copy the same old file and the later swap discards the earlier load."""
    first = SmallDelivery().write(tmp_path / "first")
    second = later(SmallDelivery(), 2).write(tmp_path / "second")
    db = tmp_path / "db" / "bsm.duckdb"
    procs = [
        subprocess.Popen(
            [str(BSM), "load", str(d), "--db", str(db), "--key-file", str(key_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for d in (first, second)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("Indlæste" in out for out, _ in outs)
    assert years_of(db) == [2020, 2021, 2022, 2023]  # neither load was lost
    assert working_copies(db) == []


@PROCESSES
def test_a_second_load_waits_or_fails_at_once(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    delivery = small.write(tmp_path / "delivery")
    db = tmp_path / "bsm.duckdb"
    with exclusive(db):  # another load holds the database
        busy = bsm("load", delivery, "--db", db, "--key-file", key_file, "--no-wait")
        assert busy.returncode == 1
        assert "en anden indlæsning" in busy.stderr and "another load" in busy.stderr
        assert str(os.getpid()) in busy.stderr  # who holds it
        assert "Traceback" not in busy.stderr and not db.exists()
        said = tmp_path / "stderr.txt"
        with said.open("w") as stderr:
            waiting = subprocess.Popen(
                [str(BSM), "load", str(delivery), "--db", str(db), "--key-file", str(key_file)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        # it says it waits (however long the start takes on a busy machine), and keeps waiting
        deadline = time.monotonic() + 120
        while "Venter på en anden indlæsning" not in said.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(4)  # the small delivery loads in about 3 s: it would be done if it did not wait
        assert waiting.poll() is None and not db.exists()
    out, _ = waiting.communicate(timeout=120)
    errors = said.read_text()
    assert waiting.returncode == 0, errors
    assert "Venter på en anden indlæsning" in errors and "Indlæste" in out
    assert years_of(db) == [2020, 2021]


@PROCESSES
def test_kill_9_leaves_the_old_database_and_the_next_load_cleans_up(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    delivery = small.write(tmp_path / "delivery")
    db = tmp_path / "bsm.duckdb"
    assert bsm("load", delivery, "--db", db, "--key-file", key_file).returncode == 0
    before = digest(db)
    newer = later(SmallDelivery(), 2).write(tmp_path / "newer")
    proc = subprocess.Popen(
        [str(BSM), "load", str(newer), "--db", str(db), "--key-file", str(key_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    copies: list[Path] = []
    deadline = time.monotonic() + 60
    while not copies and time.monotonic() < deadline and proc.poll() is None:
        copies = [p for p in working_copies(db) if p.suffix == ".loading" and p.stat().st_size > 0]
        time.sleep(0.005)
    assert copies, "the load made no working copy to kill it in"
    time.sleep(0.3)  # inside the computations, with the copy half written
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert digest(db) == before  # the old database, byte for byte
    left = working_copies(db)
    assert left, "kill -9 runs no clean-up: the copy is still there…"
    assert all(mode(p) == 0o600 for p in left)  # …but readable only by the service account
    assert bsm("load", newer, "--db", db, "--key-file", key_file).returncode == 0
    assert working_copies(db) == []  # the next load removed it
    assert years_of(db) == [2020, 2021, 2022, 2023]


# --- files at rest -----------------------------------------------------------------------------


def _written_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "delivery" not in p.parts)


@PROCESSES
def test_every_file_the_tool_writes_is_0600(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    delivery = small.write(tmp_path / "delivery")
    db = tmp_path / "data" / "bsm.duckdb"
    old = os.umask(0o022)  # the default umask that made them 0644
    try:
        assert bsm("load", delivery, "--db", db, "--key-file", key_file).returncode == 0
        password = "lang nok og ikke et ord fra en liste\n"
        user = bsm("users", "add", "mette", "--db", db, "--role", "analyst", stdin=password * 2)
        assert user.returncode == 0, user.stderr
        out = tmp_path / "data" / "areas.gpkg"
        assert bsm("export", "--db", db, "--format", "gpkg", "--out", out).returncode == 0
        listed = tmp_path / "data" / "lists.csv"
        assert bsm("lists", "--db", db, "--format", "csv", "--out", listed).returncode == 0
    finally:
        os.umask(old)
    files = _written_files(tmp_path)
    names = {p.name for p in files}
    assert {"bsm.duckdb", "bsm.duckdb.lock", "bsm.duckdb.access.sqlite", "pseudonym.key"} <= names
    assert {"areas.gpkg", "lists.csv"} <= names
    assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(0o600) for p in files}


@PROCESSES
def test_a_group_mode_is_honoured_and_a_wider_one_refused(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    delivery = small.write(tmp_path / "delivery")
    db = tmp_path / "bsm.duckdb"
    group = {"BSM_FILE_MODE": "0640"}
    assert bsm("load", delivery, "--db", db, "--key-file", key_file, env=group).returncode == 0
    assert mode(db) == 0o640 and mode(key_file) == 0o600  # the key stays the owner's
    wide = bsm("load", delivery, "--db", db, "--key-file", key_file, env={"BSM_FILE_MODE": "0644"})
    assert wide.returncode == 1 and "BSM_FILE_MODE" in wide.stderr and "Traceback" not in wide.stderr
    assert mode(db) == 0o640


@PROCESSES
def test_an_old_world_readable_database_is_tightened_by_the_next_load(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    delivery = small.write(tmp_path / "delivery")
    db = tmp_path / "bsm.duckdb"
    assert bsm("load", delivery, "--db", db, "--key-file", key_file).returncode == 0
    os.chmod(db, 0o644)
    access = db.with_name(db.name + ".access.sqlite")
    assert bsm("users", "list", "--db", db).returncode == 0
    os.chmod(access, 0o644)
    assert bsm("load", delivery, "--db", db, "--key-file", key_file).returncode == 0
    assert bsm("users", "list", "--db", db).returncode == 0
    assert mode(db) == mode(access) == 0o600


# --- bad input: check and load agree -------------------------------------------------------------


def _cut_last_field(delivery: Path, row: int) -> None:
    """Data row `row` of persons.csv loses its last (optional) field, as a cut-off export does."""
    path = delivery / "persons.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[row] = lines[row].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _header_only(delivery: Path) -> None:
    path = delivery / "persons.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


def _year_without_reference(small: SmallDelivery) -> None:
    small.persons.append({**small.persons[0], "year": 2022})


BAD = {
    "short-row": (lambda s: None, lambda d: _cut_last_field(d, 3), "persons.csv", "række 3"),
    "empty-table": (lambda s: None, _header_only, "persons.csv", "no data rows"),
    "missing-reference": (_year_without_reference, lambda d: None, "reference.csv", "2022"),
}


@pytest.mark.parametrize(
    "code", [pytest.param(code, marks=() if code == "short-row" else PROCESSES) for code in BAD]
)
def test_bad_input_is_refused_by_check_and_load_alike(
    tmp_path: Path, small: SmallDelivery, key_file: Path, code: str
) -> None:
    change_rows, change_files, file, where = BAD[code]
    change_rows(small)
    delivery = small.write(tmp_path / "delivery")
    change_files(delivery)
    db = tmp_path / "bsm.duckdb"
    for command in (["check", delivery], ["load", delivery, "--db", db, "--key-file", key_file]):
        result = bsm(*command)
        text = result.stdout + result.stderr
        assert result.returncode == 1, (command[0], text)
        assert f"FEJL {code} ({file}" in text, (command[0], text)
        assert where in text and "Traceback" not in text
    assert not db.exists()


# --- operating-system errors ---------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> object:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("a small file system needs mount (root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@PROCESSES
def test_a_full_disk_is_one_clear_line(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    delivery = small.write(tmp_path / "delivery")
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = Path(str(disk)) / "bsm.duckdb"
        result = bsm("load", delivery, "--db", db, "--key-file", key_file)
        assert result.returncode == 1
        assert "disken er fuld" in result.stderr and "the disk is full" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2
        assert not db.exists() and working_copies(db) == []  # nothing half-written is left
    full = bsm("lists", "--db", tmp_path / "none.duckdb", "--format", "csv", "--out", "/dev/full")
    assert full.returncode == 1  # no database: the clear message of a missing database
    assert "Traceback" not in full.stderr


@PROCESSES
def test_writing_to_a_full_device_is_one_clear_line(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    delivery = small.write(tmp_path / "delivery")
    db = tmp_path / "bsm.duckdb"
    assert bsm("load", delivery, "--db", db, "--key-file", key_file).returncode == 0
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = bsm("lists", "--db", db, "--format", "csv", "--out", "/dev/full")
    assert result.returncode == 1
    assert "disken er fuld" in result.stderr and "Traceback" not in result.stderr
    shutil.rmtree(tmp_path / "delivery")
