"""Settings of the web application (documented in docs/dashboard.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebSettings:
    """`basemap_url`: optional WMS GetMap URL template with {bbox}, {width}, {height} (EPSG:25832),
    drawn under the areas; off (None) by default, so no request leaves the app."""

    basemap_url: str | None = None
    default_language: str = "da"
