"""The official anthropic SDK (2.x) against the sandbox's Messages and Models endpoints."""

from __future__ import annotations

import json
from typing import Literal

import anthropic
import httpx
import pytest
from pydantic import BaseModel

from sandbox.pytest_plugin import SandboxHandle

MODEL = "claude-haiku-4-5"
PROMPT = (
    "Write a Google Business Profile post.\n"
    "Business name: Sunrise Bakery Downtown\nCity: Portland\n"
    "Website: https://sunrise-bakery.example\nServices: Sourdough bread, pastries"
)
POST_TOOL = {
    "name": "publish_post",
    "description": "Publish a post",
    "input_schema": {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": 1500},
            "topic_type": {"type": "string", "enum": ["STANDARD", "EVENT", "OFFER"]},
            "call_to_action": {
                "type": "object",
                "properties": {
                    "action_type": {"type": "string", "enum": ["LEARN_MORE", "BOOK", "CALL"]},
                    "url": {"type": "string"},
                },
                "required": ["action_type"],
            },
            "hashtags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "required": ["summary", "topic_type"],
    },
}


class Draft(BaseModel):
    summary: str
    topic_type: Literal["STANDARD", "EVENT"]
    website: str


@pytest.fixture
def claude(sandbox: SandboxHandle) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.anthropic_key, max_retries=0, timeout=5)


def ask(client: anthropic.Anthropic, **kwargs: object) -> anthropic.types.Message:
    return client.messages.create(
        model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": PROMPT}], **kwargs
    )


def test_text_reply_has_the_messages_api_shape(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    message = ask(claude)
    assert message.type == "message" and message.role == "assistant"
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    text = message.content[0].text
    assert "Sunrise Bakery Downtown" in text and "https://sunrise-bakery.example" in text
    assert len(text) <= 600
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert sandbox.client.anthropic_requests()[-1]["_auth"] == "bearer"  # SDK 2.x authenticates with Bearer


def test_x_api_key_header_is_accepted_too(sandbox: SandboxHandle) -> None:
    answer = httpx.post(
        f"{sandbox.url}/v1/messages",
        headers={"x-api-key": sandbox.anthropic_key, "anthropic-version": "2023-06-01"},
        json={"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]},
        trust_env=False,
    )
    assert answer.status_code == 200
    assert answer.headers["request-id"].startswith("req_")


def test_missing_version_header_is_invalid_request(sandbox: SandboxHandle) -> None:
    answer = httpx.post(
        f"{sandbox.url}/v1/messages",
        headers={"x-api-key": sandbox.anthropic_key},
        json={"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "Hi"}]},
        trust_env=False,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_wrong_key_is_authentication_error(sandbox: SandboxHandle) -> None:
    client = anthropic.Anthropic(base_url=sandbox.url, api_key="not-a-key", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as excinfo:
        ask(client)
    assert excinfo.value.body["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    sandbox.client.set_anthropic_key("sk-ant-only-this-one")
    with pytest.raises(anthropic.AuthenticationError):
        ask(anthropic.Anthropic(base_url=sandbox.url, api_key="sk-ant-another", max_retries=0))
    assert ask(anthropic.Anthropic(base_url=sandbox.url, api_key="sk-ant-only-this-one", max_retries=0)).content


def test_forced_tool_use_returns_input_that_fits_the_schema(claude: anthropic.Anthropic) -> None:
    message = ask(claude, tools=[POST_TOOL], tool_choice={"type": "tool", "name": "publish_post"})
    assert message.stop_reason == "tool_use"
    block = message.content[0]
    assert block.type == "tool_use" and block.name == "publish_post"
    assert block.input["topic_type"] == "STANDARD"
    assert block.input["call_to_action"]["action_type"] == "LEARN_MORE"
    assert block.input["call_to_action"]["url"] == "https://sunrise-bakery.example"
    assert "Sunrise Bakery Downtown" in block.input["summary"]
    assert len(block.input["hashtags"]) == 2


def test_structured_output_with_output_config_returns_json_that_fits(claude: anthropic.Anthropic) -> None:
    schema = {
        "type": "object",
        "properties": {"summary": {"type": "string"}, "topic_type": {"type": "string", "enum": ["STANDARD"]}},
        "required": ["summary", "topic_type"],
        "additionalProperties": False,
    }
    message = ask(claude, output_config={"format": {"type": "json_schema", "schema": schema}})
    data = json.loads(message.content[0].text)
    assert set(data) == {"summary", "topic_type"}
    assert "Portland" in data["summary"]


def test_messages_parse_with_a_pydantic_model(claude: anthropic.Anthropic) -> None:
    parsed = claude.messages.parse(
        model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": PROMPT}], output_format=Draft
    )
    draft = parsed.parsed_output
    assert isinstance(draft, Draft)
    assert draft.topic_type == "STANDARD"
    assert draft.website == "https://sunrise-bakery.example"


def test_scripted_replies_come_back_in_order(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.script_messages(
        {"text": "x" * 2000},
        {"text": "Call us at 555-123-4567!"},
        {"text": "Sorry, not JSON"},
        {"json": {"summary": "Scripted", "topic_type": "OFFER"}},
    )
    assert len(ask(claude).content[0].text) == 2000
    assert "555-123-4567" in ask(claude).content[0].text
    assert (
        ask(claude, output_config={"format": {"type": "json_schema", "schema": {}}}).content[0].text
        == "Sorry, not JSON"
    )
    tool = ask(claude, tools=[POST_TOOL], tool_choice={"type": "tool", "name": "publish_post"}).content[0]
    assert tool.input == {"summary": "Scripted", "topic_type": "OFFER"}
    assert "Sunrise" in ask(claude).content[0].text  # queue empty: generated again


def test_repeated_cached_system_prompt_reads_from_cache(claude: anthropic.Anthropic) -> None:
    # ~4,750 tokens: above Claude Haiku 4.5's minimum cacheable length of 4,096.
    system = [
        {"type": "text", "text": "You write posts for local businesses. " * 500, "cache_control": {"type": "ephemeral"}}
    ]
    first = ask(claude, system=system).usage
    second = ask(claude, system=system).usage
    assert first.cache_creation_input_tokens > 4096 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0


def test_a_prefix_below_the_models_minimum_cacheable_length_is_not_cached(claude: anthropic.Anthropic) -> None:
    # ~475 tokens: Claude Haiku 4.5 caches nothing under 4,096 tokens, silently; a Sonnet would at 1,024.
    system = [
        {"type": "text", "text": "You write posts for local businesses. " * 50, "cache_control": {"type": "ephemeral"}}
    ]
    for _ in range(2):
        usage = ask(claude, system=system).usage
        assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 0)
        assert usage.input_tokens > 400
    longer = [{**system[0], "text": system[0]["text"] * 3}]  # ~1,400 tokens
    sonnet = claude.messages.create(
        model="claude-sonnet-4-6", max_tokens=100, system=longer, messages=[{"role": "user", "content": PROMPT}]
    )
    assert sonnet.usage.cache_creation_input_tokens > 1024


def test_usage_totals_add_up_what_every_reply_reported(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    replies = [ask(claude).usage for _ in range(3)]
    totals = sandbox.client.anthropic_usage()["standard"]
    assert totals["requests"] == 3
    assert totals["input_tokens"] == sum(u.input_tokens for u in replies)
    assert totals["output_tokens"] == sum(u.output_tokens for u in replies)
    assert all(u.service_tier == "standard" for u in replies)


def test_streaming_works_with_the_sdk_helper(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(model=MODEL, max_tokens=500, messages=[{"role": "user", "content": PROMPT}]) as stream:
        text = stream.get_final_text()
    assert "Sunrise Bakery Downtown" in text


def test_models_list_and_retrieve(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    ids = [m.id for m in claude.models.list()]
    assert "claude-sonnet-4-6" in ids and "claude-opus-4-6" in ids
    assert not {"claude-sonnet-4-5", "claude-opus-4-5"} & set(ids)  # deprecated in the installed SDK
    assert claude.models.retrieve("claude-haiku-4-5").id.startswith("claude-haiku-4-5")
    with pytest.raises(anthropic.NotFoundError):
        claude.models.retrieve("gpt-4")
    assert sandbox.client.calls("models", 200) == 2
    assert sandbox.client.calls("models", 404) == 1
    assert sandbox.client.calls("messages") == 0  # listing models costs no tokens
