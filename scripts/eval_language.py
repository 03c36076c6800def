"""Measure language identifiers on the hand-labelled set `data/eval/language_eval.csv` (stage 6 of the filter).

    python scripts/eval_language.py [--eval CSV] [--out JSON] [--only NAME,NAME] [--speed-texts N]

For every candidate: precision / recall / F1 on English (a text is "kept" when the candidate does not call
it non-English; `en` and `und` rows should be kept, `not_en` rows removed), the errors, speed (texts/s on N
real texts: TWCS slice + airline tweets from ../shared/data when present, else the eval texts repeated) and
memory (peak RSS growth of a fresh process that loads the model and runs the speed texts). Each candidate runs
in its own process so that memory figures do not mix. Prints a table and writes JSON (`--out`).

Candidates: the stage as shipped (py3langid, `NonEnglishConfig()` defaults), the old function-word test,
py3langid with all its languages and without the stage's rules, and lingua-language-detector (all languages
or the stage's subset, high or low accuracy mode) under the stage's rules; lingua rows are skipped with a note
when the package is not installed (`pip install lingua-language-detector==2.1.1`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from language_baseline import baseline_non_english

from ml.filtering.config import NonEnglishConfig
from ml.filtering.language import detector_text, english_scores, non_english_mask

EVAL_CSV = ROOT / "data" / "eval" / "language_eval.csv"
OUT_JSON = ROOT / "data" / "eval" / "language_results.json"
SHARED = ROOT.parent / "shared" / "data"
TARGET = 0.97


def _lingua_scorer(all_languages: bool, low_accuracy: bool):
    """A scorer for `non_english_mask` backed by lingua (ISO 639-1 top code, P(English))."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    cache: dict = {}

    def scorer(bodies: pd.Series, languages: tuple[str, ...]):
        if "det" not in cache:
            if all_languages:
                builder = LanguageDetectorBuilder.from_all_languages()
            else:
                codes = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in languages]
                builder = LanguageDetectorBuilder.from_languages(*codes)
            builder = (
                builder.with_low_accuracy_mode() if low_accuracy else builder.with_preloaded_language_models()
            )
            cache["det"] = builder.build()
        values = cache["det"].compute_language_confidence_values_in_parallel(bodies.tolist())
        top = np.array([v[0].language.iso_code_639_1.name.lower() for v in values], dtype=object)
        p_en = np.array([next(c.value for c in v if c.language == Language.ENGLISH) for v in values])
        return top, p_en

    return scorer


def _all_py3langid_codes() -> tuple[str, ...]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return tuple(sorted(set(LanguageIdentifier.from_model_file(MODEL_FILE).nb_classes)))


def _raw_py3langid(texts: pd.Series) -> np.ndarray:
    top, _ = english_scores(as_series(texts), tuple(NonEnglishConfig().languages))
    return top != "en"


def as_series(texts) -> pd.Series:
    return pd.Series(list(texts), dtype=object)


def candidate(key: str):
    """texts -> removed mask, for each candidate key."""
    cfg = NonEnglishConfig()
    if key == "stage":
        return lambda t: non_english_mask(t, cfg)
    if key == "old":
        return baseline_non_english
    if key == "py3langid-all":
        all_cfg = cfg.model_copy(update={"languages": list(_all_py3langid_codes())})
        return lambda t: non_english_mask(t, all_cfg)
    if key == "py3langid-top":
        return lambda t: _raw_py3langid(detector_text(t))
    _, scope, accuracy = key.split("-")
    scorer = _lingua_scorer(all_languages=scope == "all", low_accuracy=accuracy == "low")
    return lambda t: non_english_mask(t, cfg, scorer=scorer)


CANDIDATES = {
    "stage": "stage (py3langid, defaults)",
    "old": "old stage (function words)",
    "py3langid-all": "py3langid, all languages, stage rules",
    "py3langid-top": "py3langid, subset, top language only",
    "lingua-all-high": "lingua, all languages, high accuracy",
    "lingua-all-low": "lingua, all languages, low accuracy",
    "lingua-sub-high": "lingua, subset, high accuracy",
    "lingua-sub-low": "lingua, subset, low accuracy",
}


def metrics(labels: pd.Series, removed: np.ndarray) -> dict:
    """Precision/recall/F1 on English (und counted as English: it must be kept), und kept share."""
    kept = ~np.asarray(removed, dtype=bool)
    english = (labels != "not_en").to_numpy()
    tp = int((kept & english).sum())
    precision = tp / kept.sum() if kept.sum() else 0.0
    recall = tp / english.sum() if english.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    und = (labels == "und").to_numpy()
    return {
        "precision_en": round(float(precision), 4),
        "recall_en": round(float(recall), 4),
        "f1_en": round(float(f1), 4),
        "und_kept": round(float(kept[und].mean()), 4) if und.any() else None,
        "non_english_kept": int((kept & ~english).sum()),
        "english_removed": int((~kept & english).sum()),
    }


def speed_texts(n: int, fallback: pd.Series) -> tuple[pd.Series, str]:
    """`n` real texts for timing: TWCS slice + airline tweets (seeded sample), else the eval texts repeated."""
    twcs, air = (
        SHARED / "twcs_sample" / "twcs_first5000.csv",
        SHARED / "twitter_airline_sentiment" / "Tweets.csv",
    )
    if twcs.exists() and air.exists():
        raw = twcs.read_bytes().replace(b"\r", b"").decode("utf-8")
        from io import StringIO

        pool = pd.concat([pd.read_csv(StringIO(raw))["text"], pd.read_csv(air)["text"]], ignore_index=True)
        pool = pool.dropna().astype(str)
        return pool.sample(min(n, len(pool)), random_state=0).reset_index(drop=True), "twcs_first5000+airline"
    reps = int(np.ceil(n / len(fallback)))
    return pd.concat([fallback] * reps, ignore_index=True).head(n), "eval texts repeated"


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _run_one(key: str, eval_csv: str, n_speed: int, queue) -> None:
    """Child process: accuracy on the eval set, then speed and memory on the speed texts."""
    try:
        data = pd.read_csv(eval_csv, keep_default_na=False)
        texts, origin = speed_texts(n_speed, data["text"])
        base = _rss_mb()
        t0 = time.perf_counter()
        decide = candidate(key)
        removed = decide(data["text"])  # also loads the model
        load_and_eval_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        decide(texts)
        elapsed = time.perf_counter() - t1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = {
            "key": key,
            "name": CANDIDATES[key],
            **metrics(data["label"], removed),
            "texts_per_s": round(len(texts) / elapsed, 1),
            "speed_texts": len(texts),
            "speed_source": origin,
            "load_and_eval_s": round(load_and_eval_s, 2),
            "memory_mb": round(peak - base, 1),
            "errors": errors(data, removed),
        }
    except ImportError as exc:
        result = {"key": key, "name": CANDIDATES[key], "skipped": f"not installed: {exc.name}"}
    queue.put(result)


def errors(data: pd.DataFrame, removed: np.ndarray) -> list[dict]:
    """Rows the candidate got wrong: label, what it did, note, text (cut to 120 chars)."""
    english = (data["label"] != "not_en").to_numpy()
    wrong = np.flatnonzero(english == np.asarray(removed, dtype=bool))
    return [
        {
            "label": data["label"].iat[i],
            "decision": "removed" if removed[i] else "kept",
            "note": data["note"].iat[i],
            "text": data["text"].iat[i][:120],
        }
        for i in wrong
    ]


def run(keys: list[str], eval_csv: Path, n_speed: int) -> list[dict]:
    ctx = mp.get_context("spawn")
    results = []
    for key in keys:
        queue = ctx.Queue()
        proc = ctx.Process(target=_run_one, args=(key, str(eval_csv), n_speed, queue))
        proc.start()
        results.append(queue.get())
        proc.join()
    return results


def table(results: list[dict], eval_csv: Path) -> str:
    data = pd.read_csv(eval_csv, keep_default_na=False)
    counts = data["label"].value_counts().to_dict()
    lines = [
        (
            f"{eval_csv.name}: {len(data)} texts ({counts.get('en', 0)} en, {counts.get('und', 0)} und, "
            f"{counts.get('not_en', 0)} not_en); target P and R on English >= {TARGET}"
        ),
        f"{'candidate':40} {'P_en':>6} {'R_en':>6} {'F1':>6} {'und':>5} {'FP':>3} {'FN':>3} {'texts/s':>9} {'MB':>7}",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"{r['name']:40} skipped ({r['skipped']})")
            continue
        lines.append(
            f"{r['name']:40} {r['precision_en']:6.3f} {r['recall_en']:6.3f} {r['f1_en']:6.3f} "
            f"{r['und_kept']:5.2f} {r['non_english_kept']:3d} {r['english_removed']:3d} "
            f"{r['texts_per_s']:9.0f} {r['memory_mb']:7.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL_CSV)
    parser.add_argument("--out", type=Path, default=OUT_JSON)
    parser.add_argument(
        "--only", default="", help=f"comma-separated keys of {list(CANDIDATES)} (default: all)"
    )
    parser.add_argument("--speed-texts", type=int, default=3000)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CANDIDATES)
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        parser.error(f"unknown candidate(s) {unknown}; known: {list(CANDIDATES)}")
    results = run(names, args.eval, args.speed_texts)
    print(table(results, args.eval))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"eval": str(args.eval.name), "target": TARGET, "results": results}, indent=1)
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
