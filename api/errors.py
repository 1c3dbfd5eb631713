"""Every error of the API in one shape: {"errors": [{"field", "message", "code"}]}.

`field` names the request's field the problem belongs to (null when it is the whole request),
`message` says what to do in words, `code` is stable for programs: `invalid` (and pydantic's own
codes such as `missing`) for a malformed field, `brand.<rule>` for a rule of posts/brand.py,
`refused` for an action the post's state does not allow now, `changed` when someone saved first,
`not_found` (another tenant's objects too), `forbidden`, `read_only_key`, `unauthenticated`,
`rate_limited`, `idempotency_mismatch`, `idempotency_in_progress`, `malformed` (a body that is not JSON)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from posts.brand import Problem
from posts.services import PostActionError, PostChangedError


class ErrorItem(Schema):
    field: str | None
    message: str
    code: str


class ErrorOut(Schema):
    errors: list[ErrorItem]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.items, self.headers = status, [error(code, message, field=field)], headers or {}

    @classmethod
    def many(cls, status: int, items: list[dict]) -> ApiError:
        made = cls(status, "", "")
        made.items = items
        return made


def error(code: str, message: str, *, field: str | None = None) -> dict:
    return {"field": field, "message": message, "code": code}


def brand_errors(problems: list[Problem]) -> ApiError:
    return ApiError.many(422, [error(f"brand.{p.rule}", p.message, field=p.field) for p in problems])


def validation_errors(exc: DjangoValidationError) -> ApiError:
    if hasattr(exc, "error_dict"):
        items = [
            error(item.code or "invalid", " ".join(item.messages), field=None if name == "__all__" else name)
            for name, found in exc.error_dict.items()
            for item in found
        ]
    else:
        items = [error(item.code or "invalid", " ".join(item.messages)) for item in exc.error_list]
    return ApiError.many(422, items)


def _field_of(location: tuple) -> str | None:
    """Pydantic's location of a problem as the field a client sent: ("body", "payload", "summary")
    is "summary", ("query", "status") is "status"."""
    names = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    if names and names[0] == "payload":
        names = names[1:]
    return ".".join(names) or None


def install(api: NinjaAPI) -> None:
    """Register the handlers that give every error the one shape."""

    def answer(request: HttpRequest, status: int, items: list[dict], headers: dict | None = None) -> HttpResponse:
        response = api.create_response(request, {"errors": items}, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return answer(request, exc.status, exc.items, exc.headers)

    @api.exception_handler(NinjaValidationError)
    def _malformed(request, exc: NinjaValidationError):
        items = [
            error(e.get("type", "invalid"), e.get("msg", "Not valid."), field=_field_of(tuple(e.get("loc", ()))))
            for e in exc.errors
        ]
        return answer(request, 422, items)

    @api.exception_handler(DjangoValidationError)
    def _invalid(request, exc: DjangoValidationError):
        return answer(request, 422, validation_errors(exc).items)

    @api.exception_handler(PostChangedError)
    def _changed(request, exc: PostChangedError):
        return answer(request, 409, [error("changed", str(exc))])

    @api.exception_handler(PostActionError)
    def _refused(request, exc: PostActionError):
        return answer(request, 409, [error("refused", str(exc))])

    @api.exception_handler(Http404)
    def _not_found(request, exc: Http404):
        return answer(request, 404, [error("not_found", "Not found: it does not exist, or this key cannot see it.")])

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc: PermissionDenied):
        return answer(request, 403, [error("forbidden", str(exc) or "Not allowed.")])

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        code = "malformed" if exc.status_code == 400 else "invalid"
        message = "The body is not JSON: send Content-Type: application/json and a JSON object."
        return answer(request, exc.status_code, [error(code, message if code == "malformed" else str(exc))])

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc: AuthenticationError):
        message = "Send a valid API key: Authorization: Bearer <key> (made on your profile page)."
        return answer(request, 401, [error("unauthenticated", message)], {"WWW-Authenticate": "Bearer"})
