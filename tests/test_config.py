"""Configuration files as typed models (common/config): problems worded with the key path and a
hint, and the JSON Schemas in docs/schemas/ as the models give them now."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, RootModel

from boligsocial.common.config import Table, check, read_toml, validated
from boligsocial.common.errors import ConfigError

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src" / "boligsocial"


def _schemas() -> Any:
    spec = importlib.util.spec_from_file_location("schemas", ROOT / "scripts" / "schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the helper --------------------------------------------------------------------------------------


class Leaf(Table):
    colour: Literal["groen", "gul", "roed"]
    size: int = 0


class Branch(Table):
    kind: Literal["branch"]
    leaves: list[Leaf]


class Twig(Table):
    kind: Literal["twig"]
    length: float


class Tree(Table):
    name: str
    parts: dict[str, Annotated[Branch | Twig, Field(discriminator="kind")]] = Field(default_factory=dict)
    grouped: dict[Literal["north", "south"], Leaf] = Field(default_factory=dict)


def texts(data: dict[str, Any]) -> list[str]:
    model, issues = check(Tree, data)
    assert model is None
    return [issue.text for issue in issues]


def test_a_valid_file_gives_the_model_and_no_problems() -> None:
    model, issues = check(Tree, {"name": "x", "parts": {"a": {"kind": "twig", "length": 2}}})
    assert issues == [] and model is not None and model.parts["a"] == Twig(kind="twig", length=2.0)


def test_every_problem_is_named_by_its_key_path_through_tables_lists_and_kinds() -> None:
    data = {
        "nmae": "x",
        "parts": {
            "a": {"kind": "branch", "leaves": [{"colour": "groen"}, {"colour": "green", "sise": 1}]},
            "b": {"kind": "twigg"},
            "c": {"kind": "twig", "length": "long"},
        },
        "grouped": {"nord": {"colour": "gul"}},
    }
    assert texts(data) == [
        "name: mangler / is missing",
        "parts.a.leaves[2].colour: ukendt værdi / unknown value: 'green' (tilladt/allowed: groen, gul, "
        "roed); mente du 'groen'? / did you mean 'groen'?",
        "parts.a.leaves[2].sise: ukendt nøgle / unknown key; mente du 'size'? / did you mean 'size'?",
        "parts.b.kind: ukendt værdi / unknown value: 'twigg' (tilladt/allowed: branch, twig); "
        "mente du 'twig'? / did you mean 'twig'?",
        "parts.c.length: skal være et tal / must be a number",
        "grouped.nord: ukendt nøgle / unknown key: 'nord' (tilladt/allowed: north, south); "
        "mente du 'north'? / did you mean 'north'?",
        "nmae: ukendt nøgle / unknown key; mente du 'name'? / did you mean 'name'?",
    ]


def test_an_unknown_key_far_from_every_allowed_one_lists_them_instead() -> None:
    assert texts({"name": "x", "zzz": 1}) == [
        "zzz: ukendt nøgle / unknown key (tilladt/allowed: name, parts, grouped)"
    ]


def test_toml_types_are_taken_as_written() -> None:
    """A number in quotes is text and true is no number: TOML says which is meant."""
    leaf = {"colour": "gul", "size": "3"}
    assert texts(
        {"name": 1, "grouped": {"north": leaf}, "parts": {"a": {"kind": "twig", "length": True}}}
    ) == [
        "name: skal være tekst i anførselstegn / must be text in quotes",
        "parts.a.length: skal være et tal / must be a number",
        "grouped.north.size: skal være et helt tal / must be a whole number",
    ]


def test_one_error_lists_the_file_and_every_problem_under_a_bilingual_title() -> None:
    with pytest.raises(ConfigError) as info:
        validated(Tree, {"parts": {"a": {}}}, "tree.toml", "config.title.mapping")
    assert str(info.value) == (
        "fejl i mappingfilen / mapping file problems:\n"
        "  tree.toml: name: mangler / is missing\n"
        "  tree.toml: parts.a.kind: mangler / is missing"
    )


def test_a_missing_unreadable_or_broken_file_is_one_bilingual_line(tmp_path: Path) -> None:
    what = "config.file.mapping"
    with pytest.raises(ConfigError, match=r"^mappingfilen findes ikke: .* / mapping file not found: "):
        read_toml(tmp_path / "tree.toml", what)
    (tmp_path / "tree.toml").write_bytes(b"name = \xff\n")
    with pytest.raises(ConfigError, match=r"^mappingfilen kan ikke læses / mapping file cannot be read: "):
        read_toml(tmp_path / "tree.toml", what)
    (tmp_path / "tree.toml").write_text("[name\n")
    with pytest.raises(ConfigError, match=r"^tree\.toml: ikke gyldig TOML / not valid TOML: "):
        read_toml(tmp_path / "tree.toml", what)


def test_a_root_table_of_named_tables_has_no_root_in_its_paths() -> None:
    class Forest(RootModel[dict[str, Leaf]]):
        pass

    _, issues = check(Forest, {"oak": {"colour": "rod"}})
    assert [i.path for i in issues] == ["oak.colour"] and issues[0].hint == "roed"


# --- the schemas -------------------------------------------------------------------------------------


def test_the_committed_schemas_are_what_the_models_give_now() -> None:
    """docs/schemas/*.schema.json never drift from the loaders: run `make schemas` after changing a
    configuration model."""
    expected = _schemas().render()
    folder = ROOT / "docs" / "schemas"
    committed = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.schema.json")}
    assert sorted(committed) == sorted(expected), "run `make schemas`"
    stale = [name for name, text in expected.items() if committed[name] != text]
    assert not stale, f"{stale} differ from the models: run `make schemas`"


def test_every_schema_is_named_in_the_page_that_describes_its_file() -> None:
    pages = {
        "ruleset": "lists.md",
        "trafficlight": "lists.md",
        "catalogue": "indicators.md",
        "policy": "access.md",
        "mapping": "delivery.md",
        "municipality": "delivery.md",
    }
    assert sorted(pages) == sorted(_schemas().SCHEMAS)
    for name, page in pages.items():
        assert f"docs/schemas/{name}.schema.json" in (ROOT / "docs" / page).read_text(encoding="utf-8")


SHIPPED = (
    [("ruleset", path) for path in sorted((SRC / "compute" / "rulesets").glob("*.toml"))]
    + [("catalogue", path) for path in sorted((SRC / "compute" / "catalogue").glob("*.toml"))]
    + [
        ("trafficlight", SRC / "compute" / "trafficlight" / "models.toml"),
        ("policy", SRC / "publish" / "disclosure" / "policy.toml"),
    ]
)


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=lambda x: getattr(x, "name", x))
def test_an_editor_checking_a_shipped_file_against_its_schema_finds_nothing(name: str, path: Path) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    schema = json.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []
    misspelled = {**data, "extra_key_nobody_wrote": 1}
    assert not validator.is_valid(misspelled)


def test_the_documented_mapping_and_a_municipality_file_pass_their_schemas_and_loaders() -> None:
    from boligsocial.ingest.mapping import parse_mapping
    from builders import MUNICIPALITY

    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    page = (ROOT / "docs" / "delivery.md").read_text(encoding="utf-8")
    example = page.split("## Mapping file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    for name, text in (("mapping", example), ("municipality", MUNICIPALITY)):
        schema = json.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert jsonschema_rs.validator_for(schema).is_valid(tomllib.loads(text)), name
    assert parse_mapping(tomllib.loads(example)).table("persons").extra == {
        "rent_arrears": "bool",
        "debt_dkk": "number",
    }


_KEYS = st.sampled_from(
    [
        "id",
        "test",
        "lists",
        "settings",
        "udsat",
        "count",
        "requires",
        "history",
        "columns",
        "extra",
        "pseudonymise",
        "persons",
        "csv",
        "indicator",
        "kind",
        "near",
        "default",
        "value",
        "lags",
    ]
)
_TOML = st.recursive(
    st.one_of(st.integers(-3, 3000), st.floats(allow_nan=False), st.booleans(), st.text(max_size=5), _KEYS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.one_of(_KEYS, st.text(max_size=3)), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.one_of(_KEYS, st.text(max_size=3)), _TOML, max_size=5))
def test_whatever_a_file_holds_a_loader_answers_with_its_model_or_a_config_error(
    data: dict[str, Any],
) -> None:
    """The checks across keys read the raw TOML, so they must survive any shape of it."""
    from boligsocial.compute.catalogue import parse_catalogue
    from boligsocial.compute.rulesets import parse_ruleset
    from boligsocial.compute.trafficlight import parse_models
    from boligsocial.ingest.mapping import parse_mapping
    from boligsocial.publish.disclosure import parse_policies

    for parse in (parse_ruleset, parse_catalogue, parse_models, parse_policies, parse_mapping):
        try:
            parse(data, "f.toml")
        except ConfigError as exc:
            assert str(exc).count("\n  f.toml: ") >= 1
