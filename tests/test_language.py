"""Stage 6 (`non_english`): py3langid behind a script check, a letter minimum and a confidence margin.

Real texts from the committed evaluation set (TWCS, airline tweets); the set itself and the evaluation script
are checked too, with the target of issue 13 (precision and recall on English >= 0.97) as a regression guard.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from ml.filtering import STAGES, FilterConfig, QualityFilter
from ml.filtering.config import NonEnglishConfig
from ml.filtering.language import detector_text, english_scores, non_english_mask
from ml.runtime.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
EVAL_CSV = ROOT / "data" / "eval" / "language_eval.csv"

ENGLISH = [
    "@AppleSupport iOS 11.1 - keyboard lag. 🤨 https://t.co/TdIHT9L9dt",  # brand-heavy
    "@SpotifyCares Spotify 8.4.25.906 and iOS 11",
    "@AmazonHelp Mac book pro, with Chrome",
    "@united thnx for the info",  # short, abbreviated
    "@USAirways Okee doke",  # short slang: another top language, P(English) above the margin
    "@Delta DM sent",
    "@SouthwestAir Gracias... appreciate that!",  # English with a Spanish word
    "@AppleSupport why does my iphone 6 is redémarrer alone !!!!!",  # English with a French verb
    "@JetBlue love traveling with Jetblue. Cant wait to go to Paris oui oui!!! NYC was awesomeee!",
    "Okay amazon lost my package gr8",
]
UNDETERMINED = [
    "@117223 🍟",  # emoji only
    "@Morrisons 🎃🎃 https://t.co/biINVTmajm",
    "@comcastcares  https://t.co/r3Gr2SEyQf",  # URL only
    "@DELTA",  # handle only
    "@AppleSupport iOS 11.1",  # product and version only
    "@VerizonSupport ty",
]
FOREIGN = {
    "es": "@AskPlayStation compre una tarjeta de 50$, la metí y no se me acreditaron los 50$, me sale que revise "
    "los términos. ¿Que hago?",
    "es-short": "@AmazonHelp No. Como puedo contactarlo",
    "fr": "@117032  bonjour a partir de combien de temps après creation de paypal avec un compte bancaire peut on "
    "acheter ?",
    "pt": "@AmazonHelp na ultima atualização da entrega do meu pedido, consta que não foi possível localizar o meu "
    "endereço, poderia ajudar?",
    "de": "@AmazonHelp Warum ist es mir (und scheinbar auch ein paar anderen) nicht möglich per Bankeinzug zu "
    "bezahlen?",
    "de-mixed": "@AmazonHelp Okay, danke für die Info",
    "tr": "@AppleSupport epıl bana yardımcı olur musun telefon internet konusunda çok yakıyo napcaz ?",
    "ja": "@AmazonHelp こちらこそありがとうございました。",
    "hi": "@115850 का एकाउंट परमानेंटली डिलीट कैसे करते है?",
}


def mask(texts: list[str], **cfg) -> list[bool]:
    return non_english_mask(pd.Series(texts), NonEnglishConfig(**cfg)).tolist()


def test_english_and_undetermined_kept_foreign_removed():
    assert mask(ENGLISH) == [False] * len(ENGLISH)
    assert mask(UNDETERMINED) == [False] * len(UNDETERMINED)
    assert mask(list(FOREIGN.values())) == [True] * len(FOREIGN)


def test_detector_text_strips_what_carries_no_language():
    texts = pd.Series(
        [
            "@116215 Hola! Mira https://t.co/x1 #PS4 &amp; más 😍🐶 ^JJ",
            "Cupertino, we have a problem. .@115858 .@AppleSupport",
            "@116886 ...possible. *HCK 2/2",
        ]
    )
    assert detector_text(texts).tolist() == [
        "Hola! Mira más",
        "Cupertino, we have a problem. . .",
        "...possible. 2/2",
    ]


def test_margin_and_letter_minimum_are_what_keep_short_english():
    short = ["@Delta DM sent", "@USAirways Okee doke"]
    top, p_en = english_scores(detector_text(pd.Series(short)), tuple(NonEnglishConfig().languages))
    assert all(t != "en" for t in top) and all(0.05 <= p < 0.5 for p in p_en)
    # without the margin (remove whenever English is not the top language) both would go
    assert mask(short, max_english_probability=1.0) == [True, True]
    # "Danke :-)" has 5 letters: judged (and removed) by default, kept below a higher letter minimum
    assert mask(["@116933 Danke :-)"]) == [True]
    assert mask(["@116933 Danke :-)"], min_letters=6) == [False]


def test_script_rule_needs_no_model_call():
    calls = []

    def scorer(bodies, languages):
        calls.append(len(bodies))
        return english_scores(bodies, languages)

    texts = pd.Series([FOREIGN["ja"], FOREIGN["hi"], "@117223 🍟"])
    assert non_english_mask(texts, NonEnglishConfig(), scorer=scorer).tolist() == [True, True, False]
    assert calls == []


def test_config_validation():
    with pytest.raises(ValidationError, match="must include 'en'"):
        NonEnglishConfig(languages=["es", "fr"])
    with pytest.raises(ValidationError):
        NonEnglishConfig(max_english_probability=0)
    with pytest.raises(InputError, match="non_english.languages"):
        mask(["this is a long enough english sentence"], languages=["en", "xx"])


def test_filter_report_lists_removed_examples():
    texts = [*ENGLISH[:3], FOREIGN["es"], FOREIGN["de"], FOREIGN["ja"], *UNDETERMINED[:2]]
    df = pd.DataFrame({"message_id": [f"m{i}" for i in range(len(texts))], "text": texts})
    cfg = FilterConfig.model_validate({s: {"enabled": s == "non_english"} for s in STAGES})
    qf = QualityFilter(cfg)
    kept = qf.fit_transform(df)
    assert list(kept["message_id"]) == ["m0", "m1", "m2", "m6", "m7"]
    report = qf.report_[-1]
    assert report["stage"] == "non_english" and report["removed"] == 3
    assert [e["message_id"] for e in report["examples"]] == ["m3", "m4", "m5"]
    assert report["examples"][0]["text"].startswith("[@user] compre una tarjeta")  # masked as evidence is


def test_committed_eval_set_shape():
    data = pd.read_csv(EVAL_CSV, keep_default_na=False)
    assert list(data.columns) == ["text", "label", "source", "note"]
    assert len(data) >= 300 and not data["text"].duplicated().any()
    counts = data["label"].value_counts()
    assert set(counts.index) == {"en", "not_en", "und"} and counts["not_en"] >= 80
    assert data["source"].str.split(":").str[0].nunique() >= 4


def test_eval_script_meets_target_on_committed_set(tmp_path):
    out = tmp_path / "results.json"
    cmd = [sys.executable, "scripts/eval_language.py", "--only", "stage,old", "--speed-texts", "300"]
    proc = subprocess.run(
        [*cmd, "--out", str(out)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    assert "stage (py3langid, defaults)" in proc.stdout
    results = {r["key"]: r for r in json.loads(out.read_text())["results"]}
    stage, old = results["stage"], results["old"]
    assert stage["precision_en"] >= 0.97 and stage["recall_en"] >= 0.97
    assert stage["und_kept"] >= 0.95  # one miss: a person's name + "__email__" ("Tan khai wah.")
    assert old["precision_en"] < 0.9  # the function-word test lets Spanish and short foreign texts through
    assert (
        stage["texts_per_s"] > 0
        and len(stage["errors"]) == stage["non_english_kept"] + stage["english_removed"]
    )


def test_bulk_scores_are_the_librarys_rank():
    """`ml.filtering.langid_batch` walks py3langid's model for all texts at once: the top language must be
    `rank`'s and P(English) equal to float32 rounding, on the committed real texts and on edge cases."""
    from ml.filtering.langid_batch import BatchScorer
    from ml.filtering.language import _identifier

    identifier = _identifier(tuple(NonEnglishConfig().languages))
    edge = ["", " ", "OK THANKS", "ñ", "🍟🍟", "a" * 3000, "Wo ist mein Koffer", "x"]
    texts = detector_text(pd.read_csv(EVAL_CSV)["text"]).tolist() + edge
    top, p_en = BatchScorer(identifier).scores(texts)
    assert len(top) == len(p_en) == len(texts)
    for text, t, p in zip(texts, top.tolist(), p_en.tolist(), strict=True):
        ranked = identifier.rank(text)
        expected = dict(ranked)["en"]
        assert abs(p - expected) <= 1e-5, (text, p, expected)
        # the top label is rank's unless the two best are tied within rounding
        assert t == ranked[0][0] or abs(dict(ranked)[t] - ranked[0][1]) <= 1e-5, (text, t, ranked[:2])
    # the cut is not tested only on near-certain texts: some scores are far from 0 and 1
    assert ((p_en > 0.05) & (p_en < 0.95)).sum() >= 10
    assert BatchScorer(identifier).scores([])[0].size == 0


def test_scorer_tables_kept_in_the_cache_folder_score_the_same(tmp_path, monkeypatch):
    """The scorer's tables are kept as one .npz in the cache folder; a scorer read back from it gives the
    same scores as one built from py3langid's model, and a damaged file is rebuilt, not fatal."""
    import numpy as np

    from ml.filtering import language
    from ml.filtering.langid_batch import BatchScorer

    monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
    langs = tuple(NonEnglishConfig().languages)
    texts = detector_text(pd.read_csv(EVAL_CSV)["text"]).tolist()[:200] + ["", "Wo ist mein Koffer"]
    built = BatchScorer(language._identifier(langs))
    path = language.scorer_path(langs)
    assert path.parent == tmp_path and not path.exists()
    language._batch_scorer.cache_clear()
    try:
        first = language._batch_scorer(langs)  # builds and keeps the tables
        assert path.exists()
        read = BatchScorer.load(path)
        for scorer in (first, read):
            top, p_en = scorer.scores(texts)
            ref_top, ref_p = built.scores(texts)
            assert top.tolist() == ref_top.tolist() and np.array_equal(p_en, ref_p)
        language._batch_scorer.cache_clear()

        def no_model(_languages):
            raise AssertionError("the model was loaded although its tables are in the cache folder")

        monkeypatch.setattr(language, "_identifier", no_model)
        assert language._batch_scorer(langs).scores(texts)[0].tolist() == built.scores(texts)[0].tolist()
        monkeypatch.undo()
        monkeypatch.setenv("PERSONAS_CACHE_DIR", str(tmp_path))
        path.write_bytes(b"not a zip file")
        language._batch_scorer.cache_clear()
        again = language._batch_scorer(langs)
        assert again.scores(texts)[0].tolist() == built.scores(texts)[0].tolist()
        assert BatchScorer.load(path).nextmove_.dtype == np.int32  # rewritten whole
    finally:
        language._batch_scorer.cache_clear()
