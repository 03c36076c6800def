"""Thresholds of run comparison and drift checks, in one typed config section.

``LineageConfig`` is written into every comparison (``Comparison.config``) and every ``ml.assign``
summary, so a result always says which thresholds decided it. Unknown keys are errors
(``ConfigFile``), and ``LineageConfig.from_file(path)`` reads YAML or JSON like the pipeline's config.
Defaults are measured in docs/drift.md.
"""

from __future__ import annotations

from pydantic import Field

from ml.runtime.configfile import ConfigFile


class LineageConfig(ConfigFile):
    """How personas of two runs are matched and when a population shift is reported."""

    match_similarity: float = Field(
        0.85, ge=-1.0, le=1.0,
        description="cosine of two persona centroids (embedding space) from which a one-to-one match is kept")
    piece_similarity: float = Field(
        0.80, ge=-1.0, le=1.0,
        description="cosine from which an unmatched persona counts as a piece of its nearest matched one "
                    "(split or merged)")
    piece_margin: float = Field(
        0.03, ge=0.0, le=1.0,
        description="a piece must be this much more similar to its parent than to any other persona "
                    "of the parent's run; matched personas within this margin of the nearest are tied parents, "
                    "and the share check picks the one whose lost (gained) share leaves room for the piece")
    piece_share: float = Field(
        0.5, ge=0.0, le=1.0,
        description="a split piece needs its parent to have lost (a merge: the merged persona to have gained) at "
                    "least this share of the piece's own share, unless recurring members confirm it")
    pair_leftovers: bool = Field(
        True, description="after the one-to-one matching, pair a persona left unmatched with one left unmatched on the "
                          "other side, neither novel, at piece_similarity or more, when each holds more of the other's "
                          "members than any other persona does (recurring members, else nearest members): a fit that "
                          "re-drew one "
                          "persona's edges no longer reads as a death and a birth (docs/drift.md)")
    min_shared_members: int = Field(
        10, ge=1, description="recurring members (same id, author or text) a persona needs before overlap counts")
    min_overlap: float = Field(
        0.5, ge=0.0, le=1.0,
        description="share of a persona's recurring members that must land in its match to confirm it")
    novel_persona_share: float = Field(
        0.5, gt=0.0, le=1.0,
        description="share of a persona's members lying where the other run has none (novel, as ml.assign judges "
                    "fresh texts) from which it died / was born whatever its centroid; runs whose models keep a "
                    "member sample only")
    reach_share: float | None = Field(
        None, gt=0.0, le=1.0,
        description="a persona left unmatched and not novel whose sampled members' nearest members of the other "
                    "run lie, at this share or more, in one matched persona is a piece of it (split / merged) "
                    "rather than born / died; None: off; runs whose models keep a member sample only")
    recut_novelty: float | None = Field(
        0.05, gt=0.0, le=1.0,
        description="a persona left unmatched and no piece whose share of members novel against the other run, "
                    "less the share of the other run's own members that are novel in their run where its members "
                    "land (1 - novelty_quantile = 2 % over a whole run, more in loose personas), is below this, and "
                    "whose "
                    "conversations the placed shares still find in both runs, is a re-cut: a piece (split / merged) "
                    "of the matched persona its sampled members' nearest members mostly lie in, not born / died; "
                    "None: off; runs whose models keep a member sample only (docs/drift.md)")
    growth_ratio: float = Field(
        1.5, gt=1.0, description="share ratio (now/then) from which a matched persona grew (or 1/ratio: shrank)")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="level of the Wilson intervals of shares, and of the "
                              "test that a base persona's placed share fell (a re-cut unless it fell beyond its "
                              "sampling error)")
    psi_moderate: float = Field(0.1, ge=0.0, description="PSI from which the population shift is moderate")
    psi_major: float = Field(0.25, ge=0.0, description="PSI from which the population shift is major")
    psi_floor: float = Field(1e-4, gt=0.0, lt=0.01, description="share used for an empty PSI bucket")
    novelty_quantile: float = Field(
        0.98, gt=0.0, lt=1.0,
        description="ml.assign: a new member is novel when its fresh neighbourhood lies farther from the run than "
                    "this quantile of the run's own members (models without the member sample: beyond this "
                    "quantile of every persona's own member distances)")
    novelty_alert: float = Field(
        0.2, gt=0.0, le=1.0, description="ml.assign: novelty share from which a refit is recommended")
    top_terms: int = Field(10, ge=1, description="top terms compared per persona")
    max_moves: int = Field(1000, ge=0, description="movers listed one by one at most (the matrix counts all)")
    alert_psi: float = Field(
        0.1, ge=0.0, description="ml.run --notify: PSI from which the webhook is called")
    alert_share: float = Field(
        0.02, ge=0.0, le=1.0,
        description="ml.run --notify: a born persona's share now (a died persona's share then) from which the "
                    "webhook is called")
