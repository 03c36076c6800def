"""Personal-data masking: planted e-mails, phones, cards, order numbers and handles never survive."""

from __future__ import annotations

import re

import pytest

from ml.profile.masking import detect_brand_handles, mask_pii

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
DIGITS6 = re.compile(r"\d{6,}")


@pytest.mark.parametrize("text,expected", [
    ("mail me at john.doe+tag@example.co.uk now", "mail me at [email] now"),
    ("JANE_D@Mail.Example.COM", "[email]"),
    ("call +44 20 7946 0958", "call [phone]"),
    ("call +1 415 555 2671 today", "call [phone] today"),
    ("ring (555) 123-4567 or 555-123-4567", "ring [phone] or [phone]"),
    ("555.123.4567 / 1-800-555-1234", "[phone] / [phone]"),
    ("card 4111 1111 1111 1111", "card [card]"),
    ("card 4111-1111-1111-1111!", "card [card]!"),
    ("amex 378282246310005", "amex [card]"),
    ("order #123456 please", "order #[order] please"),
    ("order number 98765 is late", "order number [order] is late"),
    ("confirmation code is XYZ12A", "confirmation code is [order]"),
    ("my booking ABCDEF was lost", "my booking [order] was lost"),
    ("record locator: QWE9RT", "record locator: [order]"),
    ("ticket id 12345678", "ticket id [order]"),
    ("see https://t.co/abc?x=1 and www.foo.com/x", "see [url] and [url]"),
])
def test_masks_each_kind(text, expected):
    assert mask_pii(text) == expected


def test_keeps_ordinary_numbers_and_words():
    text = "flight 1234 left at 10:30 on 2/24/2015, 2 hours late, paid $450. Confirmation is pending"
    assert mask_pii(text) == text


def test_handles_masked_except_allowed_brands():
    text = "@AmericanAir @dhepburn @115712 thanks"
    assert mask_pii(text) == "[@user] [@user] [@user] thanks"
    assert mask_pii(text, keep_handles=["americanair", "@115712"]) == "@AmericanAir [@user] [@user] thanks"


def test_email_not_treated_as_handle_and_non_strings():
    assert mask_pii("write to a.b@c.org @brand", keep_handles=["brand"]) == "write to [email] @brand"
    assert mask_pii(None) == ""
    assert mask_pii(float("nan")) == ""


def test_planted_pii_in_real_tweets(tmp_path):
    import pandas as pd

    from tests.fixtures.data import shared_path

    df = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv")).head(300)
    planted = [f"{t} mail jo{i}@ex{i}.com call (312) 555-{1000 + i:04d} card 4000 0000 0000 {1000 + i:04d}"
               for i, t in enumerate(df["text"])]
    for text in planted:
        out = mask_pii(text)
        assert not EMAIL.search(out), out
        assert "555-" not in out and not DIGITS6.search(out), out
        assert out.count("[email]") >= 1 and "[phone]" in out and "[card]" in out


def test_detect_brand_handles():
    texts = [f"@united my bag #{i}" for i in range(20)] + ["@someone hi", "@12345 hey"] * 3
    assert detect_brand_handles(texts, min_share=0.1, min_mentions=5) == ["united"]
