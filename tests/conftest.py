"""Shared fixtures: the small hand-built delivery and a per-test key file."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import SmallDelivery


@pytest.fixture
def small() -> SmallDelivery:
    return SmallDelivery()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "secret" / "pseudonym.key"
