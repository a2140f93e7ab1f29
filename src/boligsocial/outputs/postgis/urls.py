"""The database's URL in what the tool says: its password masked (`masked`), or scrubbed from a
server's error text in every form it may take there (`scrub`)."""

from __future__ import annotations

import re
from contextlib import suppress
from urllib.parse import unquote, urlsplit


def masked(url: str) -> str:
    """`url` with its password (in the URL or as a `password=` parameter) replaced by ***."""
    out = re.sub(r"^([a-z][a-z0-9+.-]*://[^/?#@:]*):[^/?#]*@", r"\1:***@", url, flags=re.IGNORECASE)
    return re.sub(r"(password\s*=\s*)('[^']*'|[^&\s]*)", r"\1***", out, flags=re.IGNORECASE)


def scrub(text: str, url: str) -> str:
    """`text` with every form of the password in `url` replaced by ***."""
    secrets = set(re.findall(r"password\s*=\s*'?([^&\s']+)", url, flags=re.IGNORECASE))
    with suppress(ValueError):
        secrets.add(urlsplit(url).password or "")
    for secret in sorted(secrets | {unquote(s) for s in secrets}, key=len, reverse=True):
        if len(secret) >= 2:
            text = text.replace(secret, "***")
    return text
