"""Rebuild the *unlabelled* candidate pool of `language_eval.csv` from ../shared/data (see LANGUAGE_EVAL.md).

    python data/eval/make_language_eval.py [SHARED_DATA_DIR] > pool.csv

Prints `text,source,pool` rows: which rows were drawn and why. The labels in `language_eval.csv` were then
written by hand, one row at a time; this script only documents (and reproduces) the sampling. It needs
`lingua-language-detector` and `py3langid` because pool `flagged` is "any detector calls it non-English".
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd

SEED = 13
NON_EN_FLAG = {"es", "pt", "fr", "de", "it", "nl", "ja", "zh", "ko", "hi", "ar", "ru", "tr", "id"}
# Hand-picked hard cases (found by keyword searches, see LANGUAGE_EVAL.md): code-mixed texts, English with
# Spanish/French/German words, brand- and number-heavy English, emoji-only / id-only texts.
HARD_PICKS = [
    "twcs_first5000:660",
    "twcs_first5000:3149",
    "airline_tweets:570079549914005504",
    "airline_tweets:569714755838935040",
    "airline_tweets:568671818262773760",
    "airline_tweets:568436061959028736",
    "airline_tweets:568160511264571392",
    "airline_tweets:569899413558169600",
    "airline_tweets:567798973008994304",
    "airline_tweets:570219379696148480",
    "airline_tweets:569566712397471746",
    "airline_tweets:568269180153274368",
    "twcs_first5000:3773",
    "twcs_first5000:3753",
    "twcs_first5000:2654",
    "twcs_first5000:5008",
    "twcs_first5000:2615",
    "twcs_first5000:3686",
    "twcs_first5000:4595",
    "twcs_first5000:4481",
    "twcs_first5000:3297",
    "twcs_first5000:5885",
    "twcs_first5000:1445",
    "twcs_first5000:3546",
    "twcs_first5000:7073",
    "twcs_first5000:5084",
    "twcs_first5000:4400",
    "twcs_first5000:7604",
    "twcs_first5000:4929",
    "twcs_first5000:7048",
    "twcs_first5000:2370",
    "twcs_first5000:981",
    "twcs_first5000:5704",
    "twcs_first5000:2490",
]
_STRIP = r"(?:https?://|www\.)\S+|(?<![\w@])@\w+|(?<![\w#])#\w+"


def _twcs(path: Path) -> pd.DataFrame:
    raw = path.read_bytes().replace(b"\r", b"").decode("utf-8")
    df = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    return pd.DataFrame({"text": df["text"], "source": path.stem + ":" + df["tweet_id"]})


def _flagged(texts: pd.Series) -> pd.Series:
    import py3langid
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().build()
    body = texts.str.replace(_STRIP, " ", regex=True)
    by_lingua = [
        (lang := detector.detect_language_of(t)) is not None and lang.iso_code_639_1.name.lower()
        for t in body
    ]
    by_langid = [py3langid.classify(t)[0] for t in body]
    return pd.Series(
        [a in NON_EN_FLAG or b in NON_EN_FLAG for a, b in zip(by_lingua, by_langid)], index=texts.index
    )


def pool(shared: Path) -> pd.DataFrame:
    """All drawn rows, deduplicated by text (first pool wins)."""
    twcs = _twcs(shared / "twcs_sample" / "twcs_first5000.csv")
    kaggle = _twcs(shared / "twcs_sample" / "kaggle_sample.csv")
    air = pd.read_csv(shared / "twitter_airline_sentiment" / "Tweets.csv", dtype=str, keep_default_na=False)
    air = pd.DataFrame({"text": air["text"], "source": "airline_tweets:" + air["tweet_id"]})
    bank = pd.read_csv(shared / "banking77" / "test.csv", dtype=str, keep_default_na=False)
    bank = pd.DataFrame({"text": bank["text"], "source": "banking77_test:" + bank.index.astype(str)})
    lines = (shared / "short_text_clustering" / "tweet.jsonl").read_text().splitlines()
    tweet = pd.DataFrame({"text": [json.loads(x)["text"] for x in lines]})
    tweet["source"] = "tweet_set:" + tweet.index.astype(str)

    letters = lambda d: d["text"].str.replace(_STRIP, " ", regex=True).str.count(r"[^\W\d_]")
    air_flag = _flagged(air["text"])
    parts = [
        twcs[_flagged(twcs["text"])].assign(pool="flagged"),
        twcs.sample(90, random_state=SEED).assign(pool="random"),
        twcs[letters(twcs) <= 2].sample(20, random_state=SEED).assign(pool="undetermined"),
        kaggle.sample(15, random_state=SEED).assign(pool="random"),
        air.sample(45, random_state=SEED).assign(pool="random"),
        air[air_flag].sample(45, random_state=SEED).assign(pool="flagged"),
        bank.sample(25, random_state=SEED).assign(pool="random"),
        tweet.sample(15, random_state=SEED).assign(pool="random"),
    ]
    every = pd.concat([twcs, air], ignore_index=True).set_index("source")
    parts.append(every.loc[HARD_PICKS].reset_index().assign(pool="hard_pick"))
    out = pd.concat(parts, ignore_index=True)
    return out[~out["text"].duplicated()].reset_index(drop=True)


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared" / "data"
    pool(root).to_csv(sys.stdout, index=False)
