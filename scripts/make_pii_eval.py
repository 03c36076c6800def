"""Build the planted PII evaluation set ``data/eval/pii_planted.csv`` (see data/eval/PII_EVAL.md).

Each row is one real customer text from ../shared/data (TWCS inbound tweets or Twitter US Airline tweets)
with ONE item planted in it through a short template: a personal item that must be masked (name, email,
phone, card, address, iban, account) or a non-personal id that must stay readable (order, flight).
Fake values come from Faker (seeded); phones are kept only when libphonenumber calls them valid numbers
(a real number is), cards are Luhn-valid, IBANs pass mod-97, order numbers are arbitrary digits.

    python scripts/make_pii_eval.py [--out data/eval/pii_planted.csv] [--seed 13]

Needs the dev extra (Faker).
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

import pandas as pd
import phonenumbers
from faker import Faker

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COUNTS = {"name": 70, "email": 30, "phone": 40, "card": 30, "address": 30, "iban": 30, "account": 20,
          "order": 40, "flight": 40}
TEMPLATES = {
    "name": ["My name is {v}.", "{v} at the desk was so rude.", "Ask for {v}, she has my case.",
             "The booking is under {v}.", "Please help, I'm {v}.", "I spoke to {v} yesterday and nothing.",
             "Thanks {v} for sorting it out!", "{v} said it would be refunded.",
             "Manager {v} promised a call back.", "Signed, {v}"],
    "email": ["Email me at {v}", "my email is {v} please reply", "sent it to {v} twice", "({v})"],
    "phone": ["Call me on {v}", "my number is {v}", "reach me at {v} after 5pm", "text {v} pls"],
    "card": ["charged twice on card {v}", "my card {v} was declined", "card number {v} expires soon"],
    "address": ["deliver to {v} please", "package went to {v} instead", "I live at {v}", "ship it to {v}."],
    "iban": ["refund to IBAN {v}", "my IBAN is {v}", "sent the money from {v}"],
    "account": ["account number {v}", "my acct # {v} still locked", "routing number {v}, please check"],
    "order": ["order #{v} never arrived", "order number {v} is late", "my order {v} is missing",
              "confirmation {v} not received", "tracking number {v} hasn't moved"],
    "flight": ["flight {v} delayed again", "on {v} tomorrow", "{v} to Boston was cancelled",
               "stuck on flight {v}"],
}
NAME_LOCALES = ["en_US", "en_GB", "en_IN", "es_ES", "fr_FR", "de_DE", "it_IT", "en_AU"]
PHONE_REGIONS = [("US", "en_US")] * 5 + [("GB", "en_GB"), ("DE", "de_DE"), ("FR", "fr_FR"), ("AU", "en_AU")]
AIRLINES = ["AA", "UA", "DL", "WN", "B6", "VX", "US", "BA", "LH"]


def base_texts(n: int, rng: random.Random) -> list[tuple[str, str]]:
    twcs = pd.read_csv(SHARED / "twcs_sample" / "twcs_first5000.csv")
    twcs = twcs[twcs["inbound"].astype(str) == "True"]
    air = pd.read_csv(SHARED / "twitter_airline_sentiment" / "Tweets.csv")
    pool = [("twcs", t) for t in twcs["text"].dropna()] + [("airline", t) for t in air["text"].dropna()]
    pool = [(s, " ".join(t.split())) for s, t in pool if 30 <= len(t) <= 200 and "http" not in t]
    return rng.sample(pool, n)


def phone(fake: dict, rng: random.Random) -> str:
    region, loc = rng.choice(PHONE_REGIONS)
    while True:
        raw = fake[loc].phone_number()
        try:
            num = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(num):
            continue
        if region != "US":
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        nat = f"{num.national_number:010d}"
        a, b, c = nat[:3], nat[3:6], nat[6:]
        return rng.choice([f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}",
                           f"1-{a}-{b}-{c}", f"{a}{b}{c}", f"{a}-{b}-{c} x{rng.randint(10, 999)}"])


def value(kind: str, fake: dict, rng: random.Random) -> str:
    us = fake["en_US"]
    if kind == "name":
        f = fake[rng.choice(NAME_LOCALES)]
        return f"{f.first_name()} {f.last_name()}"  # no honorifics: "Dr." or "Prof." identify no one
    if kind == "email":
        return us.email()
    if kind == "phone":
        return phone(fake, rng)
    if kind == "card":
        num = us.credit_card_number()
        return " ".join(re.findall(".{1,4}", num)) if rng.random() < 0.5 else num
    if kind == "address":
        addr = us.street_address()
        return f"{addr}, {us.city()}, {us.state_abbr()} {us.zipcode()}" if rng.random() < 0.4 else addr
    if kind == "iban":
        iban = fake[rng.choice(["en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"])].iban()
        return " ".join(re.findall(".{1,4}", iban)) if rng.random() < 0.5 else iban
    if kind == "account":
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(8, 12)))
    if kind == "order":
        d = lambda k: "".join(rng.choice("0123456789") for _ in range(k))
        return rng.choice([f"{d(3)}-{d(7)}-{d(7)}", f"W{d(9)}", d(8), d(10), d(16), f"{d(4)}-{d(4)}"])
    return rng.choice([f"{rng.choice(AIRLINES)}{rng.randint(10, 2999)}", f"{rng.choice(AIRLINES)} {rng.randint(10, 2999)}",
                       str(rng.randint(100, 2999))])


def build(seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    Faker.seed(seed)
    fake = {loc: Faker(loc) for loc in {*NAME_LOCALES, "nl_NL"}}
    kinds = [k for k, c in COUNTS.items() for _ in range(c)]
    rows = []
    for i, ((source, base), kind) in enumerate(zip(base_texts(len(kinds), rng), kinds)):
        v = value(kind, fake, rng)
        clause = rng.choice(TEMPLATES[kind]).format(v=v)
        text = f"{clause} {base}" if rng.random() < 0.3 else f"{base} {clause}"
        start = text.index(v)
        rows.append({"id": i, "source": source, "kind": kind, "must_mask": kind not in ("order", "flight"),
                     "value": v, "start": start, "end": start + len(v), "text": text})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "eval" / "pii_planted.csv")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    df = build(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print(f"wrote {len(df)} rows to {args.out}: " + ", ".join(f"{k} {c}" for k, c in df["kind"].value_counts().items()))


if __name__ == "__main__":
    main()
