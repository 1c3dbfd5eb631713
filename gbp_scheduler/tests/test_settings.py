"""Production configuration fails loudly at start-up; a complete one passes `check --deploy`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "gbp_scheduler.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-like-secret-key-with-enough-entropy-1234567890",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "gbp.example.com",
    "EMAIL_URL": "smtp+tls://mailer:password@smtp.example.com:587",
}


def test_startup_without_secret_key_outside_debug_fails_naming_the_variable():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_startup_without_encryption_key_outside_debug_fails_naming_the_variable():
    env = {k: v for k, v in PRODUCTION.items() if k != "FIELD_ENCRYPTION_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_an_email_backend_that_delivers():
    """Reset and invitation links are emailed: outside DEBUG, no EMAIL_URL (which meant the console
    backend, so the links went to the log) or a backend that never delivers stops start-up."""
    env = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    result = _manage("check", **env)
    assert result.returncode != 0 and "EMAIL_URL is not set" in result.stderr
    for url in ("consolemail://", "filemail:///tmp/mail", "memorymail://", "dummymail://"):
        result = _manage("check", **{**PRODUCTION, "EMAIL_URL": url})
        assert result.returncode != 0 and f"EMAIL_URL={url.split(':')[0]}://" in result.stderr, url
    assert _settings_of("EMAIL_BACKEND", **PRODUCTION)["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_debug_runs_without_any_secret_configured():
    result = _manage("check", DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_production_like_settings_pass_the_deploy_check_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_startup_with_a_malformed_encryption_key_fails_naming_the_variable():
    good = PRODUCTION["FIELD_ENCRYPTION_KEY"]
    result = _manage("check", **{**PRODUCTION, "FIELD_ENCRYPTION_KEY": f"{good},not-a-fernet-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY: key number 2 of 2 is not a Fernet key" in result.stderr


def _settings_of(*names: str, **env: str) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    result = _manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_on_vercel_the_deployment_host_names_are_allowed_and_the_cdn_serves_static_files():
    vercel = {
        "VERCEL": "1",
        "VERCEL_URL": "gbp-abc123-team.vercel.app",
        "VERCEL_BRANCH_URL": "gbp-git-feature-team.vercel.app",
        "VERCEL_PROJECT_PRODUCTION_URL": "posts.example.com",
    }
    on_vercel = _settings_of("ALLOWED_HOSTS", "MIDDLEWARE", **PRODUCTION, **vercel)
    assert on_vercel["ALLOWED_HOSTS"] == [
        "gbp.example.com",
        "gbp-abc123-team.vercel.app",
        "gbp-git-feature-team.vercel.app",
        "posts.example.com",
    ]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in on_vercel["MIDDLEWARE"]

    plain_server = _settings_of("ALLOWED_HOSTS", "MIDDLEWARE", **PRODUCTION, VERCEL_URL="ignored.vercel.app")
    assert plain_server["ALLOWED_HOSTS"] == ["gbp.example.com"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in plain_server["MIDDLEWARE"]


def test_the_trusted_proxies_are_explicit_with_defaults_for_vercel_and_for_a_plain_server():
    names = ("TRUSTED_PROXY_COUNT", "SECURE_PROXY_SSL_HEADER")
    # A plain server answering clients itself: no forwarded header is believed.
    assert _settings_of(*names, **PRODUCTION) == {"TRUSTED_PROXY_COUNT": 0, "SECURE_PROXY_SSL_HEADER": None}
    # Vercel's edge: one proxy that sets X-Forwarded-For and X-Forwarded-Proto itself.
    assert _settings_of(*names, **PRODUCTION, VERCEL="1") == {
        "TRUSTED_PROXY_COUNT": 1,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    # A plain server behind one nginx, said in the environment.
    behind_nginx = _settings_of(
        *names, **PRODUCTION, TRUSTED_PROXY_COUNT="1", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"
    )
    assert behind_nginx == {"TRUSTED_PROXY_COUNT": 1, "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}
    # And Vercel behind yet another proxy, or with the header turned off.
    assert _settings_of(*names, **PRODUCTION, VERCEL="1", TRUSTED_PROXY_COUNT="2", SECURE_PROXY_SSL_HEADER="") == {
        "TRUSTED_PROXY_COUNT": 2,
        "SECURE_PROXY_SSL_HEADER": None,
    }


def test_a_negative_proxy_count_stops_start_up():
    result = _manage("check", **PRODUCTION, TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0 and "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr


def test_allowances_count_in_the_database_unless_a_shared_cache_is_configured():
    """The reset, invitation, AI-help, preview and sign-in allowances were counted per process
    with the default local-memory cache: N processes, N times the limit."""
    database = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
    for per_process in ({}, {"CACHE_URL": "locmemcache://"}, {"CACHE_URL": "dummycache://"}):
        allowances = _settings_of("CACHES", **PRODUCTION, **per_process)["CACHES"]["allowances"]
        assert {k: allowances[k] for k in database} == database, per_process
        assert allowances["OPTIONS"]["MAX_ENTRIES"] >= 1_000_000  # never culled to make room
    shared = _settings_of("CACHES", **PRODUCTION, CACHE_URL="redis://127.0.0.1:6379/1")["CACHES"]
    assert shared["allowances"] == shared["default"]
    assert shared["allowances"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_on_vercel_the_cache_is_the_database_so_every_function_instance_counts_alike():
    on_vercel = _settings_of("CACHES", **PRODUCTION, VERCEL="1")["CACHES"]["default"]
    assert on_vercel["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert on_vercel["LOCATION"] == "django_cache"
    plain_server = _settings_of("CACHES", **PRODUCTION)["CACHES"]["default"]
    assert plain_server["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    chosen = _settings_of("CACHES", **PRODUCTION, VERCEL="1", CACHE_URL="locmemcache://")["CACHES"]["default"]
    assert chosen["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_demo_mode_refuses_to_start_without_debug():
    """DEMO_MODE puts the demo's known passwords on the sign-in page: only a DEBUG run may."""
    result = _manage("check", **PRODUCTION, DEMO_MODE="true")
    assert result.returncode != 0 and "DEMO_MODE=true" in result.stderr
    assert _manage("check", **PRODUCTION).returncode == 0
