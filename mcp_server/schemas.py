"""The tools' arguments that are objects: a post's content (the API's fields, from
posts/content.py through api/schemas.py: nothing listed twice) and a draft's confirmation."""

from __future__ import annotations

import copy
import uuid

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from api.schemas import PostPreview
from posts import content
from posts.brand import LABELS


class _Strict(BaseModel):
    # A misspelled field is refused by name rather than dropped: an agent learns its mistake.
    model_config = ConfigDict(extra="forbid")


def _described(name: str, field: FieldInfo) -> FieldInfo:
    """The API's field, described as an agent needs it: what it is, and which post types carry it."""
    described = copy.copy(field)
    types = ", ".join(content.FIELD[name].topics)
    described.description = f"{LABELS.get(name, name.replace('_', ' ')).capitalize()} (in {types} posts)."
    return described


PostContent = create_model(
    "PostContent",
    __base__=_Strict,
    __doc__="A post's content: `summary` (the text) is required; the rest depend on `topic_type`.",
    **{
        name: (field.annotation, _described(name, field))
        for name, field in PostPreview.model_fields.items()
        if name != "franchise_id"
    },
)


class DraftConfirmation(_Strict):
    post_id: uuid.UUID
    preview_token: str = Field(..., max_length=2000, description="preview_post's token for this draft, as it is now.")
