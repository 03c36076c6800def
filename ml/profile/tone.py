"""Whether a persona writes more negatively than everyone in the same data (``ToneProfiler``).

Input: the members' texts and persona labels. Each text is scored with VADER (``vaderSentiment``, a
lexicon and rule set made for social-media text; it ships its lexicon, nothing is downloaded) and counts as
negative when its compound score is at most -0.05, the authors' own threshold. Output per persona
(``profile(pid)``, the ``tone`` field of a conversation persona):

- ``negative_share``: share of the persona's scored members whose text reads negative;
- ``population_negative_share``: the same over all members (each persona weighted by its size);
- ``std_diff``: ``(negative_share - population) / sqrt(p(1 - p))``, the standardised difference the
  behavioural fingerprint uses, and ``p_value``: an exact binomial test of the persona's count against the
  population share;
- ``reading``: ``"more negative"`` or ``"less negative"`` when ``|std_diff| >= min_effect`` (the fingerprint's
  highlight threshold, 0.2) and ``p_value < 0.05``, otherwise ``"like everyone"``;
- ``scored_members``: at most ``sample_per_persona`` members per persona are scored (a seeded sample), so a
  million-row run scores about ``sample_per_persona`` × personas texts.

Only the comparison within one data set is claimed. Measured against the airline tweets' sentiment labels
(``scripts/eval_tone.py``, docs/profiles.md), VADER's share of negative texts ranks personas well but its
level is far too low on complaints, and its "positive" side reads polite complaints ("thanks", "please")
as happy: so nothing here says a persona is happy, only more or less negative than the rest.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

NEGATIVE_COMPOUND = -0.05  # VADER's documented threshold for a negative text
METHOD = "VADER 3.3.2 compound <= -0.05"


def negative_flags(texts) -> np.ndarray:
    """True per text whose VADER compound score is at most -0.05."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    return np.fromiter((vader.polarity_scores(t if isinstance(t, str) else "")["compound"] <= NEGATIVE_COMPOUND
                        for t in texts), dtype=bool, count=len(texts))


class ToneProfiler:
    """Negative share per persona beside everyone's (see the module docstring).

    Learned state: ``counts_`` (persona id → (negative, scored, size)), ``population_negative_share_``.
    """

    def __init__(self, sample_per_persona: int = 1000, min_effect: float = 0.2, alpha: float = 0.05,
                 random_state: int = 0):
        self.sample_per_persona = sample_per_persona
        self.min_effect = min_effect
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, texts, labels) -> ToneProfiler:
        labels = np.asarray(labels)
        rng = np.random.default_rng(self.random_state)
        picked, owner = [], []
        for pid in np.unique(labels):
            rows = np.flatnonzero(labels == pid)
            if len(rows) > self.sample_per_persona:
                rows = np.sort(rng.choice(rows, self.sample_per_persona, replace=False))
            picked.append(rows)
            owner.append(np.full(len(rows), pid))
        rows, owner = np.concatenate(picked), np.concatenate(owner)
        negative = negative_flags(np.asarray(texts, dtype=object)[rows].tolist())
        self.counts_ = {}
        for pid in np.unique(labels):
            own = owner == pid
            self.counts_[pid.item()] = (int(negative[own].sum()), int(own.sum()), int((labels == pid).sum()))
        total = sum(size for _, _, size in self.counts_.values())
        self.population_negative_share_ = float(sum(neg / scored * size for neg, scored, size in
                                                    self.counts_.values()) / total) if total else 0.0
        return self

    def profile(self, persona_id) -> dict:
        neg, scored, _size = self.counts_[int(persona_id)]
        p0, share = self.population_negative_share_, neg / scored
        spread = np.sqrt(p0 * (1 - p0))
        diff = (share - p0) / spread if spread > 0 else 0.0
        p_value = binomtest(neg, scored, p0).pvalue if 0 < p0 < 1 else 1.0
        reading = "like everyone"
        if abs(diff) >= self.min_effect and p_value < self.alpha:
            reading = "more negative" if diff > 0 else "less negative"
        return {"negative_share": round(share, 4), "population_negative_share": round(p0, 4),
                "std_diff": round(float(diff), 4), "p_value": float(f"{p_value:.4g}"), "scored_members": scored,
                "reading": reading, "method": METHOD}


def tone_sentence(tone: dict | None) -> str:
    """"Its messages read more negative than everyone's: 50% of its members write negatively (everyone:
    31%)." or "" when the persona reads like everyone (or was not scored)."""
    if not tone or tone.get("reading") not in ("more negative", "less negative"):
        return ""
    return (f"Its messages read {tone['reading']} than everyone's: {100 * tone['negative_share']:.0f}% of its "
            f"members write negatively (everyone: {100 * tone['population_negative_share']:.0f}%).")
