"""Posts from a CSV file: a dry run that shows each row's problems and creates nothing, then all
or none in one transaction, in a bounded number of queries; scoped to the franchises the user
administers; the brand rules and headquarters' fields apply as everywhere else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchises.models import FranchiseVariable, Membership
from franchises.services import franchise_variables_set
from posts.models import Post, PostEvent
from posts.services.brand import brand_rules_save
from posts.services.imports import ImportRefused, posts_import, posts_import_check
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


def _later(days: int = 3) -> str:
    return (timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%d") + " 09:00"


def _csv(*rows: str, header: str = "franchise,type,text,publish_at,cta_action_type,cta_url,media_url") -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def hq():
    return make_user(superuser=True)


def test_a_dry_run_reads_every_row_and_creates_nothing(hq):
    austin = make_franchise(name="Austin", timezone="America/Chicago")
    make_franchise(name="Boston")
    text = _csv(
        f"Austin,update,Fresh bread at {{name}}.,{_later()},Learn more,https://austin.example/bread,",
        "boston,,A draft for later.,,,,",
    )
    check = posts_import_check(user=hq, text=text)
    assert check.ok and check.scheduled == 1
    first, second = check.rows
    assert (first.number, first.post.summary, first.post.cta_action_type) == (2, "Fresh bread at Austin.", "LEARN_MORE")
    assert first.post.scheduled_at.astimezone(austin.zone).strftime("%H:%M") == "09:00"  # the franchise's own time
    assert (second.franchise.name, second.post.status) == ("Boston", Post.Status.DRAFT)
    assert not Post.objects.exists()


def test_each_rows_problems_are_named_by_row(hq):
    make_franchise(name="Austin")
    brand_rules_save(user=None, banned_phrases="cheapest")
    text = _csv(
        f"Austin,update,Good bread.,{_later()},,,",
        f"Nowhere,update,Good bread.,{_later()},,,",
        f"Austin,party,The cheapest bread.,{_later()},,,",
        "Austin,update,Good bread.,tomorrow morning,,,",
        "Austin,update,Good bread.,2020-01-01 09:00,,,",
        f"Austin,update,Good bread.,{_later()},,,http://photos.example/x.gif",
    )
    check = posts_import_check(user=hq, text=text)
    problems = {row.number: " ".join(row.problems) for row in check.rows}
    assert problems[2] == ""
    assert problems[3] == 'No franchise "Nowhere" that you may post for.'
    assert 'Type "party" is not one of update, event or offer.' in problems[4]
    assert 'publish_at: "tomorrow morning" is not a time' in problems[5]
    assert "has passed" in problems[6]
    assert problems[7].startswith("media_url: ")
    assert check.problem_count == 5 and not check.ok
    check = posts_import_check(user=hq, text=_csv(f"Austin,update,The cheapest bread.,{_later()},,,"))
    assert 'Brand rule "Words not allowed": "cheapest"' in check.rows[0].problems[0]


def test_one_bad_row_creates_nothing_and_the_refusal_names_it(hq):
    make_franchise(name="Austin")
    text = _csv(*[f"Austin,update,Post {n}.,{_later()},,," for n in range(5)], f"Austin,update,,{_later()},,,")
    with pytest.raises(ImportRefused, match=r"Nothing was imported: 1 problem\(s\) in the file\. Row 7: No text\."):
        posts_import(user=hq, text=text)
    assert not Post.objects.exists() and not PostEvent.objects.exists()


def test_the_import_creates_every_post_with_its_history(hq):
    make_franchise(name="Austin")
    posts = posts_import(user=hq, text=_csv(f"Austin,update,Post one.,{_later()},,,", "Austin,update,Post two.,,,,"))
    assert sorted(Post.objects.values_list("summary", "status")) == [
        ("Post one.", Post.Status.SCHEDULED),
        ("Post two.", Post.Status.DRAFT),
    ]
    assert len(posts) == 2
    assert set(PostEvent.objects.values_list("detail", flat=True)) == {"Imported from a CSV file."}
    assert set(Post.objects.values_list("created_by", flat=True)) == {hq.pk}


def test_an_event_row_takes_its_fields_by_their_names_in_the_franchises_zone(hq):
    denver = make_franchise(name="Denver", timezone="America/Denver")
    header = "franchise,type,text,publish_at,event_title,event_start,event_end"
    row = f"Denver,Event,Open day.,{_later(2)},Open day,{_later(5)},{_later(5)[:10]} 17:00"
    [post] = posts_import(user=hq, text=_csv(row, header=header))
    assert (post.topic_type, post.event_title) == (Post.TopicType.EVENT, "Open day")
    assert post.event_end.astimezone(denver.zone).strftime("%H:%M") == "17:00"


def test_a_field_the_type_does_not_carry_is_a_problem(hq):
    make_franchise(name="Austin")
    header = "franchise,type,text,event_title"
    check = posts_import_check(user=hq, text=_csv("Austin,update,Hello.,Open day", header=header))
    assert check.rows[0].problems == ["event_title: not part of an update; leave it empty or change the type."]


def test_the_file_must_name_its_columns(hq):
    check = posts_import_check(user=hq, text="shop,words\nAustin,Hello\n")
    missing, unknown = check.problems
    assert missing == "The first line must name the columns; missing: franchise, text."
    assert unknown.startswith("Unknown columns: shop, words. The columns are franchise, type, text, publish_at, ")
    assert not check.ok


def test_placeholders_are_filled_per_franchise_and_a_missing_value_is_named(hq):
    FranchiseVariable.objects.create(key="coupon_code", label="Coupon code")
    austin = make_franchise(name="Austin")
    make_franchise(name="Boston")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    text = _csv(f"Austin,,Show {{coupon_code}}.,{_later()},,,", f"Boston,,Show {{coupon_code}}.,{_later()},,,")
    check = posts_import_check(user=hq, text=text)
    assert check.rows[0].post.summary == "Show AUS10."
    assert check.rows[1].problems == [
        "It has no value for {coupon_code}: fill it in on its settings page, or leave {coupon_code} out."
    ]


def test_a_franchise_admin_imports_only_into_the_franchises_they_administer():
    mine, other = make_franchise(name="Mine"), make_franchise(name="Other")
    admin = make_member(mine, Membership.Role.ADMIN)
    Membership.objects.create(user=admin, franchise=other, role=Membership.Role.STAFF)
    check = posts_import_check(user=admin, text=_csv("Mine,,Hello.,,,,", "Other,,Hello.,,,,", f"{other.pk},,Hi.,,,,"))
    assert [row.problems == [] for row in check.rows] == [True, False, False]
    assert check.rows[1].problems == ['No franchise "Other" that you may post for.']


def test_a_thousand_rows_across_a_hundred_franchises_take_a_bounded_number_of_queries(hq):
    FranchiseVariable.objects.create(key="coupon_code", label="Coupon code")
    brand_rules_save(user=None, banned_phrases="cheapest", photo_min_width=10)
    franchises = [make_franchise(name=f"Franchise {n:03d}") for n in range(100)]
    for franchise in franchises:
        franchise_variables_set(franchise=franchise, values={"coupon_code": "CODE"})
    rows = [f"Franchise {n % 100:03d},,Post {n}: show {{coupon_code}}.,{_later(1 + n % 20)},,," for n in range(1000)]
    text = _csv(*rows)
    with CaptureQueriesContext(connection) as small:
        posts_import(user=hq, text=_csv(*rows[:10]))
    Post.objects.all().delete()
    with CaptureQueriesContext(connection) as big:
        posts_import(user=hq, text=text)
    assert Post.objects.count() == 1000

    def reads(queries) -> list[str]:
        return [query["sql"] for query in queries if not query["sql"].startswith("INSERT")]

    def inserted(queries) -> set[str]:
        return {query["sql"].split('"')[1] for query in queries if query["sql"].startswith("INSERT")}

    # The same reads for 10 rows as for 1,000; the writes are the bulk INSERTs of the posts and of
    # their history (which SQLite splits into batches of its parameter limit; PostgreSQL does not:
    # bench/import_csv.py).
    assert len(reads(big)) == len(reads(small)) <= 8, reads(big)
    assert inserted(big) == inserted(small) == {"posts", "post_events"}


def test_the_import_page_checks_then_imports(client, hq):
    make_franchise(name="Austin")
    logged_in(client, hq)
    url = reverse("posts:import")
    text = _csv(f"Austin,update,Fresh bread.,{_later()},,,")
    page = client.post(url, {"step": "check", "csv_text": text}).content.decode()
    assert 'id="import-all"' in page and "1 post ready to import" in page
    assert not Post.objects.exists()
    response = client.post(url, {"step": "import", "csv_text": text})
    assert response.status_code == 302 and Post.objects.count() == 1


def test_the_import_page_shows_each_rows_time_in_its_franchises_zone(client, hq):
    make_franchise(name="Austin", timezone="America/Chicago")
    make_franchise(name="Perth", timezone="Australia/Perth")
    logged_in(client, hq)
    text = _csv(f"Perth,update,Fresh bread.,{_later()},,,")
    page = client.post(reverse("posts:import"), {"step": "check", "csv_text": text}).content.decode()
    assert ", 09:00 AWST</td>" in page  # as written, in Perth's own zone, named as not the page's


def test_the_import_page_shows_the_bad_rows_and_offers_no_import(client, hq):
    make_franchise(name="Austin")
    logged_in(client, hq)
    text = _csv(f"Austin,update,,{_later()},,,")
    page = client.post(reverse("posts:import"), {"step": "check", "csv_text": text}).content.decode()
    assert 'data-row="2" class="has-problems"' in page and "No text." in page
    assert 'id="import-all"' not in page
    response = client.post(reverse("posts:import"), {"step": "import", "csv_text": text})
    assert response.status_code == 400 and not Post.objects.exists()


def test_staff_cannot_open_the_import_page(client):
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    assert client.get(reverse("posts:import")).status_code == 403
