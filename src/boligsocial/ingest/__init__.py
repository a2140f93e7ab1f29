"""Ingest: a municipality's files read as they are (`sources`, with its own column names and codes
through `mapping`), checked against the contract (`validate`, with `declarations` for
what the mapping declares beyond it and `rules` for persons and references, `municipality` for
municipality.toml, `cpr` for anything shaped like a CPR number), and the person keys replaced by
pseudonyms (`pseudonym`). Import from the modules; nothing is here."""
