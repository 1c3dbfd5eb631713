"""The MCP server: its tools, as an agent reads them (names, descriptions, JSON schemas), each
run for the API key of the request (`KEY`, set by the view) by tools.py.

The tools are async only to hand their work to Django: `sync_to_async(thread_sensitive=True)`
runs it in the request's own thread (views.py drives the SDK through `async_to_sync`), so the ORM
uses the request's database connection."""

from __future__ import annotations

import datetime as dt
import uuid
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from asgiref.sync import sync_to_async
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import ToolAnnotations
from pydantic import AwareDatetime, Field, ValidationError

from api.models import ApiKey
from posts.models import Post

from . import tools
from .schemas import DraftConfirmation, PostContent

KEY: ContextVar[ApiKey] = ContextVar("mcp_api_key")

INSTRUCTIONS = """The GBP Post Scheduler: franchises' posts on their Google Business Profiles.
Nothing is written without a preview first: call preview_post with the content (or a post_id) and
the time, show the person what Google would show and the problems, then pass its preview_token to
draft_post, schedule_post or approve_drafts. A token confirms exactly what was previewed: any change
to the content, franchise or time needs a new preview. Times are ISO 8601 with a zone offset."""


class Server(MCPServer):
    async def call_tool(self, name: str, arguments: dict[str, Any], context=None):
        """Arguments the schema refuses, said field by field (pydantic's own text carries a link
        and the input's repr); a tool's refusal as its words."""
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ToolError):  # a refusal of tools.py, without the SDK's prefix
                raise ToolError(str(cause)) from cause
            if isinstance(cause, ValidationError):
                raise ToolError(f"{name}: {_arguments_refused(cause)}") from cause
            raise


def _arguments_refused(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{where}: {error['msg']}")
    return "Arguments not valid: " + "; ".join(parts) + "."


server = Server(name="gbp-post-scheduler", title="GBP Post Scheduler", instructions=INSTRUCTIONS)

READ = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True)


async def _run(fn, **kwargs):
    try:
        return await sync_to_async(fn, thread_sensitive=True)(key=KEY.get(), **kwargs)
    except tools.Refused as exc:
        raise ToolError(str(exc)) from None


def _fields(post: PostContent | None) -> dict | None:
    return None if post is None else post.model_dump(exclude_none=True)


FranchiseId = Annotated[uuid.UUID, Field(description="A franchise's id, from list_franchises.")]
PostId = Annotated[uuid.UUID, Field(description="A post's id, from list_posts or get_post.")]
Token = Annotated[str, Field(max_length=2000, description="The preview_token preview_post returned for exactly this.")]
When = Annotated[AwareDatetime, Field(description="When it goes out: ISO 8601 with a zone offset.")]
Content = Annotated[PostContent, Field(description="The post's content; `summary` is its text.")]


@server.tool(annotations=READ, structured_output=True)
async def list_franchises() -> dict[str, Any]:
    """The franchises (business locations) this key reaches, by name: ids, names, time zones,
    whether each is connected to Google."""
    return await _run(tools.list_franchises)


@server.tool(annotations=READ, structured_output=True)
async def list_posts(
    franchise_id: Annotated[uuid.UUID | None, Field(description="Only this franchise's posts.")] = None,
    status: Annotated[Literal[tuple(Post.Status.values)] | None, Field(description="Only posts in this state.")] = None,  # type: ignore[valid-type]
    source: Annotated[Literal[tuple(Post.Source.values)] | None, Field(description="manual or ai (AI drafts).")] = None,  # type: ignore[valid-type]
    day_from: Annotated[dt.date | None, Field(description="First day (in each franchise's zone), YYYY-MM-DD.")] = None,
    day_to: Annotated[dt.date | None, Field(description="Last day, included.")] = None,
    limit: Annotated[int, Field(ge=1, le=100, description="Posts per page.")] = 20,
    cursor: Annotated[str | None, Field(max_length=200, description="next_cursor of the page before.")] = None,
) -> dict[str, Any]:
    """The posts this key reaches, newest first by the time shown (drafts without a time first), a
    page at a time: pass next_cursor back as cursor for the next page."""
    return await _run(
        tools.list_posts,
        franchise_id=franchise_id,
        status=status,
        source=source,
        day_from=day_from,
        day_to=day_to,
        limit=limit,
        cursor=cursor,
    )


@server.tool(annotations=READ, structured_output=True)
async def get_post(post_id: PostId) -> dict[str, Any]:
    """One post: its content, state, planned or published time, Google's state and last error."""
    return await _run(tools.get_post, post_id=post_id)


@server.tool(annotations=READ, structured_output=True)
async def preview_post(
    franchise_id: Annotated[uuid.UUID | None, Field(description="For new content: its franchise.")] = None,
    post: Annotated[PostContent | None, Field(description="For new content: the post's content.")] = None,
    post_id: Annotated[uuid.UUID | None, Field(description="Or an existing post to preview as it is.")] = None,
    scheduled_at: Annotated[
        AwareDatetime | None,
        Field(description="The time it would go out (an existing post: its planned time when omitted)."),
    ] = None,
) -> dict[str, Any]:
    """What Google would show (the LocalPost it would be sent), every brand rule or Google check it
    breaks (by field), whether the franchise's approval policy would hold it for an approver, and
    a preview_token that confirms exactly this content, franchise and time to draft_post,
    schedule_post or approve_drafts (it expires, and works once). Writes nothing."""
    return await _run(
        tools.preview_post, franchise_id=franchise_id, fields=_fields(post), post_id=post_id, scheduled_at=scheduled_at
    )


@server.tool(annotations=WRITE, structured_output=True)
async def draft_post(
    franchise_id: FranchiseId,
    post: Content,
    preview_token: Token,
    scheduled_at: Annotated[AwareDatetime | None, Field(description="A planned time, as previewed.")] = None,
) -> dict[str, Any]:
    """Save new content as a draft (not scheduled). Needs the preview_token of exactly this content,
    franchise and planned time."""
    return await _run(
        tools.draft_post,
        franchise_id=franchise_id,
        fields=_fields(post),
        scheduled_at=scheduled_at,
        preview_token=preview_token,
    )


@server.tool(annotations=WRITE, structured_output=True)
async def schedule_post(
    scheduled_at: When,
    preview_token: Token,
    post_id: Annotated[
        uuid.UUID | None, Field(description="An existing draft (or scheduled post) to schedule.")
    ] = None,
    franchise_id: Annotated[uuid.UUID | None, Field(description="Or, for new content: its franchise.")] = None,
    post: Annotated[PostContent | None, Field(description="And the new content.")] = None,
) -> dict[str, Any]:
    """Put a post on the schedule at scheduled_at: an existing post (post_id) or new content
    (franchise_id and post). Needs the preview_token of exactly that content and time; a post
    changed since, or another time, is refused and needs a new preview. When the franchise's
    approval policy holds it, it waits for an approver instead (the answer says so)."""
    return await _run(
        tools.schedule_post,
        franchise_id=franchise_id,
        fields=_fields(post),
        post_id=post_id,
        scheduled_at=scheduled_at,
        preview_token=preview_token,
    )


@server.tool(annotations=WRITE, structured_output=True)
async def approve_drafts(
    drafts: Annotated[
        list[DraftConfirmation],
        Field(
            max_length=tools.APPROVE_MAX,
            description="Each draft's id and its preview_token (preview_post with post_id).",
        ),
    ],
) -> dict[str, Any]:
    """Approve AI drafts (each goes on the schedule at its planned time) and posts waiting for this
    key's user to approve them. Each needs the preview_token of the draft as it is now; the answer
    lists those approved and why the others were not."""
    return await _run(tools.approve_drafts, drafts=drafts)


@server.tool(annotations=READ, structured_output=True)
async def get_results(
    franchise_id: Annotated[
        uuid.UUID | None, Field(description="A franchise's figures; omitted: the ranking of all this key reaches.")
    ] = None,
) -> dict[str, Any]:
    """Results on Google: a franchise's figures (views, calls, website clicks, directions: totals
    against the period before, and by day), or without franchise_id the ranking of the key's
    franchises by the change of their views (headquarters' view of the group)."""
    return await _run(tools.get_results, franchise_id=franchise_id)
