"""Write the JSON Schema of every configuration file into docs/schemas/ (`make schemas`).

The schemas come from the pydantic models the loaders read the files with, so they say what a
loader accepts; tests/test_config.py fails when a committed schema differs from what the models
give now. Editors check a municipality's own file against them (each file's page in docs/ says
which).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from boligsocial.common.config import json_schema
from boligsocial.compute.catalogue.loader import CatalogueFile
from boligsocial.compute.rulesets.loader import RuleSetFile
from boligsocial.compute.trafficlight.colours import ModelsFile
from boligsocial.ingest.mapping import MappingFile
from boligsocial.ingest.municipality import MunicipalityFile
from boligsocial.publish.disclosure.policy import PolicyFile

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "schemas"
#: docs/schemas/<name>.schema.json for each configuration file's model.
SCHEMAS: dict[str, type[BaseModel]] = {
    "ruleset": RuleSetFile,
    "catalogue": CatalogueFile,
    "trafficlight": ModelsFile,
    "policy": PolicyFile,
    "mapping": MappingFile,
    "municipality": MunicipalityFile,
}


def render() -> dict[str, str]:
    """Each schema file's name and text, as committed."""
    return {
        f"{name}.schema.json": json.dumps(json_schema(model), indent=2, ensure_ascii=False) + "\n"
        for name, model in SCHEMAS.items()
    }


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (FOLDER / name).write_text(text, encoding="utf-8")
        print(FOLDER / name, file=sys.stderr)


if __name__ == "__main__":
    main()
