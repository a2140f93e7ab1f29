"""Access control: the access store (`store`, one SQLite file: `storefile` with its generation,
`users` and roles, `logins` and their throttling, `sessions` and API tokens, the `audittrail`),
the password policy (`passwords`), and the hash-chained audit log (`auditlog`)."""

from boligsocial.publish.access.audittrail import EVENTS
from boligsocial.publish.access.logins import Throttle
from boligsocial.publish.access.sessions import SESSION_SECONDS, TOKEN_DAYS
from boligsocial.publish.access.store import Access, default_access_path
from boligsocial.publish.access.users import ROLES, User

__all__ = [
    "EVENTS",
    "ROLES",
    "SESSION_SECONDS",
    "TOKEN_DAYS",
    "Access",
    "Throttle",
    "User",
    "default_access_path",
]
