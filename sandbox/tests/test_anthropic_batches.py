"""The official anthropic SDK's `client.messages.batches` against the sandbox, unchanged."""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

from sandbox.pytest_plugin import SandboxHandle

MODEL = "claude-haiku-4-5"
PROMPT = (
    "Write a post.\nBusiness name: Sunrise Bakery Downtown\nCity: Portland\nWebsite: https://sunrise-bakery.example"
)
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
    "additionalProperties": False,
}


@pytest.fixture
def claude(sandbox: SandboxHandle) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.anthropic_key, max_retries=0, timeout=5)


def request(custom_id: str, **params: object) -> dict:
    return {
        "custom_id": custom_id,
        "params": {
            "model": MODEL,
            "max_tokens": 500,
            "messages": [{"role": "user", "content": PROMPT}],
            "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
            **params,
        },
    }


def results_by_id(claude: anthropic.Anthropic, batch_id: str) -> dict:
    return {line.custom_id: line.result for line in claude.messages.batches.results(batch_id)}


def test_a_batch_is_created_polled_and_its_results_read_as_jsonl(
    claude: anthropic.Anthropic, sandbox: SandboxHandle
) -> None:
    sandbox.client.batch_config(delay_seconds=60)
    batch = claude.messages.batches.create(requests=[request("row-1"), request("row-2")])
    assert batch.id.startswith("msgbatch_") and batch.type == "message_batch"
    assert batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 2 and batch.results_url is None
    assert (batch.expires_at - batch.created_at).total_seconds() == 24 * 3600
    with pytest.raises(anthropic.AnthropicError, match="Has it finished processing"):
        list(claude.messages.batches.results(batch.id))

    sandbox.client.batch_config(delay_seconds=0)  # applies to new batches only
    assert claude.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    assert sandbox.client.finish_batches(batch.id) == 1
    assert claude.messages.batches.retrieve(batch.id).processing_status == "ended"
    done = claude.messages.batches.create(requests=[request("row-1"), request("row-2")])
    polled = claude.messages.batches.retrieve(done.id)
    assert polled.processing_status == "ended" and polled.ended_at is not None
    assert polled.request_counts.succeeded == 2 and polled.request_counts.processing == 0
    assert polled.results_url == f"{sandbox.url}/v1/messages/batches/{done.id}/results"

    results = results_by_id(claude, done.id)
    assert set(results) == {"row-1", "row-2"}
    message = results["row-1"].message
    assert results["row-1"].type == "succeeded" and message.type == "message"
    assert "Sunrise Bakery Downtown" in json.loads(message.content[0].text)["summary"]
    assert message.usage.service_tier == "batch" and message.usage.input_tokens > 0
    sent = [r for r in sandbox.client.anthropic_requests() if r.get("_batch") == done.id]
    assert [r["_custom_id"] for r in sent] == ["row-1", "row-2"]


def test_usage_of_batch_results_is_counted_under_the_batch_tier(
    claude: anthropic.Anthropic, sandbox: SandboxHandle
) -> None:
    batch = claude.messages.batches.create(requests=[request("a"), request("b"), request("c")])
    usages = [r.message.usage for r in results_by_id(claude, batch.id).values()]
    totals = sandbox.client.anthropic_usage()
    assert "standard" not in totals
    assert totals["batch"]["requests"] == 3
    assert totals["batch"]["input_tokens"] == sum(u.input_tokens for u in usages)
    assert totals["batch"]["output_tokens"] == sum(u.output_tokens for u in usages)


def test_injected_outcomes_and_invalid_params_end_single_requests_not_the_batch(
    claude: anthropic.Anthropic, sandbox: SandboxHandle
) -> None:
    sandbox.client.script_batch_outcomes(
        {"type": "errored", "error_type": "overloaded_error"}, {"type": "expired"}, {"type": "succeeded"}
    )
    sandbox.client.script_messages({"json": {"summary": "Scripted."}})
    bad = request("bad")
    del bad["params"]["max_tokens"]
    batch = claude.messages.batches.create(
        requests=[request("first"), request("second"), request("third"), bad, request("fifth")]
    )
    counts = claude.messages.batches.retrieve(batch.id).request_counts
    assert (counts.succeeded, counts.errored, counts.expired) == (2, 2, 1)

    results = results_by_id(claude, batch.id)
    assert results["first"].type == "errored"
    assert results["first"].error.error.type == "overloaded_error"
    assert results["second"].type == "expired"
    assert json.loads(results["third"].message.content[0].text) == {"summary": "Scripted."}
    assert results["bad"].error.error.type == "invalid_request_error"
    assert "max_tokens" in results["bad"].error.error.message
    assert results["fifth"].type == "succeeded"


def test_a_seeded_error_rate_errors_a_share_of_requests(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.batch_config(error_rate=0.5, seed=3)
    batch = claude.messages.batches.create(requests=[request(f"r{n}") for n in range(40)])
    counts = claude.messages.batches.retrieve(batch.id).request_counts
    assert counts.succeeded + counts.errored == 40
    assert 8 <= counts.errored <= 32


def test_list_cancel_and_delete(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.batch_config(delay_seconds=3600)
    first = claude.messages.batches.create(requests=[request("x")])
    second = claude.messages.batches.create(requests=[request("y")])
    listed = [b.id for b in claude.messages.batches.list(limit=1)]  # the SDK follows the pages
    assert listed == [second.id, first.id]

    with pytest.raises(anthropic.BadRequestError):
        claude.messages.batches.delete(first.id)  # still in progress
    canceling = claude.messages.batches.cancel(first.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    ended = claude.messages.batches.retrieve(first.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 1
    assert results_by_id(claude, first.id)["x"].type == "canceled"

    assert claude.messages.batches.delete(first.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.batches.retrieve(first.id)


def test_an_expired_or_forgotten_batch(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.batch_config(delay_seconds=3600)
    expiring = claude.messages.batches.create(requests=[request("a"), request("b")])
    lost = claude.messages.batches.create(requests=[request("c")])
    assert sandbox.client.expire_batches(expiring.id) == 1
    assert claude.messages.batches.retrieve(expiring.id).request_counts.expired == 2
    assert {r.type for r in results_by_id(claude, expiring.id).values()} == {"expired"}

    assert sandbox.client.forget_batches(lost.id) == 1
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.batches.retrieve(lost.id)


@pytest.mark.parametrize(
    ("requests", "problem"),
    [
        ([], "at least one request"),
        ([request("same"), request("same")], "not unique"),
        ([request("has space")], "custom_id"),
        ([{"custom_id": "no-params"}], "params"),
    ],
)
def test_a_malformed_batch_is_refused_whole(
    claude: anthropic.Anthropic, sandbox: SandboxHandle, requests: list, problem: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as excinfo:
        claude.messages.batches.create(requests=requests)
    assert problem in excinfo.value.body["error"]["message"]
    assert sandbox.client.batches() == []


def test_batch_routes_take_injected_faults(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.fail("batches.create", 529)
    with pytest.raises(anthropic.InternalServerError):
        claude.messages.batches.create(requests=[request("a")])
    batch = claude.messages.batches.create(requests=[request("a")])
    sandbox.client.fail("batches.results", 500)
    with pytest.raises(anthropic.InternalServerError):
        list(claude.messages.batches.results(batch.id))
    assert sandbox.client.calls("batches.create", 529) == 1
    assert sandbox.client.calls("batches.get") == 1  # results() retrieves the batch first, for its results_url


def test_the_results_endpoint_speaks_jsonl_with_x_api_key_too(sandbox: SandboxHandle) -> None:
    headers = {"x-api-key": sandbox.anthropic_key, "anthropic-version": "2023-06-01"}
    created = httpx.post(
        f"{sandbox.url}/v1/messages/batches", headers=headers, json={"requests": [request("one")]}, trust_env=False
    ).json()
    results_url = f"{sandbox.url}/v1/messages/batches/{created['id']}/results"
    body = httpx.get(results_url, headers=headers, trust_env=False)
    lines = [json.loads(line) for line in body.text.splitlines()]
    assert [line["custom_id"] for line in lines] == ["one"]
    assert lines[0]["result"]["type"] == "succeeded"
