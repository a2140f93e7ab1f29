"""The web application: one FastAPI app (`app`) with the JSON API under /api/v1 (`api`) and the
pages (`pages`), behind login (`auth`).

Pages are server-rendered shells whose scripts draw from the same API, so a figure on a page is
always the figure the API gives. Every script, style and font is served by the app itself.
"""

from boligsocial.outputs.web.app import STATIC, SecurityHeaders, create_app, error, prepare

__all__ = ["STATIC", "SecurityHeaders", "create_app", "error", "prepare"]
