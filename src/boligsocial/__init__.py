"""boligsocial monitorering (BSM): a municipality's delivery in, checked and pseudonymised; figures,
the state's lists, moves and traffic lights per area and year; published per audience through the
disclosure step (docs/architecture.md draws the rooms)."""

from importlib.metadata import version as _v

__version__ = _v("boligsocial")
