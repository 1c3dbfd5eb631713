"""The suite collects every app's tests: a tests/ folder outside pytest.ini's testpaths is silently
never run (the dashboard app's once were not)."""

from __future__ import annotations

import os
from pathlib import Path

SKIPPED_DIRS = {"__pycache__", "node_modules", "staticfiles", "var"}


def _test_folders(root: Path) -> list[Path]:
    """Every folder named tests/ holding a test_*.py, below the project root (virtualenvs and
    hidden folders left out)."""
    found = []
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in SKIPPED_DIRS and not (here / name / "pyvenv.cfg").exists()
        ]
        if here.name == "tests" and any(name.startswith("test_") and name.endswith(".py") for name in files):
            found.append(here.relative_to(root))
    return sorted(found)


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
