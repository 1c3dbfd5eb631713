"""The tools' arguments that are objects: a post's content (the API's fields, from
posts/content.py through api/schemas.py: nothing listed twice) and a draft's confirmation."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.schemas import PostPreview


class _Strict(BaseModel):
    # A misspelled field is refused by name rather than dropped: an agent learns its mistake.
    model_config = ConfigDict(extra="forbid")


PostContent = create_model(
    "PostContent",
    __base__=_Strict,
    __doc__="A post's content: `summary` (the text) is required; the rest depend on `topic_type`.",
    **{name: (field.annotation, field) for name, field in PostPreview.model_fields.items() if name != "franchise_id"},
)


class DraftConfirmation(_Strict):
    post_id: uuid.UUID
    preview_token: str = Field(..., max_length=2000, description="preview_post's token for this draft, as it is now.")
