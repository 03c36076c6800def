"""Typed results of comparing two runs (``ml.lineage``, ``python -m ml.compare``) and of placing fresh
data with a run's model (``python -m ml.assign``).

``Comparison``: the two runs, the thresholds used, one ``BasePersona`` per persona of the base run (what
became of it), one ``NewPersona`` per persona of the new run (where it came from, its kept lineage id and
name, the scores that decided it, its share then/now and what changed), the links between them, the
population shift (PSI) and the movers. ``ComparisonHeadline`` / ``SeriesHistory``: a series' runs in
order with the headline of each one's stored comparison; ``MoversPage``: a page of a stored comparison's
movers (the API). ``AssignSummary``: novelty, shares and PSI of fresh data against
its run, and whether to refit. Unknown fields are refused everywhere.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ml.runtime.contracts.base import Contract

BaseStatus = Literal["continued", "grown", "shrunk", "split", "merged", "died"]
NewStatus = Literal["continued", "grown", "shrunk", "split", "merged", "born"]
ShiftLevel = Literal["stable", "moderate", "major"]


_Record = Contract  # extra fields forbidden, as every contract model


class ShareCI(_Record):
    """A persona's share of its run's members with a Wilson interval."""

    count: int
    share: float
    low: float
    high: float


class PlacedShares(_Record):
    """A base persona's share with both runs' sampled members placed on the base run's personas (the population
    measure behind ``Comparison.shift``: ``ml.lineage.neighbourhood.placed_shares``), Wilson intervals on the sample
    sizes; each ``count`` is the share times its sample's size (the novel bucket takes its part of a sample first)."""

    then: ShareCI
    now: ShareCI


class RunRef(_Record):
    run_id: str
    run_dir: str | None = None
    kind: Literal["conversations", "events"] = "conversations"
    unit: str
    n_members: int
    n_personas: int
    space: str = Field(description="where persona centroids were compared, e.g. 'all-MiniLM-L6-v2' or 'events'")
    first: str | None = Field(None, description="Its earliest member's timestamp (ISO 8601, UTC); None without "
                                                "timestamps (and for event runs).")
    last: str | None = Field(None, description="Its latest member's timestamp (ISO 8601, UTC).")
    p05: str | None = Field(None, description="5th percentile of its members' timestamps (90% lie in p05..p95).")
    p95: str | None = Field(None, description="95th percentile of its members' timestamps.")
    basis: str | None = Field(None, description="The run's clock (manifest `time.basis`: \"UTC\", \"local\", a "
                                                "fixed offset such as \"UTC-08:00\", an IANA zone): the page shows "
                                                "the dates on it; None without timestamps.")
    stability_ari: float | None = Field(None, description="The run's own stability (manifest metrics): below 0.65, "
                                                          "poor, its personas are tentative and so are the changes "
                                                          "the page reads between them. None where not measured "
                                                          "and for comparisons made before 2026-12-07.")


class Link(_Record):
    """A base persona and a new persona that the matching tied together."""

    base_id: int
    new_id: int
    kind: Literal["match", "piece"] = Field(description="match: one-to-one (Hungarian); piece: split or merge part")
    similarity: float = Field(description="cosine of the two centroids")
    overlap: float | None = Field(None, description="recurring members shared / recurring members of either "
                                                     "(Jaccard); None when too few recur")
    shared_members: int = 0


class ActivityChange(_Record):
    time_basis: str | None = None
    hourly_tv: float | None = Field(None, description="total variation distance of the hourly profiles, 0..1")
    weekday_tv: float | None = None
    peak_hour_then: int | None = None
    peak_hour_now: int | None = None


class TermChange(_Record):
    kept: list[str]
    new: list[str]
    lost: list[str]
    jaccard: float


class ToneChange(_Record):
    """Its members' negative tone then and now (``ml.profile.tone``, the same scorer in both runs)."""

    then: float = Field(description="share of its scored members whose text read negative in the base run")
    now: float
    change: float = Field(description="now - then")
    p_value: float = Field(description="two-proportion z-test")
    q_value: float | None = Field(None, description="p_value adjusted for testing every persona of the comparison "
                                                   "(Benjamini-Hochberg); None before 2026-12-05")
    reading: Literal["more negative", "less negative", "no clear change"] = Field(description=(
        "more/less negative when |change| / sqrt(p (1 - p)) >= the run's profile.min_effect (p pooled) and "
        "q_value < 0.05 (p_value before 2026-12-05)"))


class FeatureShift(_Record):
    feature: str
    then: float | None
    now: float | None
    change: float


class FingerprintChange(_Record):
    mean_abs_change: float = Field(description="mean |Δ standardised difference from the population| over features")
    largest: list[FeatureShift]


class MembersNow(_Record):
    """Where most of a died persona's recurring members are in the new run."""

    persona_id: int = Field(description="the new run's persona holding most of them")
    n: int = Field(description="how many of them it holds")
    of: int = Field(description="the persona's members found in both runs")


class BasePersona(_Record):
    id: int
    name: str
    lineage_id: str
    status: BaseStatus
    new_ids: list[int] = Field(default_factory=list)
    then: ShareCI
    reason: str
    recut: bool = Field(False, description="merged as a re-cut: its conversations are in the new run too, cut "
                                           "differently (LineageConfig.recut_novelty), not a persona that joined "
                                           "another by its centroid")
    members_now: MembersNow | None = Field(
        None, description="died: where most of its members found in both runs are now (when at least "
                          "LineageConfig.min_shared_members recur): grouped differently this run (messages recur "
                          "unchanged), or, for authors, threads and event users, they also wrote or did otherwise "
                          "since")


class NewPersona(_Record):
    id: int
    name: str = Field(description="the lineage's name (kept from the base run when the lineage continues)")
    own_name: str = Field(description="the name this run gave it")
    renamed_from: str | None = Field(None, description="the lineage's earlier name, when the persona continues it "
                                                       "under this run's name because the earlier one no longer "
                                                       "describes it (ml.lineage.names)")
    lineage_id: str
    parent_lineage_ids: list[str] = Field(default_factory=list)
    status: NewStatus
    base_ids: list[int] = Field(default_factory=list)
    then: ShareCI | None = Field(None, description="share of its base persona(s) in the base run")
    now: ShareCI
    share_change: float | None = None
    scores: dict[str, float | None] = Field(default_factory=dict)
    confirmed: bool | None = Field(None, description="member overlap agrees (None: too few members recur)")
    reason: str
    recut: bool = Field(False, description="split off as a re-cut: its conversations were in the base run too, cut "
                                           "differently (LineageConfig.recut_novelty), not new ones")
    placed: PlacedShares | None = Field(
        None, description="continued, grown, shrunk: its base persona's share then and now with both runs' members "
                          "placed on the base run's personas (None where a run's model keeps no member sample, as "
                          "event runs)")
    share_recut: bool = Field(
        False, description="its own share moved by LineageConfig.growth_ratio (intervals apart) while its placed "
                           "share did not move that way by that ratio (it held, or went the other way): this fit drew "
                           "its edges elsewhere, so it is 'continued', not grown or shrunk")
    activity: ActivityChange | None = None
    terms: TermChange | None = None
    fingerprint: FingerprintChange | None = None
    tone: ToneChange | None = Field(None, description="Continued, grown and shrunk personas only (a split piece or "
                                                      "a merger holds other people than its parent); None when "
                                                      "either run's profile has no tone (runs before 2026-12-02, "
                                                      "event runs).")


class PsiBucket(_Record):
    bucket: str
    then: float
    now: float
    contribution: float


class Shift(_Record):
    psi: float
    level: ShiftLevel
    moderate: float
    major: float
    buckets: list[PsiBucket]
    basis: Literal["placed", "linked", "assigned"] | None = Field(
        None, description="placed: both runs' sampled members placed on the base run's personas by their nearest "
                          "sampled base member, plus a 'novel' bucket (members where the base run has none); "
                          "linked: the two runs' own shares over groups of linked personas plus an 'unmatched' "
                          "bucket; assigned: fresh texts assigned by the run's model (ml.assign)")
    note: str | None = Field(None, description="why the level is not the PSI's own, in words: most of either run's "
                                               "members are in personas with no counterpart (linked basis), which "
                                               "one 'unmatched' bucket cannot show (ml.lineage.shift.turnover)")


class Move(_Record):
    key: str
    from_id: int
    to_id: int
    from_lineage: str
    to_lineage: str
    moved: bool = Field(description="the member's lineage changed")
    wrote_new: bool | None = Field(None, description="the member holds a text the baseline run did not (it wrote "
                                   "since, or its conversation grew); False: the same texts, grouped anew by this "
                                   "fit; None: not known (movers by identical texts, runs before 2026-12-06)")


class Transition(_Record):
    """One cell of the movers' transition matrix: members in ``from_id`` then and ``to_id`` now."""

    from_id: int = Field(description="persona id in the baseline run")
    to_id: int = Field(description="persona id in the new run")
    count: int = Field(ge=1, description="members that were in from_id and are in to_id")


class Movers(_Record):
    key: Literal["member", "author", "text", "none"] = Field(
        description="what recurs: member ids (threads, authors as units), authors of messages, or identical texts")
    n_shared: int
    n_moved: int = Field(description="Members now in a persona of another lineage that their persona did not split "
                                     "into or merge into (runs before 2026-12-02 counted those too).")
    n_regrouped: int = Field(0, description="Members whose persona split (they are in one of its pieces) or merged "
                                            "(they are in the merged persona): re-cut around them, not moved.")
    n_unchanged: int = Field(0, description="Movers that hold the same texts as in the baseline run (wrote nothing "
                                            "since): the new fit grouped them elsewhere, they did not change.")
    matrix: list[Transition] = Field(default_factory=list, description="the transition matrix's non-empty cells")
    moves: list[Move] = Field(default_factory=list)
    truncated: bool = False


class Comparison(_Record):
    base: RunRef
    new: RunRef
    config: dict[str, Any]
    counts: dict[str, int]
    base_personas: list[BasePersona]
    new_personas: list[NewPersona]
    links: list[Link]
    shift: Shift = Field(
        description="the population shift: PSI over the base run's personas with the new run's members placed by "
                    "the base model (basis 'placed', a fixed binning as PSI needs); basis 'linked' (the fits' own "
                    "shares) where a model keeps no member sample (event runs, models saved before the sample)")
    movers: Movers
    notes: list[str] = Field(default_factory=list)
    fit_shift: Shift | None = Field(
        None, description="PSI over groups of linked personas with each run's own shares, plus an 'unmatched' "
                          "bucket (died then, born now): moves with the population and with how differently the "
                          "two fits cut it (two random halves of one population: 0.08-0.24); equals the headline "
                          "where that is linked too")


def upgrade_comparison(doc: Any) -> Any:
    """A stored comparison (JSON) in the current contract. Comparisons written before 2026-12-01 carry the PSI over
    the two fits' linked personas in ``shift`` and no ``fit_shift``; for one day the placed shift sat in
    ``placed_shift``. The placed one becomes ``shift`` (``basis: "placed"``), the linked one ``fit_shift`` (and
    ``shift`` where no placed one was stored). Current documents and anything else are returned as given."""
    if not isinstance(doc, dict) or "fit_shift" in doc or not isinstance(doc.get("shift"), dict):
        return doc
    out = dict(doc)
    placed = out.pop("placed_shift", None)
    linked = {**out["shift"], "basis": out["shift"].get("basis") or "linked"}
    out["fit_shift"] = linked
    out["shift"] = {**placed, "basis": "placed"} if isinstance(placed, dict) else linked
    return out


# -- stored comparisons and series (ml.store, the API) ---------------------------------------------
class ComparisonHeadline(_Record):
    """What a series history shows of a run's stored comparison."""

    base_run_id: str
    psi: float
    level: ShiftLevel
    basis: Literal["placed", "linked", "assigned"] | None = Field(
        None, description="what ``psi`` compares (``Shift.basis``): 'placed', the population shift; 'linked', the "
                          "two fits' own personas (runs whose models keep no member sample); None: not recorded "
                          "(headlines stored before 2026-12-02: 'linked' before 2026-12-01, 'placed' after; the "
                          "run's comparison endpoint says which)")
    counts: dict[str, int] = Field(description="personas per status: base_<status> and new_<status>")
    base_missing: bool = Field(False, description="True when the baseline run is not in the store (deleted since, or "
                                                  "a run directory never published): the comparison still reads, its "
                                                  "personas do not open")
    n_moved: int = 0
    note: str | None = Field(None, description="why the level is not the PSI's own (``Shift.note``)")


class SeriesEntry(_Record):
    run_id: str
    created_at: str | None = Field(None, description="When the run was made (not the dates of its data: `first`, "
                                                     "`last`).")
    first: str | None = Field(None, description="Its data's earliest kept timestamp (ISO 8601, UTC); None without "
                                                "timestamps and for event runs (and in a Firestore store for runs "
                                                "published before 2026-12-05).")
    last: str | None = Field(None, description="Its data's latest kept timestamp.")
    basis: str | None = Field(None, description="The clock of its charts (manifest `time.basis`).")
    kind: Literal["conversations", "events"] = "conversations"
    n_personas: int | None = None
    comparison: ComparisonHeadline | None = Field(None, description="None for the series' first run (or a run "
                                                                    "stored without a comparison)")


class SeriesHistory(_Record):
    """``GET /series/{name}``: the series' complete runs, oldest first."""

    series: str
    items: list[SeriesEntry]
    total: int
    offset: int
    limit: int


class MoversPage(_Record):
    """``GET /runs/{id}/movers``: a page of the movers listed in the run's stored comparison."""

    run_id: str
    base_run_id: str
    key: Literal["member", "author", "text", "none"]
    n_shared: int
    n_moved: int
    n_regrouped: int = Field(0, description="Members that stayed with their persona through its split or merge.")
    n_unchanged: int = Field(0, description="Movers that hold the same texts as in the baseline run.")
    listed: int = Field(description="movers the comparison lists (at most its max_moves); pages cover these")
    truncated: bool = Field(description="more members moved than the comparison lists")
    items: list[Move]
    total: int = Field(description="listed movers matching the filters")
    offset: int
    limit: int
    from_persona: int | None = None
    to_persona: int | None = None


def comparison_headline(comparison: dict[str, Any]) -> dict[str, Any]:
    """The ``ComparisonHeadline`` (as JSON) of a stored comparison document."""
    comparison = upgrade_comparison(comparison)
    return ComparisonHeadline(base_run_id=comparison["base"]["run_id"], psi=comparison["shift"]["psi"],
                              level=comparison["shift"]["level"], basis=comparison["shift"].get("basis"),
                              counts=comparison["counts"], n_moved=comparison["movers"]["n_moved"],
                              note=comparison["shift"].get("note")).model_dump(mode="json")


class AlertPersona(_Record):
    id: int
    name: str
    run_id: str | None = Field(None, description="the run whose persona ``id`` is: this run (born, more negative) "
                                                 "or the baseline (died); a persona id is only unique within a run")
    share: float = Field(description="share now (born, more negative) or then (died)")
    negative_then: float | None = Field(None, description="more_negative: share of its members writing negatively "
                                                          "in the baseline")
    negative_now: float | None = None


class DriftAlert(_Record):
    """What ``python -m ml.run --notify URL`` POSTs when a comparison crosses a threshold."""

    event: Literal["personas.drift"] = "personas.drift"
    run_id: str
    series: str | None = None
    base_run_id: str
    psi: float
    level: ShiftLevel
    counts: dict[str, int]
    born: list[AlertPersona] = Field(default_factory=list, description="born personas at or above alert_share")
    died: list[AlertPersona] = Field(default_factory=list, description="died personas at or above alert_share")
    more_negative: list[AlertPersona] = Field(default_factory=list, description=(
        "personas at or above alert_share that continue one of the baseline and now write clearly more negatively "
        "(NewPersona.tone)"))
    refit: bool = Field(description="the baseline's persona model no longer describes the data: assign with "
                                    "the new run's model (PSI at or above psi_major, or a large persona born or died)")
    reasons: list[str]
    thresholds: dict[str, float]
