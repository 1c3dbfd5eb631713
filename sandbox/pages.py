"""Human-facing demo pages: an index of locations and a customer view of each one's posts."""

from __future__ import annotations

import html
import time

from .gbp import post_resource
from .gbp_schema import parse_time
from .state import State
from .wire import HTTPError, Request, Response, html_response

CTA_LABELS = {
    "BOOK": "Book",
    "ORDER": "Order online",
    "SHOP": "Buy",
    "LEARN_MORE": "Learn more",
    "SIGN_UP": "Sign up",
    "GET_OFFER": "Get offer",
    "CALL": "Call now",
}
STYLE = """body{font-family:Roboto,Arial,sans-serif;max-width:40rem;margin:2rem auto;color:#202124}
.post{border:1px solid #dadce0;border-radius:8px;padding:1rem;margin:1rem 0}
.post img{max-width:100%;border-radius:6px}.date{color:#5f6368;font-size:.85rem}
.cta{display:inline-block;margin-top:.5rem;padding:.4rem 1rem;border:1px solid #1a73e8;border-radius:4px;
color:#1a73e8;text-decoration:none}.summary{white-space:pre-wrap}.badge{font-size:.75rem;color:#b06000}"""


def _page(title: str, body: str) -> Response:
    return html_response(
        200,
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>",
    )


def index(state: State, req: Request) -> Response:
    parts = ["<h1>GBP sandbox</h1>"]
    with state.lock:
        for account in state.accounts.values():
            parts.append(f"<h2>{html.escape(account.account_name)} <small>accounts/{account.id}</small></h2><ul>")
            for loc in state.locations.values():
                if loc.account_id == account.id:
                    count = sum(1 for p in state.posts.values() if p.location_id == loc.id and not p.deleted)
                    parts.append(
                        f"<li><a href='/_sandbox/locations/{loc.id}'>{html.escape(loc.title)}</a> "
                        f"(locations/{loc.id}, {count} posts)</li>"
                    )
            parts.append("</ul>")
    return _page("GBP sandbox", "".join(parts))


def location_view(state: State, req: Request, location: str) -> Response:
    with state.lock:
        loc = state.locations.get(location)
        if loc is None:
            raise HTTPError(html_response(404, "<h1>Location not found</h1>"))
        posts = sorted(
            (p for p in state.posts.values() if p.location_id == location and not p.deleted),
            key=lambda p: (p.create_time, int(p.id)),
            reverse=True,
        )
        resources = [(p.id, post_resource(p, req.base_url)) for p in posts]
    # Customers see live posts (and scheduled ones, marked): not one in review or rejected.
    resources = [(post_id, res) for post_id, res in resources if res["state"] in ("LIVE", "SCHEDULED")]
    cards = [_card(post_id, res, loc.phone) for post_id, res in resources] or ["<p>No posts yet.</p>"]
    header = f"<h1>{html.escape(loc.title)}</h1><p>{html.escape(loc.city)} · {html.escape(loc.website)}</p>"
    return _page(loc.title, header + "".join(cards) + "<p><a href='/'>All locations</a></p>")


def _card(post_id: str, post: dict, phone: str) -> str:
    parts = [f"<article class='post' id='post-{html.escape(post_id)}'>"]
    if post["state"] == "SCHEDULED":
        parts.append(f"<div class='badge'>Scheduled for {html.escape(post.get('scheduledTime', ''))}</div>")
    for media in post.get("media") or []:
        if media.get("mediaFormat") == "PHOTO":
            parts.append(f"<img src='{html.escape(media.get('sourceUrl', ''), quote=True)}' alt=''>")
    event = post.get("event") or {}
    if event.get("title"):
        parts.append(f"<h3>{html.escape(event['title'])}</h3>")
    parts.append(f"<p class='summary'>{html.escape(post.get('summary', ''))}</p>")
    offer = post.get("offer") or {}
    if offer.get("couponCode"):
        parts.append(f"<p>Code: <strong>{html.escape(offer['couponCode'])}</strong></p>")
    cta = post.get("callToAction") or {}
    action = cta.get("actionType")
    if action in CTA_LABELS and post.get("topicType") != "OFFER":
        href = f"tel:{phone}" if action == "CALL" else cta.get("url", "#")
        parts.append(f"<a class='cta' href='{html.escape(href, quote=True)}'>{CTA_LABELS[action]}</a>")
    created = time.strftime("%b %d, %Y", time.gmtime(_epoch(post["createTime"])))
    parts.append(f"<div class='date'>{created}</div></article>")
    return "".join(parts)


def _epoch(rfc: str) -> float:
    moment = parse_time(rfc)
    return moment.timestamp() if moment else 0.0
