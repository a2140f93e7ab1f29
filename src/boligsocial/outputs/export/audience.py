"""Who a file is published for: an explicit audience (a role), by default the requester's own.

A file leaves the system, so it is published for the audience it is meant for, and someone may ask
only for their own role's audience or a stricter one (`notes.at_least_as_strict`): an analyst may
make a file for staff or the public, an admin (the default policy) never one with the analyst's
exact counts.
"""

from __future__ import annotations

from boligsocial.common.errors import InvalidParameter, RequestError
from boligsocial.outputs.export.notes import at_least_as_strict
from boligsocial.publish.disclosure import AUDIENCE_OF_ROLE, Policy
from boligsocial.publish.service import Viewer


class AudienceRefused(RequestError):
    """The requester asked for an audience that would see more than the requester's own role."""

    status = 403


def check_role(role: str) -> str:
    """`role` if it names an audience; `InvalidParameter` (unknown-audience) otherwise."""
    if role not in AUDIENCE_OF_ROLE:
        raise InvalidParameter(
            "unknown-audience",
            f"unknown audience '{role}'",
            {"allowed": sorted(AUDIENCE_OF_ROLE)},
            params={"role": role},
        )
    return role


def viewer_of(role: str, policies: dict[str, Policy]) -> Viewer:
    """The viewer a file for `role` is published for, with the installation's policy of that role."""
    return Viewer(check_role(role), policies[AUDIENCE_OF_ROLE[role]])


def allowed_audiences(policy: Policy, policies: dict[str, Policy]) -> list[str]:
    """The roles whose files someone reading with `policy` may ask for."""
    return sorted(r for r, name in AUDIENCE_OF_ROLE.items() if at_least_as_strict(policies[name], policy))


def audience_for(requester: Viewer, audience: str | None, policies: dict[str, Policy]) -> Viewer:
    """The viewer a requester's file is published for: the requester's own role unless `audience`
    names another, which must be at least as strict (403 `audience-not-allowed` otherwise). A file
    for another role is published with that role's policy and without the requester's
    organisation (a housing association's areas are its own)."""
    if audience is None or audience == requester.role:
        return requester
    wanted = viewer_of(audience, policies)
    if not at_least_as_strict(wanted.policy, requester.policy):
        raise AudienceRefused(
            "audience-not-allowed",
            f"the role '{requester.role}' may not make files for the audience '{audience}': its policy "
            f"'{wanted.policy.name}' shows figures that the policy '{requester.policy.name}' hides",
            {"allowed": allowed_audiences(requester.policy, policies)},
            params={
                "role": requester.role,
                "audience": audience,
                "policy": wanted.policy.name,
                "own": requester.policy.name,
            },
        )
    return Viewer(wanted.role, wanted.policy, requester.username)
