"""Masking API: planted e-mails, phones and cards never survive, ids people need stay, brand handles stay."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ml.profile.masking import detect_brand_handles, mask_pii, mask_texts
from tests.fixtures.data import shared_path

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


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
    ("see https://t.co/abc?x=1 and www.foo.com/x", "see [url] and [url]"),
])
def test_masks_each_kind(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "order #123456 please",
    "order number 98765 is late",
    "booking number 12345678 is missing",  # all digits after a booking word: an order-style number, kept
    "ticket id 12345678",
    "flight 1234 left at 10:30 on 2/24/2015, 2 hours late, paid $450. Confirmation is pending",
    "order 4111111111111111 never came",  # a Luhn-valid number after "order" is an order number
])
def test_ids_and_ordinary_numbers_are_kept(text):
    assert mask_pii(text) == text


@pytest.mark.parametrize("text, expected", [
    ("confirmation code is XYZ12A", "confirmation code is [booking]"),
    ("my booking ABCDEF was lost", "my booking [booking] was lost"),
    ("record locator: QWE9RT", "record locator: [booking]"),
    ("my confirmation number is late", "my confirmation number is late"),  # a word is no locator
])
def test_booking_record_locators_are_masked(text, expected):
    """Since 2026-12-05 (they were kept before): a record locator with the traveller's surname opens the booking."""
    assert mask_pii(text) == expected


def test_card_needs_a_valid_luhn_checksum():
    assert mask_pii("card 4111 1111 1111 1112") == "card 4111 1111 1111 1112"
    assert mask_pii("paid with 5500 0000 0000 0004 yesterday") == "paid with [card] yesterday"


def test_handles_masked_except_allowed_brands():
    text = "@AmericanAir @dhepburn @115712 thanks"
    assert mask_pii(text) == "[@user] [@user] [@user] thanks"
    assert mask_pii(text, keep_handles=["americanair", "@115712"]) == "@AmericanAir [@user] [@user] thanks"


def test_email_not_treated_as_handle_and_non_strings():
    assert mask_pii("write to a.b@c.org @brand", keep_handles=["brand"]) == "write to [email] @brand"
    assert mask_pii(None) == ""
    assert mask_pii(float("nan")) == ""
    assert mask_texts(["a", None, "b"]) == ["a", "", "b"]


def test_html_entities_decoded():
    assert mask_pii("delays &amp; lost bags &gt;:( &amp;amp;") == "delays & lost bags >:( &"


def test_mask_texts_equals_mask_pii_on_real_tweets():
    texts = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv"))["text"].head(200).tolist()
    brands = detect_brand_handles(texts)
    assert mask_texts(texts, brands) == [mask_pii(t, brands) for t in texts]


def test_planted_pii_in_real_tweets():
    df = pd.read_csv(shared_path("twitter_airline_sentiment", "Tweets.csv")).head(300)
    planted = [f"{t} mail jo{i}@ex{i}.com call (312) 555-{1000 + i:04d} card 4000 0000 0000 0002"
               for i, t in enumerate(df["text"])]
    for text, out in zip(planted, mask_texts(planted)):
        assert not EMAIL.search(out), out
        assert "555-" not in out and "4000 0000" not in out, out
        assert "[email]" in out and "[phone]" in out and "[card]" in out and "&amp;" not in out


def test_detect_brand_handles():
    texts = [f"@united my bag #{i}" for i in range(20)] + ["@someone hi", "@12345 hey"] * 3
    assert detect_brand_handles(texts, min_share=0.1, min_mentions=5) == ["united"]
