"""Vercel's Python runtime serves the WSGI callable named `app` from this file."""

from gbp_scheduler.wsgi import application as app

__all__ = ["app"]
