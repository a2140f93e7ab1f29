"""Pseudonymisation: every person_id becomes an HMAC-SHA256 keyed hash before anything is stored.

The key lives in a file outside the database, so the same person gets the same pseudonym in every
delivery while the database alone cannot be linked back to CPR numbers. CPR-shaped ids are
normalised (ddmmyy-xxxx, ddmmyyxxxx and the number a spreadsheet makes of it, e.g. 101801111, give
the same pseudonym); other ids are hashed as they are. Any column a mapping file declares to be
pseudonymised gets the same hashes, so a CPR number there gives the person's own pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import polars as pl

from boligsocial.common.errors import ConfigError
from boligsocial.common.words import both
from boligsocial.ingest import cpr

KEY_BYTES = 32


def default_key_path() -> Path:
    """`$BSM_KEY_FILE`, else `$XDG_CONFIG_HOME/boligsocial/pseudonym.key` (~/.config/...)."""
    if env := os.environ.get("BSM_KEY_FILE"):
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "boligsocial" / "pseudonym.key"


def load_or_create_key(path: Path) -> bytes:
    """Read the secret key, creating it (random, mode 0600) on first use; refuse weak or open keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(both("system.key_readable", path=path, mode=f"{mode:o}"))
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise ConfigError(both("system.key_invalid", path=path, bytes=KEY_BYTES))
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, stored in the database to catch a wrong key file."""
    return hmac.new(key, b"boligsocial key id", hashlib.sha256).hexdigest()[:16]


def pseudonymise(ids: pl.Series, key: bytes) -> pl.Series:
    """Keyed hashes of `ids` (nulls stay null); hashing runs once per distinct id, not per row."""
    frame = pl.DataFrame({"id": ids.cast(pl.String)}).with_columns(cpr.normalised(pl.col("id")).alias("norm"))
    distinct = frame.get_column("norm").drop_nulls().unique()
    base = hmac.new(key, digestmod=hashlib.sha256)  # key pads computed once, copied per id

    def one(value: str) -> str:
        h = base.copy()
        h.update(value.encode("utf-8"))
        return h.hexdigest()[:32]

    hashed = [one(v) for v in distinct]
    lookup = pl.DataFrame({"norm": distinct, "pseudonym": hashed})
    out = frame.join(lookup, on="norm", how="left", maintain_order="left")
    return out.get_column("pseudonym").alias(ids.name)
