#!/usr/bin/env python3
"""`make deploy-check`: build the project with Vercel's own CLI, then check what it built.

1. Installs the Vercel CLI (scripts/vercel-cli/, with its lock file) and uv (from PyPI) under
   var/deploy-check/, where later runs reuse them.
2. Copies the project as a Git import would see it (tracked files, plus new files that are not
   ignored) to var/deploy-check/project/, writes a hand-written .vercel/project.json there (no
   login: nothing asks Vercel's API) and runs `vercel build --yes` in it, with only the build-time
   variables docs/operations.md names. That is the Django preset and @vercel/python, as on Vercel.
3. Checks the Build Output (.vercel/output, Build Output API v3): the crons of vercel.json are in
   config.json, the one function is the WSGI entry point with vercel.json's maxDuration, every
   page reaches it with its own path, the bundle is well under the size limit, carries no
   package twice and no tests, benchmarks or docs.
4. Loads the built function the way Vercel's Python runtime does: its own files only, on a bare
   Python of .python-version's version with nothing installed, through the handler Vercel calls
   (vc__handler__python.vc_handler). The throwaway database is migrated with the function's own
   packages first. Then: /api/health/live, /, /accounts/login/ (and the static files it links to,
   in the Build Output), a cron endpoint without and with the secret, a foreign Host.

Environment:
  DEPLOY_CHECK_PYTHON        the Python for the build and the function (default: pyenv's newest
                             build of .python-version's version, else pythonX.Y on PATH)
  DEPLOY_CHECK_DATABASE_URL  the throwaway database the function talks to (default: a new SQLite
                             file under var/deploy-check/); it is migrated, and may be dropped after
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "deploy-check"
CLI_SOURCE = ROOT / "scripts" / "vercel-cli"

# The uv release that @vercel/python 25 installs when it finds none (UV_VERSION in its
# dist/index.js); on Vercel's build image uv is preinstalled.
UV_VERSION = "0.10.11"

# Vercel Functions: "the maximum uncompressed size is 250 MB"
# (https://vercel.com/docs/functions/limitations). Above 225 MiB @vercel/python stops bundling
# every package and installs the rest at cold start (LAMBDA_SIZE_THRESHOLD_BYTES in its
# dist/index.js); this check wants the whole app in the bundle, so that is its ceiling.
SIZE_LIMIT_BYTES = 250 * 1000 * 1000
SIZE_CEILING_BYTES = 225 * 1024 * 1024

DEPLOYMENT_HOST = "gbp-deploy-check-abc123.vercel.app"  # what VERCEL_URL holds on a deployment
CRON_PROBE = "/api/cron/publish-scheduled"
PAGES = ["/", "/accounts/login/", "/api/health/live", CRON_PROBE]
# What the function is sent, as (method, path, extra headers); Vercel Cron sends GET.
REQUESTS = [
    ("GET", "/api/health/live", {}),
    ("GET", "/", {}),
    ("GET", "/accounts/login/", {}),
    ("GET", CRON_PROBE, {"user-agent": "vercel-cron/1.0"}),
    ("GET", CRON_PROBE, {"user-agent": "vercel-cron/1.0", "authorization": "Bearer $CRON_SECRET"}),
    ("GET", "/api/health/live", {"host": "evil.example.com"}),
]


class Failure(Exception):
    """The check cannot go on: what is wrong and what to do."""


# --- output --------------------------------------------------------------------------------

results: list[tuple[bool, str]] = []


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def check(ok: bool, what: str, detail: str = "") -> bool:
    results.append((ok, what))
    line = f"  {'ok  ' if ok else 'FAIL'} {what}"
    if detail and not ok:
        line += f"\n         {detail}"
    print(line, flush=True)
    return ok


def run(
    cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, what: str, timeout: int = 900, quiet: bool = False
) -> str:
    """Run a command and echo its output indented (if `quiet`, only when it fails); raise Failure
    naming `what` if it fails."""
    print(f"  $ {' '.join(str(c) for c in cmd)}", flush=True)
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
        )
    except FileNotFoundError as exc:
        raise Failure(f"{what}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise Failure(f"{what}: no result after {timeout} s") from exc
    lines = proc.stdout.splitlines()
    if quiet and proc.returncode == 0:
        if lines:
            print(f"    | ({len(lines)} lines of output; last: {lines[-1].strip()})", flush=True)
    else:
        for line in lines:
            print(f"    | {line}", flush=True)
    if proc.returncode != 0:
        raise Failure(f"{what} failed (exit {proc.returncode}); its output is above")
    return proc.stdout


# --- tools ---------------------------------------------------------------------------------


def wanted_python() -> str:
    """The Python that Vercel will use: .python-version's major.minor."""
    version = (ROOT / ".python-version").read_text().strip()
    if not re.fullmatch(r"3\.\d+", version):
        raise Failure(f".python-version holds {version!r}; expected a major.minor such as 3.12")
    return version


def python_version_of(executable: str) -> str | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_python(version: str) -> str:
    explicit = os.environ.get("DEPLOY_CHECK_PYTHON")
    candidates = [explicit] if explicit else []
    pyenv_builds = glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}"))
    candidates += sorted(pyenv_builds, key=lambda p: [int(n) for n in re.findall(r"\d+", Path(p).parts[-3])])[::-1]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if python_version_of(candidate) == version:
            return candidate
    raise Failure(
        f"no Python {version} found (.python-version asks for it; Vercel builds and runs with it). "
        f"Install one (`pyenv install {version}`, or Debian's python{version} with venv) or point "
        f"DEPLOY_CHECK_PYTHON at it. Tried: {candidates or 'nothing'}"
    )


def fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install_vercel_cli() -> Path:
    npm = shutil.which("npm")
    if not npm:
        raise Failure("npm not found: the Vercel CLI comes from the npm registry (Debian: apt-get install nodejs npm)")
    target = WORK / "vercel-cli"
    binary = target / "node_modules" / ".bin" / "vercel"
    sources = [CLI_SOURCE / "package.json", CLI_SOURCE / "package-lock.json"]
    stamp = target / ".installed"
    wanted = fingerprint(*sources)
    if binary.exists() and stamp.exists() and stamp.read_text() == wanted:
        print(f"  reused {target.relative_to(ROOT)} (package.json and package-lock.json unchanged)")
        return binary
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for source in sources:
        shutil.copy2(source, target / source.name)
    # `npm install` with the lock file rather than `npm ci`: the lock has no entries for the CLI's
    # optional native helpers of other platforms (@vercel/vc-native-darwin-*, -win32-*,
    # -linux-arm64), which the registry here lacks, and `npm ci` refuses a lock without them.
    # --ignore-scripts: no install script runs (npm 11 would skip esbuild's unapproved one
    # anyway); `vercel build` for Python needs none of them.
    run(
        [npm, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", str(WORK / "npm-cache")],
        cwd=target,
        what="npm install of the Vercel CLI (scripts/vercel-cli/)",
    )
    if not binary.exists():
        raise Failure(f"npm install finished but {binary} is missing")
    stamp.write_text(wanted)
    return binary


def install_uv(python: str) -> Path:
    venv = WORK / "uv"
    uv = venv / "bin" / "uv"
    if uv.exists() and f"uv {UV_VERSION}" in subprocess.run([uv, "--version"], capture_output=True, text=True).stdout:
        print(f"  reused {uv.relative_to(ROOT)} ({UV_VERSION})")
        return uv
    shutil.rmtree(venv, ignore_errors=True)
    run([python, "-m", "venv", str(venv)], cwd=ROOT, what="creating the venv for uv")
    run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"uv=={UV_VERSION}",
        ],
        cwd=ROOT,
        what=f"pip install uv=={UV_VERSION}",
    )
    return uv


# --- the build -----------------------------------------------------------------------------


def project_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise Failure(f"git ls-files failed in {ROOT}: the deploy check builds what Git would hand to Vercel") from exc
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def copy_project() -> Path:
    """The project as a Git import sees it, in a folder of its own (the builder writes into it)."""
    project = WORK / "project"
    builder_cache = project / ".vercel" / "python" / "cache"  # uv's downloads, kept between runs
    kept_cache = WORK / "builder-cache"
    if builder_cache.is_dir():
        shutil.rmtree(kept_cache, ignore_errors=True)
        builder_cache.rename(kept_cache)
    shutil.rmtree(project, ignore_errors=True)
    files = project_files()
    for name in files:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    link = project / ".vercel" / "project.json"
    link.parent.mkdir(parents=True, exist_ok=True)
    # What `vercel link` would write, by hand: no login, no project on Vercel needed.
    link.write_text(
        json.dumps({"projectId": "prj_deploycheck", "orgId": "team_deploycheck", "settings": {"framework": "django"}})
    )
    if kept_cache.is_dir():
        builder_cache.parent.mkdir(parents=True, exist_ok=True)
        kept_cache.rename(builder_cache)
    print(f"  copied {len(files)} files to {project.relative_to(ROOT)}, wrote .vercel/project.json (framework: django)")
    return project


# A mail server for the settings to name (outside DEBUG they refuse the console); never reached here.
SMTP = "smtp://127.0.0.1:1025"


def fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def passthrough_env() -> dict[str, str]:
    """Machine settings the build's tools need (proxies, certificates, package indexes), nothing else."""
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "CI", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")
    keep += ("CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")
    prefixes = ("UV_", "PIP_", "NPM_CONFIG_", "npm_config_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy")
    prefixes += ("https_proxy", "no_proxy")
    return {k: v for k, v in os.environ.items() if k in keep or k.startswith(prefixes)}


def build_env(uv: Path, python: str) -> dict[str, str]:
    node_dir = str(Path(shutil.which("node") or "/usr/bin/node").parent)
    return {
        **passthrough_env(),
        # The Python of .python-version first, so the builder (through uv) finds it.
        "PATH": os.pathsep.join(
            [str(Path(python).parent), str(uv.parent), node_dir, "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "VERCEL_TELEMETRY_DISABLED": "1",
    }


def check_build_needs_secrets(project: Path, vercel: Path, env: dict[str, str]) -> None:
    """docs/operations.md's warning: without SECRET_KEY and FIELD_ENCRYPTION_KEY the build stops."""
    print("  $ vercel build --yes, without SECRET_KEY and FIELD_ENCRYPTION_KEY")
    bare = subprocess.run(
        [str(vercel), "build", "--yes"], cwd=project, env=env, capture_output=True, text=True, timeout=900
    )
    check(
        bare.returncode != 0 and "SECRET_KEY is not set" in bare.stdout + bare.stderr,
        "without the two secrets the build stops, naming SECRET_KEY",
        f"exit {bare.returncode}; output ends: {(bare.stdout + bare.stderr).strip()[-300:]}",
    )


def vercel_build(project: Path, vercel: Path, env: dict[str, str]) -> Path:
    # The builder imports the settings (to find WSGI_APPLICATION) and runs collectstatic, so the
    # two secrets and the mail server must be set for the build too, on Vercel in Production and in
    # Preview.
    env = {**env, "SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEY": fernet_key(), "EMAIL_URL": SMTP}
    started = time.monotonic()
    run([str(vercel), "build", "--yes"], cwd=project, env=env, what="vercel build")
    print(f"  built in {time.monotonic() - started:.0f} s")
    return project / ".vercel" / "output"


# --- the Build Output ----------------------------------------------------------------------


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise Failure(f"cannot read {path}: {exc}") from exc


def function_dirs(output: Path) -> list[Path]:
    return sorted(p for p in (output / "functions").rglob("*.func") if p.is_dir())


def handler_setting(func: Path, name: str) -> str | None:
    handler = func / "vc__handler__python.py"
    if not handler.exists():
        return None
    match = re.search(rf'"{name}":\s*"([^"]*)"', handler.read_text())
    return match.group(1) if match else None


def route(config: dict, output: Path, path: str) -> tuple[str, str, str]:
    """Where Vercel sends a request for `path`: (kind, destination, the path the app sees).

    kind is "static" (a file of the Build Output's static/), "function" (destination /NAME for
    functions/NAME.func) or "none". Build Output API v3 routing, the parts such outputs use:
    the routes before the first `handle`, the filesystem, the routes of the `filesystem` phase,
    then those of the `rewrite` phase. A route with `check` goes on to the next phase with its
    new path; a `request.path` transform sets the path the app sees (else it sees the new path).
    """
    phases: dict[str | None, list[dict]] = {}
    phase = None
    for entry in config.get("routes", []):
        if "handle" in entry:
            phase = entry["handle"]
        else:
            phases.setdefault(phase, []).append(entry)

    def static(candidate: str) -> bool:
        return (output / "static" / candidate.lstrip("/")).is_file()

    current, seen = path, path
    for phase_name in (None, "filesystem", "rewrite"):
        if phase_name == "filesystem" and static(current):
            return "static", current, current
        final = False
        for entry in phases.get(phase_name, []):
            match = re.fullmatch(entry.get("src", "").lstrip("^").rstrip("$"), current) if "dest" in entry else None
            if not match:
                continue

            def expand(template: str, match: re.Match = match) -> str:
                return re.sub(r"\$(\d+)", lambda g: match.group(int(g.group(1))) or "", template)

            current = seen = expand(entry["dest"])
            for transform in entry.get("transforms", []):
                if transform.get("type") == "request.path" and transform.get("op") == "set":
                    seen = expand(transform["args"])
            if not entry.get("continue"):
                final = not entry.get("check")
                break
        if final:
            break
    if static(current):
        return "static", current, current
    if (output / "functions" / f"{current.lstrip('/')}.func").is_dir():
        return "function", current, seen
    return "none", current, seen


def bundle_files(func: Path, project: Path, config: dict) -> dict[str, Path]:
    """Every file of the function as it is deployed: name inside the function -> file on disk."""
    files = {name: project / source for name, source in config.get("filePathMap", {}).items()}
    for path in func.rglob("*"):
        if path.is_file():
            files[path.relative_to(func).as_posix()] = path
    return files


def materialize(files: dict[str, Path]) -> Path:
    """The function's own folder, as Lambda unpacks it to /var/task."""
    target = WORK / "function"
    shutil.rmtree(target, ignore_errors=True)
    for name, source in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    return target


# --- the function, as Vercel's Python runtime loads it -------------------------------------

# Runs inside the bare Python with the function folder as its working directory: imports the
# handler module named in .vc-config.json from the function folder alone and calls it with the
# events Vercel sends, then reports every imported module that came from outside the function
# folder and the standard library.
DRIVER = r"""
import json, os, sys
sys.path[:] = [p for p in sys.path if p not in ("", os.path.dirname(os.path.abspath(__file__)))]
task_root, handler, requests_file, results_file = sys.argv[1:]
sys.path.insert(0, task_root)
module_name, function_name = handler.rsplit(".", 1)
entry = getattr(__import__(module_name), function_name)
results = []
for request in json.load(open(requests_file)):
    event = {"body": json.dumps({"method": request["method"], "path": request["path"],
                                 "headers": request["headers"], "body": ""})}
    results.append(entry(event, None))
stdlib = os.path.join(sys.base_prefix, "lib")
foreign = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)
                  and m.__name__ != "__main__"
                  and not m.__file__.startswith((task_root + os.sep, stdlib + os.sep))})
json.dump({"responses": results, "foreign_modules": foreign}, open(results_file, "w"))
"""


def bare_python(python: str) -> Path:
    """A Python with nothing installed (a venv without pip): only the function's packages load."""
    venv = WORK / "runtime-python"
    executable = venv / "bin" / "python"
    if not executable.exists() or python_version_of(str(executable)) != python_version_of(python):
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", "--without-pip", str(venv)], cwd=ROOT, what="creating the bare runtime Python")
    return executable


def header(response: dict, name: str) -> str:
    for key, values in response.get("headers", {}).items():
        if key.lower() == name.lower():
            return values[0] if isinstance(values, list) else values
    return ""


class StaticLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and value.startswith("/static/"):
                self.links.append(value.split("?")[0])


def check_build_output(output: Path, project: Path, vercel_json: dict, version: str) -> tuple[dict, Path, dict]:
    """The Build Output against vercel.json; returns config.json, the function folder, its .vc-config.json."""
    config = read_json(output / "config.json")
    check(config.get("version") == 3, "config.json is Build Output API version 3")
    wanted_crons = sorted((c["path"], c["schedule"]) for c in vercel_json.get("crons", []))
    built_crons = sorted((c.get("path"), c.get("schedule")) for c in config.get("crons", []))
    check(
        bool(wanted_crons) and built_crons == wanted_crons,
        f"the {len(wanted_crons)} crons of vercel.json are in config.json",
        f"vercel.json: {wanted_crons}; config.json: {built_crons}",
    )

    funcs = function_dirs(output)
    names = [f.relative_to(output / "functions").as_posix().removesuffix(".func") for f in funcs]
    if not check(len(funcs) == 1, f"one function serves the app: {', '.join(names)}", f"functions: {names}"):
        raise Failure("the Build Output does not have exactly one function; nothing more to check")
    func, func_name = funcs[0], names[0]
    vc_config = read_json(func / ".vc-config.json")
    entrypoint = handler_setting(func, "__VC_HANDLER_ENTRYPOINT")
    functions = vercel_json.get("functions", {})
    check(
        entrypoint is not None and list(functions) == [entrypoint],
        f"vercel.json's functions key is the function's entry point, {entrypoint}",
        f"functions keys: {list(functions)}; the builder's entry point: {entrypoint}",
    )
    wanted_duration = next(iter(functions.values()), {}).get("maxDuration")
    check(
        wanted_duration is not None and vc_config.get("maxDuration") == wanted_duration,
        f"the function has maxDuration {vc_config.get('maxDuration')} s (vercel.json: {wanted_duration})",
    )
    check(
        vc_config.get("runtime") == f"python{version}",
        f"the function runs on {vc_config.get('runtime')} (.python-version: {version})",
    )

    misrouted = []
    for path in PAGES:
        kind, dest, seen = route(config, output, path)
        if (kind, dest, seen) != ("function", f"/{func_name}", path):
            misrouted.append(f"{path} -> {kind} {dest}, which sees {seen}")
    check(not misrouted, f"{', '.join(PAGES)} reach /{func_name} with their own path", "; ".join(misrouted))

    files = bundle_files(func, project, vc_config)
    size = sum(path.stat().st_size for path in files.values())
    check(
        size < SIZE_CEILING_BYTES,
        f"the function bundle is {size / 1e6:.1f} MB unzipped, {len(files)} files (Vercel's limit: "
        f"{SIZE_LIMIT_BYTES / 1e6:.0f} MB; the builder's own ceiling: {SIZE_CEILING_BYTES / 1e6:.1f} MB)",
    )
    dists: dict[str, set[str]] = {}
    for name in files:
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "_vendor" and parts[1].endswith(".dist-info"):
            project_name = parts[1].removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")
            dists.setdefault(project_name, set()).add(parts[1])
    twice = [n for n in files if not n.startswith("_vendor/") and ("site-packages/" in n or ".dist-info/" in n)]
    twice += [f"{d}: {sorted(v)}" for d, v in dists.items() if len(v) > 1]
    check(
        not twice,
        f"no package is carried twice ({len(dists)} distributions, each once, in _vendor/)",
        "; ".join(sorted(twice)[:10]),
    )
    test_trees = ("e2e/", "chaos/", "bench/", "testkit/", "docs/")
    ours = [n for n in files if not n.startswith("_vendor/")]  # packages' own tests are theirs
    shipped = sorted(n for n in ours if n.startswith(test_trees) or "/tests/" in n)
    check(
        not shipped,
        "no tests, benchmarks or docs in the function (vercel.json's excludeFiles)",
        f"{len(shipped)} files, e.g. {shipped[:3]}",
    )
    collected = sorted(n for n in files if n.startswith("staticfiles/"))
    check(
        not collected,
        "no collected static files in the function (the CDN serves them)",
        f"{len(collected)} files under staticfiles/, e.g. {collected[:3]}",
    )
    return config, func, vc_config


def call_function(func: Path, project: Path, vc_config: dict, config: dict, output: Path, python: str) -> list[dict]:
    """Unpack the function, migrate the throwaway database with it, send it REQUESTS; the answers."""
    task_root = materialize(bundle_files(func, project, vc_config))
    runtime_python = bare_python(python)
    print(f"  unpacked to {task_root.relative_to(ROOT)}; bare Python: {runtime_python.relative_to(ROOT)}")
    database_url = os.environ.get("DEPLOY_CHECK_DATABASE_URL")
    if not database_url:
        sqlite_file = WORK / "deploy-check.sqlite3"
        sqlite_file.unlink(missing_ok=True)
        database_url = f"sqlite:///{sqlite_file}"
    cron_secret = secrets.token_urlsafe(24)
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": tempfile.mkdtemp(prefix="deploy-check-home-"),
        **vc_config.get("environment", {}),
        # What docs/operations.md asks an operator to set (here for a Preview deployment) ...
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": fernet_key(),
        "EMAIL_URL": SMTP,
        "DATABASE_URL": database_url,
        "CRON_SECRET": cron_secret,
        # ... and what Vercel sets itself.
        "VERCEL": "1",
        "VERCEL_ENV": "preview",
        "VERCEL_URL": DEPLOYMENT_HOST,
    }
    run(
        [str(runtime_python), "manage.py", "migrate", "--noinput"],
        cwd=task_root,
        env=env,
        what=f"migrate with the function's own packages ({database_url.split('@')[-1]})",
        quiet=True,
    )

    requests = []
    for method, path, headers in REQUESTS:
        # The path the app sees once Vercel's routing is done with it (a misrouted page 404s here).
        seen = route(config, output, path)[2]
        headers = {"host": DEPLOYMENT_HOST, "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7", **headers}
        if headers.get("authorization") == "Bearer $CRON_SECRET":
            headers["authorization"] = f"Bearer {cron_secret}"
        requests.append({"method": method, "path": seen, "headers": headers})
    with tempfile.TemporaryDirectory(prefix="deploy-check-") as scratch:
        driver, requests_file, results_file = (Path(scratch) / n for n in ("driver.py", "in.json", "out.json"))
        driver.write_text(DRIVER)
        requests_file.write_text(json.dumps(requests))
        run(
            [
                str(runtime_python),
                str(driver),
                str(task_root),
                vc_config["handler"],
                str(requests_file),
                str(results_file),
            ],
            cwd=task_root,
            env=env,
            what="calling the function's handler",
            timeout=300,
            quiet=True,
        )
        outcome = json.loads(results_file.read_text())
    check(
        not outcome["foreign_modules"],
        "only the function's own files and the standard library were imported",
        "; ".join(outcome["foreign_modules"][:10]),
    )
    return outcome["responses"]


def check_answers(responses: list[dict]) -> str:
    """The function's answers to REQUESTS; returns the login page."""
    live, home, login, cron_open, cron_auth, foreign_host = responses

    def got(response: dict) -> str:
        return f"{response['statusCode']} {response.get('body', '')[:60]}".strip()

    check(
        live["statusCode"] == 200 and '"ok"' in live.get("body", ""),
        f"GET /api/health/live -> {got(live)}",
        'wanted 200 {"status": "ok"}',
    )
    location = header(home, "location")
    check(
        home["statusCode"] == 302 and location.startswith("/accounts/login/"),
        f"GET / -> {home['statusCode']} to {location or '(no Location)'}",
        "wanted a 302 to the login page, /accounts/login/",
    )
    csp = header(login, "content-security-policy")
    check(
        login["statusCode"] == 200 and "default-src 'self'" in csp and 'name="password"' in login.get("body", ""),
        f"GET /accounts/login/ -> {login['statusCode']}, Content-Security-Policy: {len(csp)} characters",
        "wanted 200, the login form and a Content-Security-Policy with default-src 'self'",
    )
    check(
        cron_open["statusCode"] == 401,
        f"GET {CRON_PROBE} without the secret -> {got(cron_open)}",
        "wanted 401",
    )
    check(
        cron_auth["statusCode"] == 200 and '"job": "publish-scheduled"' in cron_auth.get("body", ""),
        f"GET {CRON_PROBE} with Authorization: Bearer $CRON_SECRET -> {got(cron_auth)}...",
        "wanted 200 and the run's JSON summary",
    )
    check(
        foreign_host["statusCode"] == 400,
        f"GET /api/health/live for another Host -> {foreign_host['statusCode']} (ALLOWED_HOSTS: VERCEL_URL)",
        "wanted 400: only the deployment's own host names are served",
    )
    return login.get("body", "")


def check_static_links(login_page: str, config: dict, output: Path) -> None:
    parser = StaticLinks()
    parser.feed(login_page)
    missing = [link for link in parser.links if route(config, output, link)[0] != "static"]
    check(
        bool(parser.links) and not missing,
        f"the {len(parser.links)} static files of the login page: {', '.join(parser.links)}",
        f"not in .vercel/output/static: {missing}" if parser.links else "the login page links no /static/ file",
    )


def main() -> int:
    vercel_json = read_json(ROOT / "vercel.json")
    version = wanted_python()

    section("Tools (cached under var/deploy-check/)")
    python = find_python(version)
    print(f"  Python {version}: {python}")
    vercel = install_vercel_cli()
    uv = install_uv(python)

    section("vercel build --yes (Django preset, offline: hand-written .vercel/project.json)")
    env = build_env(uv, python)
    check_build_needs_secrets(copy_project(), vercel, env)
    project = copy_project()  # afresh: the builder writes a pyproject.toml and uv.lock into it
    output = vercel_build(project, vercel, env)

    section("The Build Output (.vercel/output)")
    config, func, vc_config = check_build_output(output, project, vercel_json, version)

    section(f"The function, loaded as Vercel's Python runtime loads it ({vc_config.get('handler')})")
    responses = call_function(func, project, vc_config, config, output, python)
    login_page = check_answers(responses)

    section("Static files in the Build Output (served by Vercel's CDN)")
    check_static_links(login_page, config, output)

    failed = [what for ok, what in results if not ok]
    print()
    if failed:
        print("DEPLOY CHECK FAILED:")
        for what in failed:
            print(f"  - {what}")
    print(f"deploy-check: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"\nDEPLOY CHECK FAILED: {failure}")
        print(f"deploy-check: {sum(ok for ok, _ in results)} passed, {1 + sum(not ok for ok, _ in results)} failed")
        sys.exit(1)
