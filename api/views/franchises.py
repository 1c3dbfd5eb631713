"""/api/v1/franchises: the franchises a key reaches; headquarters adds and changes them."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from ninja import Router
from ninja.responses import Status

from franchises.selectors import user_is_headquarters
from franchises.services import (
    FranchiseError,
    franchise_active_set,
    franchise_create,
    franchise_rename,
    franchise_settings_update,
)

from ..auth import READ, WRITE
from ..errors import ApiError, ErrorOut
from ..idempotency import idempotent
from ..schemas import FranchiseCreate, FranchiseOut, FranchiseUpdate
from ..selectors import franchise_get_for_key, franchises_for_key

router = Router(tags=["franchises"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _headquarters_only(request, what: str) -> None:
    if not user_is_headquarters(request.auth.user):
        raise PermissionDenied(f"Only headquarters can {what}.")


@router.get("/franchises", auth=READ, response={200: list[FranchiseOut], **ERRORS}, operation_id="franchises_list")
def franchises_list(request):
    """Every franchise the key reaches, by name."""
    return list(franchises_for_key(key=request.auth).order_by("name", "pk"))


@router.get(
    "/franchises/{franchise_id}", auth=READ, response={200: FranchiseOut, **ERRORS}, operation_id="franchises_read"
)
def franchises_read(request, franchise_id: uuid.UUID):
    return franchise_get_for_key(key=request.auth, franchise_id=franchise_id)


@router.post("/franchises", auth=WRITE, response={201: FranchiseOut, **ERRORS}, operation_id="franchises_create")
@idempotent
def franchises_create(request, payload: FranchiseCreate):
    """Add a franchise (headquarters only)."""
    _headquarters_only(request, "add franchises")
    fields = payload.model_dump(exclude_none=True)
    return Status(201, franchise_create(actor=request.auth.user, **fields))


@router.patch(
    "/franchises/{franchise_id}",
    auth=WRITE,
    response={200: FranchiseOut, **ERRORS},
    operation_id="franchises_update",
)
def franchises_update(request, franchise_id: uuid.UUID, payload: FranchiseUpdate):
    """Rename, (de)activate or change the settings of a franchise (headquarters only); only the
    fields sent change."""
    franchise = franchise_get_for_key(key=request.auth, franchise_id=franchise_id)
    _headquarters_only(request, "change franchises")
    fields = payload.model_dump(exclude_unset=True)
    name, active = fields.pop("name", None), fields.pop("is_active", None)
    try:
        with transaction.atomic():
            if name is not None:
                franchise = franchise_rename(franchise=franchise, name=name, actor=request.auth.user)
            if fields:
                franchise = franchise_settings_update(
                    franchise=franchise, **{k: v for k, v in fields.items() if v is not None}
                )
    except FranchiseError as exc:
        raise ApiError(409, "refused", str(exc)) from None
    if active is not None:
        try:
            franchise_active_set(franchise=franchise, active=active, actor=request.auth.user)
        except FranchiseError as exc:
            raise ApiError(409, "refused", str(exc)) from None
    return franchise_get_for_key(key=request.auth, franchise_id=franchise_id)
