"""Pseudonymisation: the key file, stable keyed hashes, and no raw CPR number in the database file."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import polars as pl
import pytest

from boligsocial.common.errors import ConfigError, DatabaseError
from boligsocial.ingest.pseudonym import load_or_create_key, pseudonymise
from boligsocial.pipeline import load
from builders import SmallDelivery
from conftest import small_copy


def test_key_is_created_once_with_mode_0600(key_file: Path) -> None:
    key = load_or_create_key(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) == 32
    assert load_or_create_key(key_file) == key


def test_key_readable_by_others_is_refused(key_file: Path) -> None:
    load_or_create_key(key_file)
    key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_key(key_file)


def test_placeholder_key_is_refused(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_text("changeme\n")
    key_file.chmod(0o600)
    with pytest.raises(ConfigError, match="random bytes"):
        load_or_create_key(key_file)


def test_same_person_same_pseudonym_in_both_cpr_spellings() -> None:
    ids = pl.Series("person_id", ["010180-1111", "0101801111", "abc", None])
    out = pseudonymise(ids, b"k" * 32).to_list()
    assert out[0] == out[1] != out[2]
    assert out[3] is None
    assert all(len(v) == 32 for v in out[:3])
    assert pseudonymise(ids, b"q" * 32).to_list()[0] != out[0]


def test_a_cpr_number_read_as_a_number_gets_the_same_pseudonym() -> None:
    # Excel and Parquet make 010180-1111 the number 101801111 (or 101801111.0)
    ids = pl.Series("person_id", ["010180-1111", "101801111", "101801111.0", "1012801111", "101280-1111"])
    out = pseudonymise(ids, b"k" * 32).to_list()
    assert out[0] == out[1] == out[2] != out[3]
    assert out[3] == out[4]


def test_ids_that_are_no_cpr_number_are_hashed_as_they_are() -> None:
    ids = pl.Series("person_id", ["123456789", "0123456789", "101801111.5"])
    out = pseudonymise(ids, b"k" * 32).to_list()
    assert len(set(out)) == 3  # 123456789 is no CPR number (month 23): not zero-padded


def cpr_numbers(small: SmallDelivery) -> set[str]:
    return {r["person_id"] for r in small.persons}


def test_database_file_holds_no_raw_cpr_number(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "delivery"), db, key_file)
    data = db.read_bytes()
    assert len(data) > 10_000
    for cpr in cpr_numbers(small):
        digits = cpr.replace("-", "")
        for form in {cpr, digits, f"{digits[:6]}-{digits[6:]}"}:
            assert form.encode() not in data, f"{form} found in the database file"
    assert not list(tmp_path.glob("*.wal"))


@pytest.mark.slow  # two loads
def test_pseudonyms_are_stable_across_deliveries(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d1"), db, key_file)
    small.persons = [p for p in small.persons if p["year"] == 2021]
    for p in small.persons:
        p["year"] = 2022
    small.reference += [{**r, "year": 2022} for r in small.reference if r["year"] == 2021]
    load(small.write(tmp_path / "d2"), db, key_file)
    con = duckdb.connect(str(db), read_only=True)
    keys = con.execute(
        "SELECT person_key, list(year ORDER BY year) FROM persons GROUP BY person_key"
    ).fetchall()
    con.close()
    # the b-by resident lived there in 2020, 2021 and 2022: one pseudonym across two loads
    assert sorted(len(years) for _, years in keys) == [2, 2, 2, 2, 2, 3]


def test_another_key_is_refused_on_an_existing_database(
    tmp_path: Path, small: SmallDelivery, small_loaded: Path
) -> None:
    db, _ = small_copy(small_loaded, tmp_path)  # `small` loaded with its own key
    folder = small.write(tmp_path / "delivery")
    before = db.read_bytes()
    with pytest.raises(DatabaseError, match="pseudonym key differs"):
        load(folder, db, tmp_path / "other.key")
    assert db.read_bytes() == before
