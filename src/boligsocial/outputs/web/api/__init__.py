"""The JSON API, version 1 (`router`): the endpoints by concept (`layers`, `exports`, `areas`,
`lists`, `moves`, `accounts`), what they share (`reading`), and the router they make (`router`)."""

from boligsocial.outputs.web.api.router import router

__all__ = ["router"]
