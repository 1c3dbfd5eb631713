"""LocalPost validation built from Google's discovery document (sandbox/data/).

Two stages, like Google's front end: first the JSON is parsed against the proto schema
(unknown fields, wrong types, unknown enum values -> "Invalid JSON payload received ..."),
then the My Business backend checks the post's meaning (topic rules, lengths, CTA rules)
and answers with a `google.mybusiness.v4.ValidationError` detail.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DISCOVERY = Path(__file__).parent / "data" / "mybusiness-v4-localposts.json"
SUMMARY_LIMIT = 1500
TYPE_PREFIX = "type.googleapis.com/google.mybusiness.v4."
OUTPUT_ONLY = {"name", "createTime", "updateTime", "searchUrl", "state", "recurringInstanceTime"}
# Proto enum type names as Google prints them in parse errors.
ENUM_TYPES = {
    ("LocalPost", "topicType"): "LocalPostTopicType",
    ("LocalPost", "alertType"): "AlertType",
    ("LocalPost", "state"): "LocalPostState",
    ("CallToAction", "actionType"): "CallToAction.ActionType",
    ("MediaItem", "mediaFormat"): "MediaItem.MediaFormat",
    ("LocationAssociation", "category"): "LocationAssociation.Category",
}
PROTO_TYPES = {"string": "TYPE_STRING", "integer": "TYPE_INT32", "boolean": "TYPE_BOOL", "number": "TYPE_DOUBLE"}


@cache
def schemas() -> dict[str, Any]:
    data = json.loads(DISCOVERY.read_text(encoding="utf-8"))["schemas"]
    data = copy.deepcopy(data)
    # The stored discovery revision predates these fields; the live API accepts them.
    post = data["LocalPost"]["properties"]
    post["scheduledTime"] = {"type": "string", "format": "google-datetime"}
    post["recurringInstanceTime"] = {"type": "string", "format": "google-datetime"}
    post["state"]["enum"] = [*post["state"]["enum"], "SCHEDULED", "RECURRING"]
    # Shape not in the stored document: accepted as a free-form object, not validated.
    data["LocalPostEvent"]["properties"]["recurrenceInfo"] = {"type": "any"}
    return data


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def parse_errors(value: Any, schema_name: str = "LocalPost", path: str = "local_post") -> list[tuple[str, str]]:
    """Proto-JSON parse check; returns (field path, message) pairs."""
    if not isinstance(value, dict):
        return [
            (
                path,
                f"Invalid value at '{path}' ({TYPE_PREFIX}{schema_name}), {json.dumps(value)}",
            )
        ]
    errors: list[tuple[str, str]] = []
    props = schemas()[schema_name]["properties"]
    for key, item in value.items():
        spec = props.get(key) or props.get(camel(key))
        if spec is None:
            errors.append(
                (path, f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field.")
            )
            continue
        field_path = f"{path}.{snake(camel(key))}"
        errors.extend(_field_errors(item, spec, schema_name, camel(key), field_path))
    return errors


def _field_errors(item: Any, spec: dict[str, Any], owner: str, key: str, path: str) -> list[tuple[str, str]]:
    if item is None or spec.get("type") == "any":
        return []
    if "$ref" in spec:
        return parse_errors(item, spec["$ref"], path)
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(item, list):
            return [(path, f"Invalid value at '{path}', {json.dumps(item)}: Proto field is repeating, expected list.")]
        errors: list[tuple[str, str]] = []
        for i, element in enumerate(item):
            errors.extend(_field_errors(element, spec["items"], owner, key, f"{path}[{i}]"))
        return errors
    if "enum" in spec:
        if not isinstance(item, str) or item not in spec["enum"]:
            enum_type = ENUM_TYPES.get((owner, key), f"{owner}.{key}")
            return [
                (
                    path,
                    f"Invalid value at '{path}' ({TYPE_PREFIX}{enum_type}), {json.dumps(item)}",
                )
            ]
        return []
    if not _scalar_ok(item, kind, spec.get("format")):
        return [(path, f"Invalid value at '{path}' ({PROTO_TYPES.get(kind, kind)}), {json.dumps(item)}")]
    return []


def _scalar_ok(item: Any, kind: str | None, fmt: str | None) -> bool:
    if kind == "string":
        if not isinstance(item, str):
            return False
        return fmt != "google-datetime" or parse_time(item) is not None
    if kind == "integer":
        # proto3 JSON accepts numbers and numeric strings for int32.
        return (isinstance(item, int) and not isinstance(item, bool)) or (
            isinstance(item, str) and item.lstrip("-").isdigit()
        )
    if kind == "boolean":
        return isinstance(item, bool)
    if kind == "number":
        return isinstance(item, (int, float)) and not isinstance(item, bool)
    return True


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _url_ok(url: Any) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.netloc)


def _date_ok(date: Any) -> bool:
    if not isinstance(date, dict):
        return False
    try:
        datetime(int(date.get("year", 0)), int(date.get("month", 0)), int(date.get("day", 0)))
    except (TypeError, ValueError):
        return False
    return True


def semantic_errors(post: dict[str, Any]) -> list[dict[str, Any]]:
    """The backend's checks, as ValidationError errorDetails entries (code 3 = INVALID_ARGUMENT)."""
    errors: list[dict[str, Any]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"code": 3, "field": field, "message": message})

    topic = post.get("topicType")
    if topic in (None, "LOCAL_POST_TOPIC_TYPE_UNSPECIFIED"):
        bad("topic_type", "Topic type is required.")
    summary = post.get("summary") or ""
    # In characters as Google's APIs count them: Unicode code points (Google's AIP-210, "Unicode").
    if len(summary) > SUMMARY_LIMIT:
        bad("summary", f"Summary must be at most {SUMMARY_LIMIT} characters (got {len(summary)}).")
    if topic in ("EVENT", "OFFER"):
        _check_event(post.get("event"), bad)
    if post.get("offer") and topic != "OFFER":
        bad("offer", "Offer can only be set when topic_type is OFFER.")
    offer_url = (post.get("offer") or {}).get("redeemOnlineUrl")
    if offer_url and not _url_ok(offer_url):
        bad("offer.redeem_online_url", "Invalid URL.")
    cta = post.get("callToAction")
    if cta and topic != "OFFER":  # Google ignores the CTA of an OFFER post
        action = cta.get("actionType")
        if action in (None, "ACTION_TYPE_UNSPECIFIED"):
            bad("call_to_action.action_type", "Action type is required.")
        elif action == "CALL" and cta.get("url"):
            bad("call_to_action.url", "URL must not be set for action type CALL.")
        elif action != "CALL" and not _url_ok(cta.get("url")):
            bad("call_to_action.url", "A valid http(s) URL is required for this action type.")
    for i, item in enumerate(post.get("media") or []):
        if item.get("mediaFormat") not in ("PHOTO", "VIDEO"):
            bad(f"media[{i}].media_format", "Media format must be PHOTO or VIDEO.")
        if not _url_ok(item.get("sourceUrl")):
            bad(f"media[{i}].source_url", "A publicly accessible source URL is required.")
    return errors


def _check_event(event: Any, bad: Any) -> None:
    if not event:
        bad("event", "Event is required for topic types EVENT and OFFER.")
        return
    if not event.get("title"):
        bad("event.title", "Event title is required.")
    schedule = event.get("schedule")
    if not schedule:
        bad("event.schedule", "Event schedule is required.")
        return
    for part in ("startDate", "endDate"):
        if not _date_ok(schedule.get(part)):
            bad(f"event.schedule.{snake(part)}", f"{part} is missing or not a valid date.")
    for part in ("startTime", "endTime"):
        # An all-zero TimeOfDay (midnight) serialises as {}, so presence is what counts.
        if not isinstance(schedule.get(part), dict):
            bad(f"event.schedule.{snake(part)}", f"{part} is required.")
    if not errors_in_schedule(schedule) and _moment(schedule, "end") < _moment(schedule, "start"):
        bad("event.schedule", "The event ends before it starts.")


def errors_in_schedule(schedule: dict[str, Any]) -> bool:
    return not (
        _date_ok(schedule.get("startDate"))
        and _date_ok(schedule.get("endDate"))
        and isinstance(schedule.get("startTime"), dict)
        and isinstance(schedule.get("endTime"), dict)
    )


def _moment(schedule: dict[str, Any], which: str) -> tuple[int, ...]:
    d, t = schedule[f"{which}Date"], schedule[f"{which}Time"]
    return tuple(int(x.get(k, 0)) for x, k in ((d, "year"), (d, "month"), (d, "day"), (t, "hours"), (t, "minutes")))
