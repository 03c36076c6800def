"""PII detectors on real support tweets with planted items, and the planted evaluation's targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ml.profile.mask_cache import MaskCache
from ml.profile.masking import detect_brand_handles, mask_texts
from ml.profile.pii import PiiMasker
from tests.fixtures.data import shared_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tweets() -> list[str]:
    """Ten real customer tweets (TWCS inbound), one line each."""
    df = pd.read_csv(shared_path("twcs_sample", "twcs_first5000.csv"))
    texts = df.loc[df["inbound"].astype(str) == "True", "text"].dropna()
    return [" ".join(t.split()) for t in texts if 40 <= len(t) <= 140 and "http" not in t][:10]


def _check(tweets, clause: str, value: str, placeholder: str | None):
    """Plant ``clause`` after each real tweet; ``value`` must be gone (or kept when placeholder is None)."""
    texts = [f"{t} {clause}" for t in tweets]
    for out in mask_texts(texts, detect_brand_handles(texts, min_mentions=2, min_share=0.1)):
        if placeholder is None:
            assert value in out, out
        else:
            assert value not in out and placeholder in out, out


@pytest.mark.parametrize("clause,value", [
    ("My name is Paul Garrison.", "Garrison"),
    ("I spoke to Maria Gonzalez yesterday and nothing.", "Gonzalez"),
    ("Manager Élodie Lefèvre promised a call back.", "Lefèvre"),
    ("Thanks Dorothy Wainwright for sorting it out!", "Wainwright"),
])
def test_person_names(tweets, clause, value):
    _check(tweets, clause, value, "[name]")


@pytest.mark.parametrize("clause,value", [
    ("email me at paul.garrison@example.com", "garrison@"),
    ("sent it to j_doe+support@mail.co.uk twice", "j_doe"),
])
def test_emails(tweets, clause, value):
    _check(tweets, clause, value, "[email]")


@pytest.mark.parametrize("clause,value", [
    ("Call me on (312) 555-0142", "555-0142"),
    ("my number is 415.555.0199", "555.0199"),
    ("reach me at +44 20 7946 0958 after 5pm", "7946"),
    ("text +33 6 12 34 56 78 pls", "12 34 56"),
    ("my number is 202-555-0173 x204", "0173"),
    ("call 6502530000", "6502530000"),
    ("Merci, tél. 06 12 34 10 78", "34 10 78"),  # French, written as at home (a review: 364 of 375 stayed)
    ("ring me: 06 12 34 56 78", "34 56 78"),
    ("Tel. 0151 23456789", "23456789"),  # German, after a cue ("Tel" is no name either)
])
def test_phones(tweets, clause, value):
    _check(tweets, clause, value, "[phone]")


@pytest.mark.parametrize("clause,value,placeholder", [
    ("charged twice on card 4539 1488 0343 6467", "4539", "[card]"),
    ("my card 5555555555554444 was declined", "5555555555554444", "[card]"),
    ("amex 3714 496353 98431 declined", "496353", "[card]"),
    ("order #112-3456789-1234567 never arrived", "112-3456789-1234567", None),  # an order number
    ("number 4539 1488 0343 6468 is wrong", "4539 1488 0343 6468", None),  # fails the Luhn check
    ("my order 4539148803436467 is missing", "4539148803436467", None),  # Luhn-valid but an order number
])
def test_cards_are_luhn_checked_and_order_numbers_kept(tweets, clause, value, placeholder):
    _check(tweets, clause, value, placeholder)


@pytest.mark.parametrize("text", ["refund this ticket - 0372389047497?!? unacceptable",  # valid in Germany, no cue
                                  "refund request # 16866853 still open", "0151 23456789 is my reference"])
def test_german_numbers_are_phones_only_after_a_cue(text):
    from ml.profile.pii import PiiMasker

    assert PiiMasker().mask(text) == text


@pytest.mark.parametrize("clause,value", [
    ("deliver to 742 Evergreen Terrace please", "Evergreen"),
    ("package went to 1600 Pennsylvania Ave NW, Washington, DC 20500 instead", "Pennsylvania"),
    ("I live at 221 Baker Street Apt. 2B", "Baker"),
])
def test_street_addresses(tweets, clause, value):
    _check(tweets, clause, value, "[address]")


@pytest.mark.parametrize("clause,value,placeholder", [
    ("refund to IBAN DE89 3704 0044 0532 0130 00", "3704", "[iban]"),
    ("my IBAN is GB82WEST12345698765432", "GB82", "[iban]"),
    ("account number 12345678 still locked", "12345678", "[account]"),
    ("routing number 021000021, please check", "021000021", "[account]"),
    ("code GB82WEST12345698765433 is wrong", "GB82WEST12345698765433", None),  # fails mod-97
])
def test_iban_and_account_numbers(tweets, clause, value, placeholder):
    _check(tweets, clause, value, placeholder)


@pytest.mark.parametrize("clause,value", [
    ("flight UA823 to Boston was cancelled", "UA823"),
    ("stuck on AA 1948 again", "AA 1948"),
    ("JFK to LAX tomorrow at 10:30, paid $450", "JFK to LAX tomorrow at 10:30, paid $450"),
])
def test_flight_numbers_and_ordinary_words_kept(tweets, clause, value):
    _check(tweets, clause, value, None)


def test_brand_handles_kept_customer_handles_masked(tweets):
    texts = [f"@AmazonHelp {t} cc @115712 @dhepburn" for t in tweets]
    outs = mask_texts(texts, ["amazonhelp"])
    assert all(o.startswith("@AmazonHelp ") and "@115712" not in o and "@dhepburn" not in o for o in outs)
    assert all(o.count("[@user]") >= 2 for o in outs)


def test_eval_script_meets_targets(tmp_path):
    out = tmp_path / "pii.json"
    proc = subprocess.run([sys.executable, "scripts/eval_pii.py", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())["new"]
    planted = pd.read_csv(ROOT / "data" / "eval" / "pii_planted.csv")
    assert int(planted["must_mask"].sum()) >= 200
    assert res["recall"]["name"] >= 0.95
    assert all(v >= 0.99 for k, v in res["recall"].items() if k != "name"), res["recall"]
    assert set(res["recall"]) == {"name", "email", "phone", "card", "address", "iban", "account"}
    assert res["kept"] == {"order": 1.0, "flight": 1.0}
    assert res["unplanted_masked"] < 0.01 and res["meets_targets"] is True


def test_disk_cache_reuses_masked_texts_and_stores_no_raw_text(tweets, tmp_path):
    texts = [f"{t} email me at paul.garrison@example.com, I'm Paul Garrison" for t in tweets]
    first = PiiMasker(cache_dir=str(tmp_path)).mask_many(texts, ["amazonhelp"])
    files = list(tmp_path.glob("pii-*.sqlite"))
    assert len(files) == 1
    raw = files[0].read_bytes()
    assert b"garrison" not in raw.lower() and b"[email]" in raw
    assert MaskCache(tmp_path, files[0].stem[len("pii-"):]).get(texts[:1])[0] is not None
    again = PiiMasker(cache_dir=str(tmp_path)).mask_many(texts, ["amazonhelp"])
    assert again == first == PiiMasker().mask_many(texts, ["amazonhelp"])


def test_masking_in_blocks_equals_one_pass_and_fills_the_cache(tweets, tmp_path, monkeypatch):
    """mask_many masks BLOCK_TEXTS distinct texts at a time (1M texts: the per-text lists of one block):
    the same masks as one pass, repeats across blocks included, and every block's texts cached."""
    from ml.profile import pii

    base = [f"{t} call Paul Garrison on 415-555-0123" for t in tweets[:40]]
    texts = base + base[::3] + [None, base[5]]  # repeats that fall in other blocks, a non-string
    whole = PiiMasker(cache_dir="").mask_many(texts, ["amazonhelp"])
    monkeypatch.setattr(pii, "BLOCK_TEXTS", 3)
    blocked = PiiMasker(cache_dir=str(tmp_path)).mask_many(texts, ["amazonhelp"])
    assert blocked == whole and len(blocked) == len(texts) and blocked[-2] == ""
    assert "[phone]" in blocked[0] and "Garrison" not in " ".join(blocked)
    cached = MaskCache(tmp_path, next(tmp_path.glob("pii-*.sqlite")).stem[len("pii-"):]).get(base)
    assert all(m is not None for m in cached) and len(base) > 2 * 3


def test_parallel_name_detection_matches_serial(tweets):
    texts = [f"{t} I spoke to Maria Gonzalez" for t in tweets]
    assert PiiMasker(n_process=2).mask_many(texts) == PiiMasker(n_process=1).mask_many(texts)


def test_brand_words_are_not_names(tweets):
    texts = [f"@ChipotleTweets {t} Chipotle was great, Kevin Smith helped" for t in tweets]
    for out in mask_texts(texts, ["chipotletweets"]):
        assert "Chipotle was great" in out and "Kevin" not in out and "Smith" not in out, out


def test_first_names_addressed_in_real_support_tweets_are_masked():
    """Real TWCS / airline tweets: the small NER model misses these addressed first names; the greeting /
    closing rule masks them, and leaves places, brands and closings alone."""
    from ml.profile.pii import PiiMasker

    masker = PiiMasker(cache_dir="", n_process=1)
    keep = ["chipotletweets", "british_airways", "jetblue"]
    texts = [
        "@ChipotleTweets Thanks Becky! Just feeling sorry for myself",
        "@ChipotleTweets No costume, Becky. No one wanted to be Shrek with me.",
        "@British_Airways Any update, Sophie? Thanks.",
        "Hey Becky,let's say one doesn't have a costume,could one still get that deal?",
        "@JetBlue but thank you! Love, an anxious flyer.",
        "flying from London to Paris, France. Thanks Chipotle!",
        "hi Will, can you help",
    ]
    out = masker.mask_many(texts, keep)
    assert "Becky" not in out[0] and "Thanks [name]!" in out[0]
    assert "costume, [name]." in out[1]
    assert "update, [name]?" in out[2]
    assert out[3].startswith("Hey [name],")
    assert "Love, an anxious flyer" in out[4]        # a closing, not a name
    assert "Paris, France." in out[5] and "Thanks Chipotle!" in out[5]  # a place; a brand's own name
    assert "Will," in out[6]                          # a stop word before it is a name


def test_a_greeted_name_no_list_knows_is_masked_before_the_sentence_ends():
    """"Thanks Anjali!": a first name the census list lacks, greeted and then closing the sentence (an audit's chat
    exports thanked agents so; real tweets greet "Hi Ange.", "Hey Mikey!"); a brand, a dictionary word or a word
    that goes on stay."""
    out = PiiMasker(names="rules", cache_dir="").mask_many(
        ["Thanks Anjali!", "Hi Ange. Which model was it?", "Thanks Jetblue!", "Thanks Anjali for the help",
         "Thanks Bank!", "hello Sreejit"], ["jetblue"])
    assert out == ["Thanks [name]!", "Hi [name]. Which model was it?", "Thanks Jetblue!", "Thanks Anjali for the help",
                   "Thanks Bank!", "hello [name]"]


def test_known_names_are_masked_capitalised_not_as_lower_case_words(tweets):
    texts = ["Pray for me Becky", "BECKY you are the best", "it was becky it was", "Mark my words, Beckyfan"]
    out = PiiMasker(names=False, cache_dir="").mask_many(texts, known_names=["Becky", "Mark"])
    assert out == ["Pray for me [name]", "[name] you are the best", "it was becky it was", "[name] my words, Beckyfan"]
    assert PiiMasker(names=False, cache_dir="").mask_many(texts) == texts  # no known names: as before


def test_reddit_user_mentions_are_masked_like_handles():
    from ml.profile.pii import PiiMasker

    texts = ["thanks u/throwaway_8812 for the tip", "as /u/spez said", "see r/acme and u/AcmeHelp", "you/us, menu/up"]
    assert PiiMasker(names=False).mask_many(texts, keep_handles=["AcmeHelp"]) == [
        "thanks [@user] for the tip", "as [@user] said", "see r/acme and u/AcmeHelp", "you/us, menu/up"]


def test_a_time_after_at_is_not_a_handle():
    """A real airline tweet (../shared/data/twitter_airline_sentiment) wrote "@3:30 AM"; it read "[@user]:30 AM"."""
    from ml.profile.pii import PiiMasker

    texts = ["@united flt 1249 Cancelled Flightled and I get email @3:30 AM?", "landed @9am, bags @ 10pm",
             "ask @12:05 or @11 PM", "@1234567 hi", "@3 hours late"]
    assert PiiMasker(names=False, cache_dir="").mask_many(texts, keep_handles=["united"]) == [
        "@united flt 1249 Cancelled Flightled and I get email @3:30 AM?", "landed @9am, bags @ 10pm",
        "ask @12:05 or @11 PM", "[@user] hi", "[@user] hours late"]


@pytest.mark.parametrize("text,gone,kept", [
    # formats a review found unmasked in the evidence of real TWCS runs (2026-12-04)
    ("I had a horrifying experience with the driver Suresh: 9958520468. he refused", ["Suresh", "9958520468"], []),
    ("my name is Bob, 3238 w. columbine dr, phx,85029. my bill has almost doubled", ["columbine", "85029"],
     ["my bill"]),
    ("Here its 615787351 please close the account", ["615787351"], ["close the account"]),
    # a real tweet (TWCS): seven words between the number and "account", one sentence
    ("@SouthwestAir Here its 615787351 and just go ahead and close the account i am done with you.", ["615787351"],
     ["close the account"]),
    ("Got 615787351 views. The account is new", [], ["615787351"]),  # another sentence: not an account number
    ("Hey there! Rocky here on flight AA2254. We were supposed to depart", ["Rocky"], ["AA2254"]),
    ("It's Clare with no i!!", ["Clare"], []),
    ("You'd need to contact our Aftersales team on 0344 556 5650 from 8am", ["0344 556 5650"], []),
    ("flight attendant Wendi on Flt 127 on 2/17, Newark to Orlando", ["Wendi"], ["Flt 127", "Newark"]),
    # a second review (2026-12-04): a census name after a role noun even when a dictionary knows it, a badge
    # number between, a name in capitals after thanks; and shouted thanks hold no name
    ("so the customer service rep Carol hung up on me", ["Carol"], ["customer service rep"]),
    ("account manager #22 Brent said it would be fixed", ["Brent"], ["#22"]),
    ("THANK YOU LAUREN FOR THE HELP", ["LAUREN"], ["THANK YOU", "FOR THE HELP"]),
    ("THANK YOU SO MUCH @JetBlue", [], ["THANK YOU SO MUCH"]),
    ("thanks DELTA for nothing", [], ["DELTA"]),
    ("thanks United I understand that", [], ["United I understand"]),  # "I" is no initial
    ("How do I get a companion pass??? Thanks,  Lin S", ["Lin S"], ["companion pass"]),
    # real airline / TWCS tweets (2026-12-05): staff named by a first name and an initial, which the name
    # model left visible; a holiday it took for a name
    ("Please note Mariah D and Kim Y were great in helping me port back!", ["Mariah", "Kim"], ["were great"]),
    ("US 728/Feb 21 Kim Y says: leaving on 15 minutes", ["Kim"], ["US 728/Feb 21"]),
    ("@united Lilly M in SJU check in is fabulous!", ["Lilly"], ["SJU check in"]),
    ("@Tesco What a joke. Queuing for Xmas slots!!!", [], ["Xmas slots"]),
    ("Will B gate be open? Plan B, Vitamin D, Grace A", [], ["Will B", "Plan B", "Vitamin D", "Grace A"]),
    # a first name in capitals without a greeting ("LAUREN" was a persona's second term); airports stay
    ("@united LAUREN OMG BEST AIRLINE EVER", ["LAUREN"], ["OMG BEST AIRLINE EVER"]),
    ("forced @ MIA to check my guitar, SFO-LAX-SAL", [], ["MIA", "SFO-LAX-SAL"]),
    # a support review (thirty-eighth session): a name neither the census list nor the name model knows, after a
    # contact cue; a company's name there stays
    ("You have all my info.  Check with Sanket Thakur.  Supposedly, he/she is a rep.", ["Sanket", "Thakur"],
     ["Supposedly"]),
    ("check with Wells Fargo about the wire", [], ["Wells Fargo"]),
    ("Check with Sanket Thakur Today please", ["Sanket", "Thakur"], ["Today please"]),  # the name, not the word after
    ("contact Customer Service again", [], ["Customer Service"]),
    # and what must stay
    ("it's Sunday and still no refund", [], ["Sunday"]),
    # an IP address is personal data where it is a customer's (a traceroute's hops): masked since 2026-12-06, a
    # mail server's too (a text does not say whose it is)
    ("Mail comes from 153.69.214.203 but the SPF record disallows it", ["153.69.214.203"], ["SPF record"]),
    ("e-ticket # 0162389030167, refund request # 16866853, case id # 8465981", [], ["16866853", "8465981"]),
    ("order 615787351 is still not on my account", [], ["615787351"]),
    ("It is 5 minutes walk from the station", [], ["5 minutes walk"]),
    ("the agent Apple sent me was fine", [], ["Apple"]),
    # a review's false masks of the first version of these rules
    ("my refund id 1234567890 and transaction 4512345678 failed", [], ["1234567890", "4512345678"]),
    ("the charge on 20190315 hit my account", [], ["20190315"]),
    ("I have paid 3 times the same way, order 12345", [], ["same way, order 12345"]),
    ("on hold 2 hours with no way out, case 12345", [], ["no way out, case 12345"]),
    ("Hey Siri, set a timer", [], ["Siri"]),
    ("call me on 9958520468 tomorrow", ["9958520468"], []),
])
def test_formats_found_in_real_support_tweets(text, gone, kept):
    out = PiiMasker(cache_dir="").mask(text)
    assert all(g not in out for g in gone) and all(k in out for k in kept), out


def test_a_self_introduction_ends_its_clause():
    """"It's Clare with no i" introduces someone; "It's Grace period" does not (the rules alone; the name model
    has its own view of "Grace")."""
    rules = PiiMasker(names="rules", cache_dir="")
    assert rules.mask("It's Clare with no i!!") == "It's [name] with no i!!"
    assert rules.mask("this is Rocky, any news?") == "this is [name], any news?"
    assert rules.mask("It's Grace period they said") == "It's Grace period they said"


def test_the_name_rules_alone_never_import_spacy():
    """The filter stages' examples are masked in the run's own process with the name rules only
    (``names="rules"``): no spaCy, hence no thinc or torch, there."""
    code = ("import sys; import pandas as pd; from ml.filtering.quality import display_text; "
            "out = display_text(pd.Series(['Thanks Becky! call 312-555-0142', 'agent Suresh was rude'])).tolist(); "
            "assert out == ['Thanks [name]! call [phone]', 'agent [name] was rude'], out; "
            "assert 'spacy' not in sys.modules and 'torch' not in sys.modules, 'spacy imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_booking_references_and_member_numbers_are_masked_words_and_order_numbers_kept():
    """Real airline and TWCS tweets: a record locator with the traveller's surname opens the booking, and a review
    found "Confirmation # DNX58V" in evidence. Locators after a booking word become [booking]; words after one
    ("confirmation number") and all-digit numbers (as order numbers) stay."""
    from ml.profile.pii import PiiMasker

    m = PiiMasker(names=False)
    masked = m.mask_many([
        "@united I can't DM you so here's the confirmation # G8CVWJ - please help",
        "@JetBlue traveling with me on a sep reservation number F3KxB8",
        "@united Never got tickets. Conf #ggqzqd",
        "@AmericanAir please help regarding PNR A3ZZ0F. Why am I",
        "@AmericanAir FF# 94LXA62 and my reservation E2KVM4",
        "@AmazonHelp Booking no YIUBPF",
        "@united not able to DM you my confirmation number",
        "@united booking number 12345678 is missing",
        "@united the booking process sucks, Confirmation please",
    ], keep_handles=["united", "JetBlue", "AmericanAir", "AmazonHelp"])
    assert masked[:6] == [
        "@united I can't DM you so here's the confirmation # [booking] - please help",
        "@JetBlue traveling with me on a sep reservation number [booking]",
        "@united Never got tickets. Conf #[booking]",
        "@AmericanAir please help regarding PNR [booking]. Why am I",
        "@AmericanAir FF# [booking] and my reservation [booking]",
        "@AmazonHelp Booking no [booking]",
    ]
    assert masked[6:] == ["@united not able to DM you my confirmation number", "@united booking number 12345678 is missing",
                          "@united the booking process sucks, Confirmation please"]
    # a second cue word is read through; a balance before "points" and a name after a cue are no codes (review)
    more = m.mask_many(["AAdvantage member 12345678 not credited", "booking reference ABC123",
                        "Rapid Rewards 25000 points", "booking Expedia was awful"])
    assert more == ["AAdvantage member [booking] not credited", "booking reference [booking]",
                    "Rapid Rewards 25000 points", "booking Expedia was awful"]
    from ml.profile.terms import clean_for_terms

    assert "booking" not in clean_for_terms("confirmation # [booking]")  # a placeholder is no topic word


@pytest.mark.parametrize("text, address", [
    # real TWCS tweets (first 5,000): a numbered street after a direction, "Terr", no commas before state + ZIP
    ("Address: 3003 E 107 Terr  Kansas City MO 64137", "3003 E 107 Terr  Kansas City MO 64137"),
    ("6290 E Pacific Coast Hwy\nLong Beach, CA  90803 is the store", "6290 E Pacific Coast Hwy\nLong Beach, CA  90803"),
    ("I live at 221B Baker Street, London NW1 6XE thanks", "221B Baker Street, London NW1 6XE"),  # a UK postcode
])
def test_an_address_is_masked_whole_with_its_city_and_postcode(text, address):
    from ml.profile.masking import mask_pii

    assert mask_pii(text) == text.replace(address, "[address]")


@pytest.mark.parametrize("text", ["I have 2 12 Court dates", "I waited 3 20 Way too long", "5 minutes walk"])
def test_numbers_before_a_street_word_are_no_address(text):
    from ml.profile.masking import mask_pii

    assert mask_pii(text) == text


def test_a_first_name_that_starts_a_brand_handle_is_still_a_name():
    """marksandspencer is a kept brand handle; "Mark" starts it but is a first name: "Thanks Mark!" is a person.
    A non-name that starts a handle stays a brand word ("Chipotle" for chipotletweets), and a first name that is
    a whole handle too ("Delta" for delta)."""
    out = mask_texts(["Thanks Mark! @marksandspencer was great", "@ChipotleTweets Chipotle was great",
                      "@Delta Delta lost my bag"], ["marksandspencer", "chipotletweets", "delta"])
    assert out[0] == "Thanks [name]! @marksandspencer was great"
    assert "Chipotle was great" in out[1] and "Delta lost my bag" in out[2]


@pytest.mark.parametrize("clause,value,placeholder", [
    # a Customer Support on Twitter review found these in persona evidence, members and the report
    ("Ship it to 12478 old us 35 nw, jeforsonville Ohio 43128", "43128", "[address]"),
    ("Ship it to 12478 old us 35 nw, jeforsonville Ohio 43128", "12478", "[address]"),
    ("Name: Jane Doe; Zip:30093; Phone#: 555-201-4567", "30093", "[address]"),
    ("Booking ref MP79V2 and QMAS91 second one is my son's", "QMAS91", "[booking]"),
    ("Yes, GEX8LD", "GEX8LD", "[booking]"),
    ("Conf# FVF9YW  SWRR# 298033455", "298033455", "[booking]"),
    ("I called twice, last name Pordes", "Pordes", "[name]"),
    # what names no one stays: an aircraft's registration, an ICAO flight number or aircraft type
    ("Row 9 window cover on N366SW could use some LUV", "N366SW", None),
    ("rear facing car seat on an ERJ145", "ERJ145", None),
    ("on UAL212 LAX-JFK", "UAL212", None),
    # a state's two-letter code that is also a label: an order or case id stays readable (a diff review)
    ("I called 3 times about order ID 12345", "ID 12345", None),
    ("Case ID 54321 please", "54321", None),
    ("send it to Boise, ID 83702", "83702", "[address]"),
])
def test_addresses_without_a_street_word_locators_and_surnames(tweets, clause, value, placeholder):
    _check(tweets, clause, value, placeholder)


@pytest.mark.parametrize(("text", "masked"), [
    ("my SSN is 501694473 and my card", "my SSN is [ssn] and my card"),
    ("social security number: 491-61-2007", "social security number: [ssn]"),
    ("it is 123-45-6789 I think", "it is [ssn] I think"),
    ("my date of birth is 14/08/1979", "my date of birth is [dob]"),
    ("DOB March 13, 1995 please", "DOB [dob] please"),
    ("d.o.b: 1974-01-11", "d.o.b: [dob]"),
    ("Birthdate 11/13/2012", "Birthdate [dob]"),
    ("router 192.168.1.1 then 108.53.222.1", "router [ip] then [ip]"),
    ("I live at LS1 4AP now", "I live at [address] now"),
    ("my postcode is SW1A 1AA", "my postcode is [address]"),
])
def test_identifiers_a_privacy_review_planted_are_masked(text, masked):
    """A privacy review (2026-12-06) planted SSNs, dates of birth, lone UK postcodes and saw a traceroute's IPs in
    real tweets: none was masked."""
    assert PiiMasker(names=False).mask(text) == masked


@pytest.mark.parametrize("text", [
    "I'm trying to find DPCI 030-02-8711 in store",  # a Target item number in an SSN's shape
    "my order 555-12-3456 never came",
    "flight 3744 (N284WN) departs on 12/03/2017",  # an aircraft's tail number, a flight date
    "iOS 11.0.3 broke my phone, version 10.3.3 was fine",
])
def test_identifier_shapes_that_are_no_personal_data_are_kept(text):
    assert PiiMasker(names=False).mask(text) == text



@pytest.mark.parametrize("text", [
    "great flight - Delta Airlines", "see you there - Best Buy", "love it - San Diego", "fun - Hong Kong",
    "In the name of Delta Air Lines please refund", "my PS4 2TB died", "Galaxy S9 4GB", "version 2.1.0.4 broke",
    "driver 6.3.0.12 crashed",
])
def test_places_brands_storage_sizes_and_versions_are_no_personal_data(text):
    """A verification of the new rules (2026-12-06): a signature rule and a "name of" cue tried then masked "- Hong
    Kong" and "Delta Air Lines" (both dropped); the postcode rule read "PS4 2TB" and the IP rule "2.1.0.4"."""
    assert PiiMasker(names="rules").mask(text) == text


def test_the_new_placeholders_are_no_terms():
    """A verification: "[ssn]", "[dob]" and "[ip]" were read as words: a persona was named "Thanks & SSN"."""
    from ml.profile.terms import clean_for_terms

    assert clean_for_terms("my number is [ssn] and [dob] from [ip] thanks").split() == ["my", "number", "is", "and",
                                                                                      "from", "thanks"]


@pytest.mark.parametrize(("text", "names"), [
    # a rule that read "from A to B" as a route of places (a TWCS audit: "trains from [name] to York") and one that
    # read a lower-case word after an article as a noun ("What is the [name] I can top up?") were tried and dropped:
    # a review and a verification found names they unmasked (docs/privacy.md, "Places of a route, 'the max'")
    ("trains from Leeds to York\nJohn Smith", ["John", "Smith"]),
    ("the train moved from Agent Smith to Agent Brown", ["Smith", "Brown"]),
    ("Changed the lead passenger from Kowalski to Nowak on the flight but the app still shows the old name",
     ["Kowalski", "Nowak"]),
    ("Can you transfer my train ticket from Aoife to Niamh? She's taking the trip now", ["Niamh"]),
    ("is the jessica who helped me yesterday working today?", ["jessica"]),
])
def test_names_where_a_route_or_a_noun_could_stand_stay_masked(text, names):
    out = mask_texts([text])[0]
    assert not any(n in out for n in names), out


@pytest.mark.parametrize(("text", "name"), [
    # names after other words stay masked, and a name of two words is masked whole (a review of the article rule)
    ("i told the agent that sarah was rude", "sarah"), ("no john didnt help me", "john"),
    ("this kevin guy at the desk", "kevin"), ("that jessica smith helped", "jessica"),
])
def test_names_after_other_determiners_stay_masked(text, name):
    assert name not in mask_texts([text])[0]


@pytest.mark.parametrize("text, leaked", [
    # airline tweets whose written text kept a full name beside one the model masked (an audit, 2026-12-06)
    ("@AmericanAir in miami and the  agents Ashley Brown and Marisol Pimentel were very  pleasant", ["Marisol", "Pimentel"]),
    ("@AmericanAir How do I check? Reservation for Sarah Miller and Kelsey Jennings. We were on hold for 2 hours.",
     ["Kelsey", "Jennings"]),
    ("@AmericanAir Nicest people ever flight to Chicago.Thanks Linda Kowalski & Norma Sedholm for making me",
     ["Norma", "Sedholm"]),
])
def test_a_name_joined_to_a_masked_one_is_masked_too(text, leaked):
    masked = PiiMasker(cache_dir="", n_process=1).mask(text)
    assert "[name]" in masked and not any(w in masked for w in leaked), masked
    assert "Chicago" in masked or "Chicago" not in text  # a place stays


def test_joined_names_keep_places_and_words():
    from ml.profile.name_rules import joined_names

    assert joined_names("Promotion ([name] and Jamaica) has a defective link", set()) == \
        "Promotion ([name] and Jamaica) has a defective link"  # no census name
    assert joined_names("That was [name], Paris, France.", set()) == "That was [name], Paris, France."  # no "and"
    assert joined_names("had a great LA flight with Clarence and [name]!", set()) == \
        "had a great LA flight with [name] and [name]!"
    assert joined_names("[name] and Grace Airport staff", set()) == "[name] and [name] Airport staff"  # a word stays
    # a possessive is no other word (a review: "[name] and Mary's" kept "Mary's")
    assert joined_names("thanks to [name] and Mary's help", set()) == "thanks to [name] and [name]'s help"
    assert joined_names("[name] and Kelsey Jennings's seats", set()) == "[name] and [name]'s seats"
    assert joined_names("Mary's and [name]'s bags", set()) == "[name]'s and [name]'s bags"


def test_a_lower_case_surname_after_a_masked_name_is_masked():
    """An airline review read "[name] bussey treated me" ("Derrick bussey"): a lower-case census surname that no
    dictionary knows, right after a masked name, is its surname. A surname that is also a word stays a word."""
    from ml.profile.name_rules import joined_names

    assert joined_names("[name] bussey treated me like garbage", set()) == "[name] treated me like garbage"
    assert joined_names("[name] young and friendly", set()) == "[name] young and friendly"  # a word
    assert joined_names("[name] was great", set()) == "[name] was great"
    masked = PiiMasker(cache_dir="", n_process=1).mask("@AmericanAir Derrick bussey treated me like garbage")
    assert "bussey" not in masked and "Derrick" not in masked, masked
