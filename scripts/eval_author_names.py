"""Authors' own names in the texts (docs/privacy.md, "The authors' names in the texts"): how many signed name words
the masker leaves visible with the NER alone and with the authors' names (``ml.ingest.pseudonyms.author_names``),
how many real texts the authors' names change, and the same signed texts read through a chat's and a mailbox's
reader (the names those exports show for their authors: ``ml.ingest.load``).

    python scripts/eval_author_names.py --json author-names.json

Authors: first names and surnames drawn by US census frequency (the ``names`` package), seed 1, plus 20
international names; each signs five templated messages ("Thanks, First Last", "-- First", …). Real texts: the
distinct texts of the TWCS slice, the airline tweets and Banking77 in ``../shared/data``. Exports: each signer's five
messages as a WhatsApp chat with a shop that greets them by first name ("Hi First, …"; the contact saved as "First
Last", or as "First" for every second signer), and as mails from "First Last <first.last@example.com>". Prints a
table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED_DATA = Path(os.environ.get("PERSONAS_SHARED_DATA", REPO.parent / "shared" / "data"))
REAL = ["twcs_sample/twcs_first5000.csv", "twitter_airline_sentiment/Tweets.csv", "banking77/train.csv",
        "banking77/test.csv"]
INTERNATIONAL = ["Françoise Núñez", "Ana Côté", "Leila Ndlovu", "Wei Okafor", "Sofia Dubois", "Renée Lefèvre",
                 "Aoife Kowalski", "Niamh Nowak", "Oluwaseun Adeyemi", "Sanket Thakur", "Maria Gonzalez",
                 "Priya Raman", "Kenji Watanabe", "Chidi Eze", "Zeynep Yilmaz", "Mateus Souza", "Ingrid Larsen",
                 "Dmitri Volkov", "Amara Nwosu", "Lucía Fernández"]
TEMPLATES = ["My order still hasn't arrived and nobody answers. Thanks, {F} {L}",
             "Still waiting on the refund for the broken blender.\n-- {F}",
             "Please cancel the subscription, I was charged twice. Regards, {F}",
             "Could someone call me back about the delivery? {F} {L}",
             "This is {F} again, the parcel is still missing."]


@lru_cache(maxsize=3)
def _census_table(fname: str) -> tuple[list[str], list[float]]:
    """A census list of the ``names`` package: its names and their frequencies, read once."""
    rows = [line.split() for line in files("names").joinpath(fname).read_text().splitlines() if line.strip()]
    return [r[0].capitalize() for r in rows], [float(r[1]) for r in rows]


def census_authors(n: int, seed: int = 1) -> list[str]:
    """``n`` "First Last" names drawn by census frequency."""
    rng = random.Random(seed)
    (fw, fp), (mw, mp), (sw, sp) = (_census_table(f) for f in ("dist.female.first", "dist.male.first",
                                                                 "dist.all.last"))
    return [f"{a} {b}" for a, b in zip(rng.choices(fw + mw, fp + mp, k=n), rng.choices(sw, sp, k=n))]


def visible(rows: list[tuple[str, str]], masked: list[str]) -> tuple[int, int]:
    """Name words of each row's author written in its text, and how many of them the masked text still shows."""
    left = total = 0
    for (author, text), out in zip(rows, masked):
        for word in author.split():
            if re.search(rf"\b{re.escape(word)}\b", text):
                total += 1
                left += bool(re.search(rf"\b{re.escape(word)}\b", out))
    return left, total


def _exports(folder: Path, signers: list[str]) -> None:
    """The signers' messages as WhatsApp chats (every second contact saved by the first name only) and a mailbox."""
    import mailbox
    from email.message import EmailMessage

    chats, box = folder / "chats", mailbox.mbox(str(folder / "inbox.mbox"))
    chats.mkdir(parents=True)
    for k, author in enumerate(signers):
        first, last = author.split()[:2]
        contact = author if k % 2 == 0 else first
        lines = []
        for j, template in enumerate(TEMPLATES):
            text = template.format(F=first, L=last).replace("\n", " ")
            lines += [f"11/{1 + k % 28}/17, 10:{2 * j:02d} AM - {contact}: {text}",
                      f"11/{1 + k % 28}/17, 10:{2 * j + 1:02d} AM - Acme Shop: Hi {first}, thanks, we are on it."]
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = f"{author} <{first}.{last}@example.com>", \
                "help@acme.io", "my order"
            mail["Date"], mail["Message-ID"] = f"Mon, {1 + j} Dec 2020 09:41:00 +0000", f"<m{k}.{j}@x>"
            mail.set_content(text)
            box.add(mail)
        (chats / f"WhatsApp Chat with {contact}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    box.flush()


def through_readers(signers: list[str], masker) -> dict:
    """Signed and addressed name words left visible in the exports' texts, with the NER alone and with the names
    the exports show (``LoadReport.author_names``); each text's words are its chat's (or sender's) signer's."""
    import tempfile

    from ml.ingest.load import load_messages
    from ml.ingest.pseudonyms import pseudonym
    from ml.runtime.selection import company_accounts, known_names

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        _exports(Path(tmp), signers)
        for kind, path in (("WhatsApp chats", Path(tmp) / "chats"), ("mailbox", Path(tmp) / "inbox.mbox")):
            msgs, report = load_messages(path)
            if kind == "mailbox":
                owner = {pseudonym("em-", f"{a.split()[0]}.{a.split()[1]}@example.com".lower()): a for a in signers}
                rows = [(owner.get(a, ""), t) for a, t in zip(msgs["author"], msgs["text"])]
            else:
                chat = {pseudonym("wa-", a if k % 2 == 0 else a.split()[0]): a for k, a in enumerate(signers)}
                by_chat = {c: next((chat[a] for a in s if a in chat), "") for c, s in msgs.groupby("thread_id")["author"]}
                rows = [(by_chat[c], t) for c, t in zip(msgs["thread_id"], msgs["text"])]
            texts = [t for _, t in rows]
            shown = known_names((), report, company_accounts(msgs, ()))  # as a run masks them (one-word: customers)
            for label, names in (("NER alone", ()), ("with the names the export shows", shown)):
                left, total = visible(rows, masker.mask_many(texts, None, names))
                out[f"{kind}: {label}"] = {"left": left, "total": total, "names": len(names)}
    return out


def main() -> None:
    from ml.ingest.pseudonyms import author_names
    from ml.profile.pii import PiiMasker, known_names_re

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--signers", type=int, default=400, help="census-drawn authors who sign (plus 20 international x5)")
    p.add_argument("--authors", type=int, nargs="+", default=[500, 5000], help="author counts for the real-text check")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    rng = random.Random(7)
    signers = rng.sample(census_authors(5000), args.signers) + INTERNATIONAL * 5
    rows = [(a, t.format(F=a.split()[0], L=a.split()[1])) for a in signers for t in TEMPLATES]
    masker, out = PiiMasker(cache_dir=""), {"signed": {}, "real_texts": {}}
    intl = [i for i, (a, _) in enumerate(rows) if a in INTERNATIONAL]
    for label, names in (("NER alone", ()), ("with the authors' names", author_names(pd.Series(signers)))):
        masked = masker.mask_many([t for _, t in rows], None, names)
        left, total = visible(rows, masked)
        ileft, itotal = visible([rows[i] for i in intl], [masked[i] for i in intl])
        out["signed"][label] = {"left": left, "total": total, "international_left": ileft, "international_total": itotal}
    out["exports"] = through_readers(signers, masker)
    texts = list(dict.fromkeys(t for f in REAL for t in pd.read_csv(SHARED_DATA / f)["text"].dropna().astype(str)))
    for n in args.authors:
        known = known_names_re(author_names(pd.Series(census_authors(n))))
        changed = sum(bool(known.search(t)) for t in texts) if known else 0
        out["real_texts"][n] = {"texts": len(texts), "with_a_known_name": changed}
    print("| masking | signed name words left visible | international |\n|---|---|---|")
    for label, r in out["signed"].items():
        print(f"| {label} | {r['left']} of {r['total']} ({r['left'] / r['total']:.1%}) | "
              f"{r['international_left']} of {r['international_total']} |")
    print("\n| export, masking | signed or addressed name words left visible |\n|---|---|")
    for label, r in out["exports"].items():
        print(f"| {label} | {r['left']} of {r['total']} ({r['left'] / r['total']:.1%}) |")
    for n, r in out["real_texts"].items():
        print(f"{n:,} authors' names: {r['with_a_known_name']:,} of {r['texts']:,} real texts hold one "
              f"({r['with_a_known_name'] / r['texts']:.2%}; before the NER, which masks many of them anyway)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
