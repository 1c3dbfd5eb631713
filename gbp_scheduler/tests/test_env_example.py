""".env.example names every environment variable the settings read.

The names are taken from gbp_scheduler/settings.py's source (not from a list kept by hand): every
`env(...)`, `env.<type>(...)`, `os.environ.get(...)`, `os.environ[...]` and `os.getenv(...)` call
with the variable's name as its first argument, or a loop variable running over a tuple of names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS = BASE_DIR / "gbp_scheduler" / "settings.py"
ENV_EXAMPLE = BASE_DIR / ".env.example"
# django-environ's methods whose first argument is not a variable's name.
NOT_A_READ = {"read_env", "smart_cast", "parse_value", "escape_proxy"}


def _is_env_reader(func: ast.expr) -> bool:
    """`env(...)`, `env.<type>(...)`, `os.environ.get(...)`, `os.getenv(...)`."""
    if isinstance(func, ast.Name):
        return func.id in {"env", "getenv"}
    if not isinstance(func, ast.Attribute) or func.attr in NOT_A_READ:
        return False
    owner = func.value
    if isinstance(owner, ast.Name):
        return owner.id == "env" or (owner.id == "os" and func.attr == "getenv")
    return isinstance(owner, ast.Attribute) and owner.attr == "environ" and func.attr == "get"


def _loop_values(tree: ast.Module) -> dict[str, list[str]]:
    """Loop variables that run over a literal tuple or list of strings, and those strings."""
    values: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Tuple | ast.List)
        ):
            items = [item.value for item in node.iter.elts if isinstance(item, ast.Constant)]
            values.setdefault(node.target.id, []).extend(str(item) for item in items)
    return values


def names_read_by_settings(source: str) -> set[str]:
    tree = ast.parse(source)
    loops = _loop_values(tree)
    names: set[str] = set()
    unresolved: list[str] = []

    def add(argument: ast.expr, node: ast.AST) -> None:
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
        elif isinstance(argument, ast.Name) and argument.id in loops:
            names.update(loops[argument.id])
        else:
            unresolved.append(f"line {node.lineno}: {ast.unparse(node)}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_env_reader(node.func) and node.args:
            add(node.args[0], node)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "os"
        ):
            add(node.slice, node)
    assert not unresolved, f"settings.py reads variables whose names this test cannot tell: {unresolved}"
    return names


def test_the_parser_finds_every_kind_of_read():
    source = "\n".join(
        [
            'A = env("ONE")',
            'B = env.bool("TWO", default=False)',
            'C = env.list("THREE", default=[])',
            'D = env.db("FOUR")',
            'E = os.environ.get("FIVE")',
            'F = os.environ["SIX"]',
            'G = os.getenv("SEVEN")',
            'for name in ("EIGHT", "NINE"):',
            "    env.str(name, default='')",
            'env.read_env(BASE_DIR / ".env")',
        ]
    )
    assert names_read_by_settings(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"}


def test_env_example_lists_every_variable_the_settings_read():
    names = names_read_by_settings(SETTINGS.read_text(encoding="utf-8"))
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    # A sanity check on the parser: these reads are certainly there.
    assert {"DATABASE_URL", "SECRET_KEY", "CRON_SECRET", "FIELD_ENCRYPTION_KEY", "AXES_FAILURE_LIMIT"} <= names
    missing = sorted(name for name in names if not re.search(rf"(?<![A-Z0-9_]){name}(?![A-Z0-9_])", example))
    assert not missing, f".env.example does not mention {', '.join(missing)} (settings.py reads them)"
