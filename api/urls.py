"""The REST API v1 at /api/v1/: its OpenAPI document at openapi.json, its reference at docs."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import re_path
from ninja import NinjaAPI, Swagger

from . import errors
from .views import announcements, approvals, franchises, posts, results, reviews, series

api = NinjaAPI(
    title="GBP Post Scheduler API",
    version="1",
    description="The scheduler's franchises, posts, announcements, approvals, repeating posts, reviews and results for "
    "other systems. Authenticate with "
    "`Authorization: Bearer <key>` (keys are made on your profile page). Errors always read "
    '`{"errors": [{"field", "message", "code"}]}`. See docs/api.md.',
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # Swagger UI from the package's own files (ninja in INSTALLED_APPS): the CSP allows no CDN. No
    # validator badge: it would send the document's address to an outside service.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
errors.install(api)
api.add_router("", franchises.router)
api.add_router("", posts.router)
api.add_router("", results.router)
api.add_router("", announcements.router)
api.add_router("", approvals.router)
api.add_router("", series.router)
api.add_router("", reviews.router)


# Included by module name (gbp_scheduler/urls.py): ninja's own routes, in its namespace.
def _no_such_path(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other path under /api/v1/: a 404 in the API's error shape, not the site's HTML page."""
    message = "No such path in the API: see /api/v1/openapi.json for the ones there are."
    return JsonResponse({"errors": [errors.error("not_found", message)]}, status=404)


urlpatterns = [*api.urls[0], re_path(r"^(?P<rest>.*)$", _no_such_path, name="no_such_path")]
app_name = api.urls_namespace
