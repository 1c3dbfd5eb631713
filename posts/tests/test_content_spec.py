"""A post's content is declared once, in posts/content.py, and docs/architecture.md's "Adding a post
type" names the files a new type touches. These fail when a module lists content fields or post
types of its own instead of deriving them, or when a type's own field is named in a file the guide
does not name (so adding a type would touch it too)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from posts import content

ROOT = Path(__file__).resolve().parents[2]
# The product: the apps (the sandbox stands in for Google and may not import the spec), the
# templates, the scripts and the static files; not tests, nor migrations.
PRODUCT = ["gbp_scheduler", "franchises", "posts", "generation", "insights", "health", "api", "dashboard"]
PRODUCT += ["templates", "static", "scripts"]
SPEC = ROOT / "posts" / "content.py"
# The AI's answer (generation/prompt.py's output schema) is Anthropic's wire format: its keys are
# named like our fields but are not them (generation/validation.py maps them).
NOT_CONTENT = {ROOT / "generation" / "prompt.py"}


def product_files(*suffixes: str) -> list[Path]:
    return [
        path
        for folder in PRODUCT
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in suffixes and not {"tests", "migrations", "vendor"} & set(path.parts)
    ]


def _type_named(node: ast.expr) -> str | None:
    """The post type a literal or `...TopicType.X` names, if it names one."""
    if isinstance(node, ast.Constant) and node.value in content.TopicType.values:
        return node.value
    if isinstance(node, ast.Attribute) and node.attr in content.TopicType.names:
        owner = node.value
        if (owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")) == "TopicType":
            return node.attr
    return None


def hard_coded_lists(source: str) -> list[str]:
    """The lists, tuples, sets and dicts written out with two or more content fields or post types."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            elements = [key for key in node.keys if key is not None]
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            elements = node.elts
        else:
            continue
        fields = [e.value for e in elements if isinstance(e, ast.Constant) and e.value in content.NAMES]
        types = [kind for e in elements if (kind := _type_named(e))]
        if len(fields) >= 2 or len(types) >= 2:
            found.append(f"line {node.lineno}: {fields if len(fields) >= 2 else types}")
    return found


def test_the_check_finds_a_list_of_content_fields_or_post_types_written_out():
    assert hard_coded_lists('SHARED = ("cta_url", "media_url")') == ["line 1: ['cta_url', 'media_url']"]
    assert hard_coded_lists("if kind in (Post.TopicType.EVENT, Post.TopicType.OFFER): pass")
    assert hard_coded_lists('initial = {"event_title": "", "offer_terms": ""}')
    assert not hard_coded_lists('SHARED = [name for name in UPDATE_FIELDS if name != "summary"]')


def test_no_module_but_the_spec_lists_content_fields_or_post_types():
    found = {
        str(path.relative_to(ROOT)): lists
        for path in product_files(".py")
        if path not in {SPEC, *NOT_CONTENT} and (lists := hard_coded_lists(path.read_text(encoding="utf-8")))
    }
    assert not found, f"derive these from posts/content.py instead: {found}"


def test_no_template_picks_post_types_of_its_own():
    literal = re.compile(r'"(?:{})"'.format("|".join(content.TopicType.values)))
    found = []
    for path in product_files(".html"):
        text = path.read_text(encoding="utf-8")
        tags = re.findall(r"{%.*?%}", text, flags=re.S) + re.findall(r'data-topics="[^"{]+"', text)
        found += [f"{path.relative_to(ROOT)}: {tag}" for tag in tags if len(literal.findall(tag)) >= 2]
        found += [f"{path.relative_to(ROOT)}: {tag}" for tag in tags if tag.startswith("data-topics")]
    assert not found, f"take the types from posts/content.py (the carries filter, the form's fieldsets): {found}"


def guide_files() -> list[str]:
    """The files the numbered steps of "Adding a post type" in docs/architecture.md name."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    guide = text.split("\n## Adding a post type\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `([^`]+)`", guide, flags=re.M)


def test_adding_a_post_type_touches_at_most_four_files_the_guide_names():
    files = guide_files()
    assert "posts/content.py" in files and len(files) <= 4
    assert all((ROOT / name).is_file() for name in files), files


def test_only_the_files_the_guide_names_name_a_types_own_fields():
    # The fields an update does not carry: what a type other than an update adds.
    own = re.compile(r"\b({})\b".format("|".join(content.BEYOND_UPDATE)))
    naming = {
        str(path.relative_to(ROOT))
        for path in product_files(".py", ".html", ".js")
        if own.search(path.read_text(encoding="utf-8"))
    }
    assert content.BEYOND_UPDATE and "posts/content.py" in naming
    assert naming <= set(guide_files()), f"not in the guide: {sorted(naming - set(guide_files()))}"
