"""WSGI entry point for plain servers (gunicorn) and Vercel's Python runtime."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gbp_scheduler.settings")

application = get_wsgi_application()
