"""The example municipality: a complete, realistic, synthetic delivery for Fjordby Kommune.

`generate` writes every file of the data contract (areas, addresses, persons year by year,
reference figures, moves, official lists) deterministically from a seed, for demos and tests.
"""

from boligsocial.example.delivery import generate

__all__ = ["generate"]
