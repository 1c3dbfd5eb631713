"""Where tests live: every app's tests are collected (a tests/ folder outside pytest.ini's
testpaths is silently never run, as the dashboard app's once were not), and helpers that several
apps share come from testkit/, not from another app's tests/ or from a conftest.py."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

SKIPPED_DIRS = {"__pycache__", "node_modules", "staticfiles", "var"}


def _project_folders(root: Path) -> Iterator[tuple[Path, list[str]]]:
    """(folder relative to the root, its file names) for the project's own folders: virtualenvs,
    hidden and generated folders left out."""
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in SKIPPED_DIRS and not (here / name / "pyvenv.cfg").exists()
        ]
        yield here.relative_to(root), files


def _test_folders(root: Path) -> list[Path]:
    """Every folder named tests/ holding a test_*.py."""
    return sorted(
        folder
        for folder, files in _project_folders(root)
        if folder.name == "tests" and any(name.startswith("test_") and name.endswith(".py") for name in files)
    )


def test_every_tests_folder_is_under_testpaths(pytestconfig):
    root = pytestconfig.rootpath
    testpaths = [Path(entry) for entry in pytestconfig.getini("testpaths")]
    folders = _test_folders(root)
    assert Path("gbp_scheduler/tests") in folders  # the walk finds this very file's folder
    left_out = [str(folder) for folder in folders if not any(folder.is_relative_to(path) for path in testpaths)]
    assert left_out == [], "add these to testpaths in pytest.ini, or pytest never runs them"


def test_every_testpath_exists(pytestconfig):
    root = pytestconfig.rootpath
    assert [entry for entry in pytestconfig.getini("testpaths") if not (root / entry).is_dir()] == []


def test_shared_helpers_come_from_testkit_not_from_another_apps_tests_or_a_conftest(pytestconfig):
    root = pytestconfig.rootpath
    borrowed = re.compile(r"^\s*from\s+(?:(\w+)\.tests\b[\w.]*|[\w.]*conftest)\s+import", re.M)
    found = []
    for folder, files in _project_folders(root):
        for name in sorted(files):
            if not name.endswith(".py") or not folder.parts:
                continue
            for match in borrowed.finditer((root / folder / name).read_text()):
                if match.group(1) != folder.parts[0]:  # an app's tests may share helpers among themselves
                    found.append(f"{folder / name}: {match.group(0).strip()}")
    assert found == [], "move what is shared to testkit/ (fixtures: testkit/fixtures.py)"
