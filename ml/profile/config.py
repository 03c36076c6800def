"""Typed settings for persona profiling (`ml.profile.build_profiles`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ProfileConfig(BaseModel):
    """Knobs for profile building; every field has a safe default.

    Unknown fields are refused (``extra="forbid"``) so a typo in a run config fails fast.
    """

    model_config = ConfigDict(extra="forbid")

    # language
    n_terms: int = Field(10, ge=1, le=50, description="distinctive single terms per persona")
    n_ngrams: int = Field(8, ge=0, le=50, description="distinctive bigrams/trigrams per persona")
    min_df: int = Field(2, ge=1, description="a term must occur in at least this many members")
    max_features: int = Field(30000, ge=100, description="vocabulary cap for the term vectorizer")
    # activity
    n_peak_hours: int = Field(3, ge=1, le=24)
    # fingerprint
    n_highlights: int = Field(4, ge=0, le=12, description="plain-word sentences per persona")
    min_effect: float = Field(0.2, ge=0.0, description=(
        "|standardized difference| a persona's negative share (and profanity) needs, with p < 0.05, to read "
        "more or less negative than the rest (Cohen's small effect; ml.profile.tone)"))
    min_highlight_effect: float = Field(0.5, ge=0.0, description=(
        "|standardized difference| a behaviour needs to be said in words in highlights and descriptions "
        "(Cohen's medium effect; the fingerprint chart shows every feature). The strategy's behaviour advice uses "
        "the same 0.5 (ml.profile.fingerprint.SAID_EFFECT), whatever this is set to"))
    min_feature_coverage: float = Field(
        0.2, ge=0.0, le=1.0, description="share of a persona's members with a value needed to highlight"
    )
    # tone (ml.profile.tone)
    tone_sample_per_persona: int = Field(
        1000, ge=10, description="members per persona whose text is scored for negative tone (a seeded sample)")
    # evidence
    n_evidence: int = Field(8, ge=5, le=10, description="snippets per persona (5-10; fewer if too few members)")
    evidence_pool: int = Field(60, ge=10, description="closest core members considered before MMR")
    mmr_lambda: float = Field(0.7, ge=0.0, le=1.0, description="1 = closest only, 0 = most diverse")
    near_duplicate_cosine: float = Field(0.9, gt=0.0, le=1.0)
    near_duplicate_jaccard: float = Field(0.7, gt=0.0, le=1.0)
    min_evidence_words: int = Field(3, ge=1, description="shorter texts are not used as evidence")
    evidence_max_chars: int = Field(400, ge=80, description="longer snippets are cut with an ellipsis")
    min_evidence_authors: int = Field(
        5, ge=1, description="privacy floor: personas with fewer distinct authors (where known) show no evidence"
    )
    brand_handles: list[str] | None = Field(
        None,
        description="@handles kept unmasked; None = detect the most-mentioned accounts from the data",
    )
    mask_in_background: bool = Field(
        True, description="mask the texts a run writes in child processes (ml.runtime.mask_prefetch): one at "
        "the lowest priority while the run goes on, and from 3,000 texts one per core at the mask stage, "
        "so the run's own process only reads the mask cache; the written texts are the same either way")
    brand_min_mention_share: float = Field(0.005, ge=0.0, le=1.0)
    brand_min_mentions: int = Field(5, ge=1)
    # names (ml.profile.naming)
    name_phrase_vectors: bool = Field(
        True, description="score each name candidate also by the cosine of its own vector (the run's encoder) "
        "with the persona centroid, as KeyBERT does (docs/profiles.md, \"Names\"); off: member statistics only")
    # separators
    n_separator_signals: int = Field(8, ge=1, le=30)
    surrogate_terms_per_persona: int = Field(15, ge=1, le=100)
    surrogate_max_rows: int = Field(20000, ge=100)
    surrogate_test_size: float = Field(0.25, gt=0.0, lt=0.9)
    random_state: int = 0
