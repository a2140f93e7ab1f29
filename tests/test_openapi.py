"""The API against its own OpenAPI description, by schemathesis: requests generated from the
description (parameters of every type, odd Unicode, edge values) for every operation, and each
answer checked against what the description promises (no server error, status codes and error
bodies as described, the content types it names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from boligsocial.outputs.web import create_app
from boligsocial.outputs.web.schemas import ErrorBody
from boligsocial.outputs.web.settings import WebSettings

#: The codes a request that fits the description may still get: they depend on what the database
#: holds (its data, list, move and forecast years, what a policy publishes) or on a job's state,
#: which a description made once cannot name.
DEPENDS_ON_THE_DATA = {
    "year-out-of-range",
    "list-year-out-of-range",
    "move-year-out-of-range",
    "forecast-year-out-of-range",
    "filter-not-published",
    "export-not-ready",
}
#: Operations that make files (their jobs take seconds each): checked with fewer examples.
SLOW = ("/export", "/exports", "values.csv")


@pytest.fixture(scope="module")
def api(example_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    app = create_app(example_db, WebSettings(access_db=tmp_path_factory.mktemp("st") / "access.sqlite"))
    app.state.access.add_user("analyst", "analyst", "password-analyst", weak_password_ok=True)
    return app, app.state.access.new_token("analyst", "schemathesis")


@pytest.mark.slow  # hundreds of generated requests
def test_every_operation_answers_as_its_description_says(api: tuple[Any, str]) -> None:
    app, token = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # every endpoint of the API is described

    for operation in operations:
        slow = any(s in operation.path for s in SLOW)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3 if slow else 25,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: a failure here is reproducible
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers, timeout=600)  # a PDF takes seconds
            label = case.operation.label
            case.validate_response(response, headers=headers, excluded_checks=[positive_data_acceptance])
            if response.status_code >= 400:
                body = ErrorBody.model_validate(response.json())
                if response.status_code == 422:  # a request that fits the description
                    assert body.error.code in DEPENDS_ON_THE_DATA, (label, response.text)

        try:
            check()
        except BaseException as problem:  # schemathesis raises groups of failures
            if isinstance(problem, KeyboardInterrupt):
                raise
            inner = getattr(problem, "exceptions", ())
            failures.append(f"{operation.label}: {str(problem)[:800]} {[str(e)[:800] for e in inner]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow  # every endpoint as every role, the moves' among them: builds their protection
def test_every_role_gets_answers_in_the_shapes_the_description_names(web: Any) -> None:
    """Schemathesis asks as an analyst, who sees exact figures; the other roles' answers carry
    hidden cells (nulls with their state) and a housing association's withheld rows: each is
    validated against its endpoint's model too."""
    from pydantic import TypeAdapter

    from boligsocial.outputs.web import schemas
    from conftest import ROLES, client_for

    app, _ = web
    spec = app.openapi()
    admin = client_for(web, "admin")
    meta = admin.get("/api/v1/meta").json()
    area = admin.get("/api/v1/layers/omraade/areas").json()["features"][0]["id"]
    asked = {
        "/me": schemas.Me,
        "/meta": schemas.Meta,
        "/layers/omraade/areas": schemas.AreaCollection,
        "/layers/omraade/values?indicator=residents": schemas.Values,
        f"/layers/omraade/values?indicator={meta['indicators'][-1]['id']}": schemas.Values,
        f"/layers/omraade/areas/{area}/series?indicator=residents": schemas.Series,
        f"/layers/omraade/areas/{area}/breakdown": schemas.Breakdown,
        f"/layers/omraade/areas/{area}/profile": schemas.Profile,
        "/lists": list[schemas.ListRow],
        "/lists/disagreements": list[schemas.Disagreement],
        "/lists/watch": list[schemas.WatchRow],
        "/lists/changes": list[schemas.WatchRow],
        "/forecast": list[schemas.ForecastRow],
        "/traffic-lights": list[schemas.TrafficLight],
        "/moves/flows": list[schemas.Flow],
        "/moves/flows?by=housing_type": list[schemas.Flow],
        f"/layers/omraade/areas/{area}/moves": schemas.AreaMoves,
        f"/layers/omraade/areas/{area}/displacement": list[schemas.Displaced],
        "/tokens": list[schemas.TokenInfo],
        "/audit?limit=50": list[schemas.AuditRecord],
    }
    validated = 0
    for role in ROLES:
        c = client_for(web, role)
        for path, model in asked.items():
            response = c.get("/api/v1" + path)
            if response.status_code == 403:  # not this role's (the audit log, another's area)
                continue
            assert response.status_code == 200, (role, path, response.text[:300])
            TypeAdapter(model).validate_python(response.json())
            validated += 1
    assert validated >= len(asked) * (len(ROLES) - 1)
    # and the description names those models for the endpoints
    described = spec["paths"]["/api/v1/lists"]["get"]["responses"]["200"]["content"]["application/json"]
    assert described["schema"]["items"]["$ref"].endswith("/ListRow")
    assert "properties" in spec["components"]["schemas"]["Flow"]
    assert "from" in spec["components"]["schemas"]["Flow"]["properties"]
