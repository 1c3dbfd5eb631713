"""Posts imported from a CSV file, on a desktop and on a 390x844 phone: a file with a bad row shows
that row's problem and offers no import, nothing created; the fixed file's dry run lists each row
as it would be created, and "Import" creates them all. Every page on the way is axe-clean, fits
the phone and breaks no CSP rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member

from .test_accessibility import VIEWPORTS, _violations


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _file(rows: list[str]) -> dict:
    text = "\n".join(["franchise,type,text,publish_at", *rows]) + "\n"
    return {"name": "posts.csv", "mimeType": "text/csv", "buffer": text.encode()}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_bad_row_is_named_and_the_fixed_file_is_imported_after_its_dry_run(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    harbor = make_franchise(name="Harbor Cafe", timezone="America/New_York")
    make_franchise(name="Hill Cafe", timezone="America/Denver")
    make_member(harbor, Membership.Role.ADMIN, username="harbor-admin")
    site.sign_in("harbor-admin")
    day = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%d")
    good = [f"Harbor Cafe,update,Fresh scones at {{name}}.,{day} 09:00", "Harbor Cafe,,A draft for later.,"]

    site.goto(f"/franchises/{harbor.pk}/")
    page.click("#import-link")
    page.wait_for_selector("#import-form")
    page.set_input_files("#id_file", _file([*good, f"Hill Cafe,update,Not ours.,{day} 09:00"]))
    page.click("#import-check")
    page.wait_for_selector("#import-rows")
    bad = page.locator("tr[data-row='4']")
    assert 'No franchise "Hill Cafe" that you may post for.' in bad.inner_text()
    assert "Not ready: 1 problem" in page.inner_text("#import-result-title")
    assert page.locator("#import-all").count() == 0
    assert not Post.objects.exists()
    assert _violations(page) == [] and _fits(page)

    page.set_input_files("#id_file", _file(good))
    page.click("#import-check")
    page.wait_for_selector("#import-all")
    assert "2 posts ready to import" in page.inner_text("#import-result-title")
    assert "Fresh scones at Harbor Cafe." in page.inner_text("tr[data-row='2']")
    assert _violations(page) == [] and _fits(page)
    site.screenshot("import-dry-run" if viewport == "desktop" else "import-dry-run-phone")
    assert not Post.objects.exists()

    page.click("#import-all")
    page.wait_for_selector("#messages:has-text('Imported 2 posts.')")
    assert sorted(Post.objects.values_list("status", flat=True)) == [Post.Status.DRAFT, Post.Status.SCHEDULED]
    assert site.csp_violations() == []
