"""What ``python -m ml.assign`` (and the API's assign) writes about fresh data placed with a run's persona model:
``AssignSummary`` (``DIR/summary.json``: novelty share, persona shares run vs new with intervals, PSI, refit
verdict) and its per-persona ``AssignShare``; built by ``ml.lineage.novelty``. Moved out of
``ml.runtime.contracts.compare`` (the comparison's records, which it reuses)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ml.runtime.contracts.compare import RunRef, ShareCI, Shift, _Record


class AssignShare(_Record):
    persona_id: int
    name: str
    run: ShareCI
    new: ShareCI
    novel_share: float | None = Field(None, description="share of this persona's new members that are novel")


class AssignSummary(_Record):
    run: RunRef
    inputs: list[str]
    n_rows: int
    n_assigned: int
    novelty_share: float
    novelty_reference: Literal["member-sample", "assignments", "re-embedded"] = Field(
        description="member-sample: the model's sample of its run's member embeddings (neighbourhood rule); "
                    "models saved before it fall back to per-persona distance quantiles from the run's "
                    "assignments (same space as the model) or the run's own texts placed again by the model")
    would_be_noise_share: float
    shares: list[AssignShare]
    shift: Shift
    refit: bool
    reasons: list[str]
    config: dict[str, Any]
    timings_s: dict[str, float] = Field(default_factory=dict)
    run_shares: Literal["placed", "fitted"] = Field(
        "fitted", description="what a share's 'run' side is: placed, the run's members as its model places them "
                              "(what fresh data is compared with: the run's own texts read no shift); fitted, the "
                              "fit's own shares (models saved before 2026-12-05)")
    notes: list[str] = Field(default_factory=list, description="why a verdict was not given: a batch too small for "
                                                               "a PSI over the run's personas, or a novelty share "
                                                               "whose interval reaches under the alert")
    long_members: int = Field(0, description="fresh members longer than the text model reads at once (256 word "
                                             "pieces), placed as the run's embed.long_texts says "
                                             "(ml.features.long_text)")
    where: str | None = Field(None, description="the --where the fresh rows were filtered by (the run's own "
                                                "input.where unless --where or --no-where was given); None: every row")
    rows_left_out_by_where: int = Field(0, description="fresh rows that --where left out")
    unit: str = Field("message", description="what one assigned member is: the run's unit (message, conversation "
                                             "or author), built from the fresh rows as the run built its own")
    set_aside: dict[str, int] = Field(default_factory=dict, description="fresh messages the run's own steps set "
                                      "aside before the units were built: 'agents' (brand/agent accounts) and each "
                                      "filter stage by name")
