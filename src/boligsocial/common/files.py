"""Files at rest: the mode of every file the tool writes, and the one-load-at-a-time lock.

The database holds the person table and the access store holds password, session and token hashes
and the audit log, so every file the tool writes — database and its write-ahead log, access store,
pseudonym key, exports, lock and working copies — is readable by its owner only (0600). An
installation whose service account and admins share a group may set `BSM_FILE_MODE=0640` (or
`0660`); more than the group is refused, and the key stays 0600 whatever the setting.

A load works on a copy beside the database and swaps it in at the end (`store.replacing`); the lock
(`<db>.lock`, an `flock`) makes two loads of one database take turns instead of both writing a copy
and the later swap silently discarding the earlier load. The kernel drops the lock when its process
dies, even by `kill -9`, so a crashed load never blocks the next one; the working copy it left is
removed by the next load, which holds the lock and so knows no other load is using it.

What the disclosure step works out for a database (the protections: minutes of CPU at the
example's scale) is kept beside it in `<db>.protections/` (a folder only the owner may enter), so a
server's restart, its export process and the command line reuse one build instead of each making
its own. A kept file is read back only when the owner made it and nobody else may write it (the
same trust as the database itself), and a load removes them all: they are about the old data.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pickle
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from boligsocial.common.errors import BsmError, ConfigError
from boligsocial.common.words import both, words

PRIVATE = 0o600
#: Modes an admin may choose with BSM_FILE_MODE: owner only, or owner and group.
ALLOWED_MODES = (0o600, 0o640, 0o660)
MODE_VARIABLE = "BSM_FILE_MODE"
_UMASK_LOCK = threading.Lock()


class Busy(BsmError):
    """Another load holds the database's lock (and the caller asked not to wait)."""


def file_mode() -> int:
    """The mode for files the tool writes: 0600, or the group mode set in BSM_FILE_MODE."""
    text = os.environ.get(MODE_VARIABLE, "").strip()
    if not text:
        return PRIVATE
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if mode not in ALLOWED_MODES:
        allowed = ", ".join(f"{m:04o}" for m in ALLOWED_MODES)
        raise ConfigError(both("system.file_mode", variable=MODE_VARIABLE, value=repr(text), allowed=allowed))
    return mode


def restrict(path: Path, mode: int | None = None) -> None:
    """Give an existing file the tool's mode (files of older versions were made 0644)."""
    wanted = file_mode() if mode is None else mode
    with contextlib.suppress(FileNotFoundError):
        if stat.S_IMODE(path.stat().st_mode) != wanted:
            os.chmod(path, wanted)


@contextmanager
def private_files(mode: int | None = None) -> Iterator[None]:
    """Within the block, files this process creates get at most `mode` (default `file_mode()`).

    For files made by libraries that take no mode (DuckDB's database and WAL, SQLite's -wal and
    -shm): the umask is process-wide, so blocks are serialised and the narrowest umask wins while
    any block is open in another thread."""
    wanted = file_mode() if mode is None else mode
    with _UMASK_LOCK:
        old = os.umask(0o777 & ~wanted)
    try:
        yield
    finally:
        with _UMASK_LOCK:
            os.umask(old)


def write_private(path: Path, data: bytes | str) -> None:
    """Write a whole file created with the tool's mode (never briefly readable by others)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    mode = file_mode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # an existing file keeps its old mode otherwise
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(raw)
    finally:
        os.close(fd)


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@contextmanager
def exclusive(db: Path, wait: bool = True, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the database's load lock for the block.

    When another load holds it: wait (telling `waiting` once, with the other load's process id) or,
    with `wait=False`, raise `Busy` at once. The lock file holds the holder's pid and start time."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, file_mode())
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("ascii", "replace").split(" ")[0].strip() or "?"
            if not wait:
                raise Busy(both("system.load_busy", holder=holder, db=db)) from None
            if waiting is not None:
                waiting(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {time.time():.0f}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def working_copies(db: Path) -> list[Path]:
    """Working copies of loads of `db` (and their WAL files) in its folder."""
    if not db.parent.is_dir():
        return []
    prefix = f".{db.name}."
    return sorted(
        p
        for p in db.parent.iterdir()
        if p.name.startswith(prefix) and (p.name.endswith(".loading") or p.name.endswith(".loading.wal"))
    )


def remove_stale_copies(db: Path) -> list[Path]:
    """Remove what crashed loads left behind; call only while holding `exclusive(db)`."""
    removed = []
    for path in working_copies(db):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def kept_dir(db: Path) -> Path:
    """Where the protections worked out for `db` are kept."""
    return db.with_name(db.name + ".protections")


def forget_kept(db: Path) -> None:
    """Remove everything kept for `db` (its data changed); a load calls it holding `exclusive(db)`."""
    folder = kept_dir(db)
    if folder.is_dir():
        for path in folder.iterdir():
            if path.suffix in (".pickle", ".part"):
                path.unlink(missing_ok=True)


@contextmanager
def kept_lock(path: Path) -> Iterator[None]:
    """Hold the lock of one kept file: processes that need the same file wait for the one making it
    (an `flock`, released by the kernel if the maker dies)."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, PRIVATE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _trusted(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_kept(path: Path) -> object | None:
    """A kept object, or None when there is none (or one this process may not trust: made by
    another user, or writable by others — a pickle runs code as it is read)."""
    try:
        if not _trusted(path.parent.stat()):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not _trusted(os.fstat(fh.fileno())):
            return None
        try:
            return pickle.load(fh)
        except Exception:  # a half-written or foreign file is as good as none
            return None


def write_kept(path: Path, value: object, stale: str | None = None) -> bool:
    """Keep `value` at `path` (0600, swapped in whole); other files starting with `stale` are
    removed (older versions of the same thing). False when the folder cannot be written (a
    read-only installation simply rebuilds)."""
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        part = path.with_suffix(".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), PRIVATE)
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, path)
    except OSError:
        return False
    if stale:
        for other in path.parent.glob(f"{stale}*.pickle"):
            if other != path:
                other.unlink(missing_ok=True)
    return True


#: Operating-system errors a user can act on, and their message in system.po.
_OS_WORDS = {
    errno.ENOSPC: "system.os.no_space",
    errno.EDQUOT: "system.os.quota",
    errno.EACCES: "system.os.access",
    errno.EPERM: "system.os.not_permitted",
    errno.EROFS: "system.os.read_only",
    errno.ENOENT: "system.os.not_found",
    errno.EISDIR: "system.os.is_folder",
    errno.ENOTDIR: "system.os.not_folder",
    errno.EIO: "system.os.io",
}


#: How DuckDB words the same errors (it raises its own exceptions, without an errno).
_DUCKDB_WORDS = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Permission denied": errno.EACCES,
    "Read-only file system": errno.EROFS,
}
_QUOTED = re.compile(r'"([^"]+)"')


def os_error_line(exc: BaseException) -> str | None:
    """One line for an operating-system error — what happened, to which file, in both languages —
    or None when `exc` is not one (a DuckDB I/O error counts)."""
    if isinstance(exc, OSError):
        code, where = exc.errno or 0, exc.filename
        fallback = exc.strerror or str(exc)
    elif isinstance(exc, duckdb.Error) and (
        isinstance(exc, duckdb.IOException) or any(words in str(exc) for words in _DUCKDB_WORDS)
    ):  # a full disk at the checkpoint is a FatalException
        text = " ".join(str(exc).split())
        code = next((c for words, c in _DUCKDB_WORDS.items() if words in text), 0)
        found = _QUOTED.search(text)
        where, fallback = (found.group(1) if found else None), text.splitlines()[0]
    else:
        return None
    key = _OS_WORDS.get(code)
    da, en = (words("da")(key), words("en")(key)) if key else (fallback, fallback)
    if where and re.search(r"\.loading(\.wal)?$", str(where)):
        where = str(Path(where).parent)  # a load's working copy: the folder is what to act on
    place = f" ({where})" if where else ""
    return f"{da}{place} / {en}{place}"
