"""Settings of the web application (documented in docs/dashboard.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WebSettings:
    """Settings of one installation.

    - `basemap_url`: optional WMS GetMap URL template with {bbox}, {width}, {height} (EPSG:25832),
      drawn under the areas; off (None) by default, so no request leaves the app.
    - `access_db`: the users/sessions/audit file (default `<db>.access.sqlite`).
    - `anonymous`: "off" (default: everyone logs in) or "public" (a public view, strictest policy).
    - `secure_cookies`: session cookies only over HTTPS (browsers accept them on localhost too).
    - `throttle_failures` failed logins per user name or address within `throttle_seconds` lock
      further attempts for that window.
    - `policy_file`: the installation's own disclosure policy (overrides policy.toml).
    """

    basemap_url: str | None = None
    default_language: str = "da"
    access_db: Path | None = None
    anonymous: str = "off"
    secure_cookies: bool = True
    throttle_failures: int = 5
    throttle_seconds: int = 900
    policy_file: Path | None = None

    def __post_init__(self) -> None:
        if self.anonymous not in ("off", "public"):
            raise ValueError("anonymous must be 'off' or 'public'")
