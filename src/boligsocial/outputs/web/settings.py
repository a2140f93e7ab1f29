"""Settings of the web application and of `bsm serve` (documented in docs/dashboard.md).

Two layers, one contract:

- `WebSettings` is what the application takes, whole (`create_app(db, settings)`). It is checked
  when it is made and cannot change afterwards, and it reads the installation's disclosure policy
  file right then, once: a bad value or a broken policy stops the start, never a later request,
  and `app.state.policies` is exactly what was read.
- `ServeSettings` is what `bsm serve` is told: each option given on the command line, else its
  `BSM_…` environment variable (for container deployments), else the default. `ServeSettings.load`
  turns every invalid value into one Danish/English message naming the option or the variable it
  came from; `.web()` makes the `WebSettings`.

`WebSettings` reads no environment on purpose: code and tests that construct it get exactly what
they pass, whatever the shell around them exports.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    PositiveInt,
    PrivateAttr,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from boligsocial.common.config import allowed_text
from boligsocial.common.errors import ConfigError
from boligsocial.common.words import both
from boligsocial.publish.disclosure import Policy, load_policies

Anonymous = Literal["off", "public"]
Language = Literal["da", "en"]
#: Where `bsm serve` reads its settings from the environment: BSM_DB, BSM_HOST, BSM_PORT, …
ENV_PREFIX = "BSM_"


def _check_basemap_url(url: str) -> str:
    """A base-map template must be an http(s) URL with a host (the Content-Security-Policy allows
    exactly that origin) and a {bbox} to follow the map."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "{bbox}" not in url:
        raise ValueError("expected http(s)://host/…?…{bbox}…")
    return url


BasemapUrl = Annotated[str, AfterValidator(_check_basemap_url)]


def _check_proxy(value: str) -> str:
    """A trusted proxy: an IP address or a network (CIDR), as uvicorn's forwarded_allow_ips takes."""
    ipaddress.ip_network(value.strip(), strict=False)  # ValueError for anything else
    return value.strip()


Proxy = Annotated[str, AfterValidator(_check_proxy)]


def _read_policies(path: Path | None) -> dict[str, Policy]:
    """The shipped policies overridden by the installation's file (`load_policies` refuses a
    missing or unreadable file, bad TOML, unknown keys and bad values, every problem at once)."""
    return load_policies(path)


class WebSettings(BaseModel):
    """Settings of one installation, as the application uses them.

    - `basemap_url`: optional WMS GetMap URL template with {bbox}, {width}, {height} (EPSG:25832),
      drawn under the areas; off (None) by default, so no request leaves the app.
    - `default_language`: "da" or "en".
    - `access_db`: the users/sessions/audit file (default `<db>.access.sqlite`).
    - `anonymous`: "off" (default: everyone logs in) or "public" (a public view, strictest policy).
    - `secure_cookies`: session cookies only over HTTPS (browsers accept them on localhost too);
      also turns on Strict-Transport-Security.
    - `throttle_failures` failed logins of one account within `throttle_seconds` lock that
      account for 30 s, doubling with each further failure up to `throttle_seconds`;
      `throttle_address_failures` from one address (a town hall's NAT) lock the address for
      `throttle_seconds`; an admin can unlock an account (`bsm users unlock`).
    - `audit_retention_days`: audit records older than this are removed when the app starts
      (None: kept for ever).
    - `answer_cache_mb`: the bound of the API's answer cache (least recently used go first).
    - `export_workers` exports run at once (the rest queue); `exports_per_user` queued or running
      per user (429 `export-busy` beyond).
    - `policy_file`: the installation's own disclosure policy (overrides policy.toml); read once,
      when the settings are made, into `policies`.

    An invalid value raises pydantic's `ValidationError` (a `ValueError`); a policy file that is
    missing or does not parse raises `ConfigError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    basemap_url: BasemapUrl | None = None
    default_language: Language = "da"
    access_db: Path | None = None
    anonymous: Anonymous = "off"
    secure_cookies: bool = True
    throttle_failures: PositiveInt = 5
    throttle_address_failures: PositiveInt = 50
    throttle_seconds: PositiveInt = 900
    audit_retention_days: PositiveInt | None = 5 * 365
    answer_cache_mb: PositiveInt = 256
    export_workers: PositiveInt = 1
    exports_per_user: PositiveInt = 2
    policy_file: Path | None = None

    _policies: dict[str, Policy] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._policies = _read_policies(self.policy_file)

    @property
    def policies(self) -> dict[str, Policy]:
        """The disclosure policy of each audience: shipped, overridden by `policy_file`."""
        return self._policies


#: The `bsm serve` option of each `ServeSettings` field (its variable is ENV_PREFIX + FIELD).
OPTION = {
    "db": "--db",
    "host": "--host",
    "port": "--port",
    "basemap_url": "--basemap-url",
    "access_db": "--access-db",
    "anonymous": "--anonymous",
    "secure_cookies": "--secure-cookies/--insecure-cookies",
    "policy": "--policy",
    "trusted_proxies": "--trusted-proxy",
    "audit_retention_days": "--audit-retention-days",
}
#: What a field accepts, for the error message.
ALLOWED = {
    "port": "1–65535",
    "anonymous": ", ".join(get_args(Anonymous)),
    "secure_cookies": "true, false, 1, 0, yes, no, on, off",
    "basemap_url": "http(s)://host/…?…{bbox}…",
    "host": both("system.allowed_address"),
    "trusted_proxies": both("system.allowed_networks"),
    "audit_retention_days": "1–36500",
}


class ServeSettings(BaseSettings):
    """What `bsm serve` runs with: an explicit option, else `BSM_<FIELD>`, else the default.

    Environment variables: BSM_DB, BSM_HOST, BSM_PORT, BSM_BASEMAP_URL, BSM_ACCESS_DB,
    BSM_ANONYMOUS, BSM_SECURE_COOKIES (true/false), BSM_POLICY, BSM_TRUSTED_PROXIES (comma-separated),
    BSM_AUDIT_RETENTION_DAYS. An empty variable counts as unset.

    `trusted_proxies`: the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    (the client address that throttling and the audit log use); none by default, so a visitor
    cannot choose the address it is throttled and logged under.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="forbid"
    )

    db: Path
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=1, le=65535)
    basemap_url: BasemapUrl | None = None
    access_db: Path | None = None
    anonymous: Anonymous = "off"
    secure_cookies: bool = True
    policy: FilePath | None = None
    trusted_proxies: Annotated[list[Proxy], NoDecode] = Field(default_factory=list)
    audit_retention_days: int = Field(5 * 365, ge=1, le=36500)

    _given: frozenset[str] = PrivateAttr(default=frozenset())

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """BSM_TRUSTED_PROXIES is comma-separated."""
        return [v for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @classmethod
    def load(cls, given: Mapping[str, Any]) -> ServeSettings:
        """The settings from the options given on the command line (`given`, by field name; leave
        out those not given) and the environment. Raises ConfigError listing every bad value."""
        try:
            settings = cls(**given)
        except PydanticValidationError as exc:
            problems = [_problem(e, source_of(str(e["loc"][0]), given)) for e in exc.errors()]
            raise ConfigError("\n".join(problems)) from None
        settings._given = frozenset(given)
        return settings

    def web(self) -> WebSettings:
        """The application's settings; reads the policy file (once)."""
        try:
            return WebSettings(
                basemap_url=self.basemap_url,
                access_db=self.access_db,
                anonymous=self.anonymous,
                secure_cookies=self.secure_cookies,
                policy_file=self.policy,
                audit_retention_days=self.audit_retention_days,
            )
        except ConfigError as exc:
            src = source_of("policy", self._given)
            raise ConfigError(f"{both('system.setting_bad_policy', source=src)}: {exc}") from None


def source_of(field: str, given: Mapping[str, object] | frozenset[str]) -> str:
    """Where a field's value came from: its option if given on the command line, else its
    environment variable."""
    return OPTION.get(field, field) if field in given else ENV_PREFIX + field.upper()


def _problem(error: ErrorDetails, src: str) -> str:
    """One bad value as one line, in Danish and English."""
    field, value = str(error["loc"][0]), error.get("input")
    if error["type"] == "missing":
        option, env = OPTION[field], ENV_PREFIX + field.upper()
        return both("system.setting_missing", option=option, env=env)
    if error["type"] == "path_not_file":
        return f"{both('system.setting_no_file', source=src)}: {str(value)!r}"
    if error["type"] == "extra_forbidden":
        return f"{both('system.setting_unknown')}: {field}"
    allowed = ALLOWED.get(field, error["msg"])
    if error["type"] == "literal_error":
        return f"{both('system.setting_unknown_value', source=src)}: {value!r} {allowed_text(allowed)}"
    return f"{both('system.setting_invalid_value', source=src)}: {value!r} {allowed_text(allowed)}"
