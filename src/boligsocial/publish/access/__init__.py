"""Access control: users, roles, sessions, API tokens and login throttling in the access store
(`store`), the password policy (`passwords`), and the hash-chained audit log (`auditlog`)."""

from boligsocial.publish.access.store import (
    EVENTS,
    ROLES,
    SESSION_SECONDS,
    TOKEN_DAYS,
    Access,
    Throttle,
    User,
    default_access_path,
)

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
