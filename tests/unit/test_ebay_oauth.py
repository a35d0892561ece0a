"""eBay consent: the link a person opens, and reading what they paste back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from deskterm.connectors.ebay.connector import reply_problem
from deskterm.connectors.ebay.oauth import SCOPES, App, code_from, consent_url
from deskterm.domain import Attachment

APP = App(client_id="Shop-desk-PRD-1", client_secret="s3cret", ru_name="Shop-Shop-desk-abc")


def test_the_consent_link_names_the_app_its_runame_and_both_scopes():
    url, state = consent_url(APP)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://auth.ebay.com/oauth2/authorize?")
    assert query["client_id"] == ["Shop-desk-PRD-1"]
    assert query["redirect_uri"] == ["Shop-Shop-desk-abc"]
    assert query["response_type"] == ["code"]
    assert query["scope"][0].split() == list(SCOPES)
    assert query["state"] == [state] and len(state) >= 16


def test_the_code_is_read_from_the_redirected_address():
    pasted = "https://shop.example/accepted?state=abc&code=v%5E1.1%23i%5E1%23r%5E1&expires_in=299"
    assert code_from(pasted, "abc") == "v^1.1#i^1#r^1"


def test_a_bare_code_is_taken_as_it_is_or_decoded():
    assert code_from("  v^1.1#i^1  ", "abc") == "v^1.1#i^1"
    assert code_from("v%5E1.1%23i%5E1", "abc") == "v^1.1#i^1"


@pytest.mark.parametrize(
    ("pasted", "reason"),
    [
        ("", "nothing was pasted"),
        ("https://shop.example/declined?error=access_denied&state=abc", "access_denied"),
        ("https://shop.example/accepted?state=other&code=x", "another consent request"),
        ("https://shop.example/accepted?state=abc", "no code="),
    ],
)
def test_a_paste_without_a_usable_code_says_what_to_do(pasted, reason):
    with pytest.raises(ValueError, match=reason):
        code_from(pasted, "abc")


def test_replies_ebay_would_refuse_are_named_before_they_are_queued():
    assert reply_problem("x" * 2000, ()) is None
    assert "at most 2,000 characters" in reply_problem("x" * 2001, ())
    photo = Attachment("photo.jpg", "image/jpeg", 10, "ab", "/tmp/photo.jpg")
    assert "links to files hosted" in reply_problem("Photo attached", (photo,))


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--since", "last tuesday", "neither a day like 2026-10-01 nor an age"),
        ("--api-url", "http://api.ebay.com", "--api-url must be an https:// address"),
    ],
)
def test_account_add_ebay_refuses_options_that_cannot_work(option, value, reason, tmp_path):
    from click.testing import CliRunner

    from deskterm.cli.main import app

    args = ["account", "add", "ebay", "shop", "--db", str(tmp_path / "d.db"), "--client-id", "A"]
    args += ["--ru-name", "R", "--seller", "s", option, value]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert reason in result.stderr
    assert not (tmp_path / "d.db").exists()  # refused before anything is stored


def test_a_first_sync_reaches_back_as_asked_and_never_past_two_years():
    from datetime import UTC, datetime, timedelta

    from deskterm.connectors.ebay.api import reach

    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert reach("30d", now) == now - timedelta(days=30)
    assert reach("2w", now) == now - timedelta(days=14)
    assert reach("2026-10-01", now) == datetime(2026, 10, 1, tzinfo=UTC)
    assert reach("all", now) == reach("2019-01-01", now) == now - timedelta(days=730)
