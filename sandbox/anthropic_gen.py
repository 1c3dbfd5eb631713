"""Deterministic stand-ins for Claude's output: values that fit a JSON schema, whose post text is
what anthropic_text.py writes (a post from the prompt's profile, or a rewrite of the text given),
so the app's own checks see plausible data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .anthropic_text import PromptFacts, current_text, facts, post_text

__all__ = ["PromptFacts", "current_text", "facts", "post_text", "value_for"]

SUMMARY_WORDS = ("summary", "text", "body", "content", "description", "post", "message", "caption", "copy")
URL_WORDS = ("url", "uri", "link", "website")


def value_for(schema: Any, f: PromptFacts, name: str = "", root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A value that validates against `schema` (a practical subset of JSON Schema)."""
    root = root if root is not None else schema
    if not isinstance(schema, dict) or depth > 12:
        return None
    if "$ref" in schema:
        return value_for(_resolve(root, schema["$ref"]), f, name, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return value_for(options[0], f, name, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        return {k: value_for(v, f, k, root, depth + 1) for k, v in props.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        return [value_for(schema.get("items", {}), f, name, root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        value = max(1, low) if "maximum" not in schema else min(max(1, low), schema["maximum"])
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, f, name.lower())


def _string(schema: dict[str, Any], f: PromptFacts, name: str) -> str:
    fmt = schema.get("format")
    tomorrow = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    if fmt == "date-time":
        text = tomorrow.isoformat().replace("+00:00", "Z")
    elif fmt == "date":
        text = tomorrow.date().isoformat()
    elif fmt in ("uri", "url") or any(w in name for w in URL_WORDS):
        text = f.url or "https://example.com"
    elif name == "reply":  # an owner's answer to a Google review
        text = (
            f"Thank you for taking the time to review {f.business}. We read every review and hope to "
            "welcome you again soon."
        )
    elif any(w in name for w in SUMMARY_WORDS):
        text = post_text(f)
    elif any(w in name for w in ("title", "headline", "subject")):
        text = f"This week at {f.business}"
    elif "phone" in name:
        text = "+1 555-0100"
    elif "action" in name or "cta" in name:
        text = "LEARN_MORE"
    elif "topic" in name:
        text = "STANDARD"
    else:
        text = f.business
    max_len = schema.get("maxLength")
    if max_len is not None:
        text = text[: int(max_len)]
    min_len = int(schema.get("minLength", 0))
    return text + "." * max(0, min_len - len(text))


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node
