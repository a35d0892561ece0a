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
