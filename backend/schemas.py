"""Request models of the JSON API, the error body and the answers that are not run documents (assign,
strategy, health). What a run produces (runs, manifests, personas, families, members, map, features) is
answered with the run contract's models, `ml.runtime.contracts`, so the OpenAPI schema is that contract.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
#: Every integer a client sends is bounded in the schema (422, never an overflow deeper down).
MAX_ID = 2**31 - 1
MAX_INT64 = 2**63 - 1
#: The strategy goals of `ml.strategy.GOALS` (repeated here so the OpenAPI schema lists them without
#: importing the profiling code at start-up; tests/backend checks they stay equal).
Goal = Literal["acquisition", "retention", "win_back", "support_deflection", "upsell"]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. run_not_found.")
    message: str = Field(description="One line saying what went wrong and what to do.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# -- assign ----------------------------------------------------------------------------------
class Conversation(BaseModel):
    """One new conversation (or message), with the fields the pipeline reads."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, description="Raw text (several messages may be joined with newlines).")
    author: str | None = Field(None, max_length=256, description="Author id or handle, if known.")
    timestamp: Annotated[str, Field(max_length=64)] | Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)] \
        | None = Field(
        None, examples=["2017-10-31T22:10:47+02:00", "Tue Oct 31 22:10:47 +0000 2017", 1424800000],
        description="When it was written, in any format the pipeline reads (ISO 8601 with or without an "
                    "offset, the Twitter format, epoch seconds as a number or a string). With an offset the "
                    "local hour is used.")

    @field_validator("timestamp", mode="after")
    @classmethod
    def _epoch_as_text(cls, value: str | float | None) -> str | None:
        """Epoch seconds given as a number are read as the same digits in a string ("1424800000")."""
        if value is None or isinstance(value, str):
            return value
        return f"{value:.0f}" if float(value).is_integer() else repr(float(value))
    id: str | None = Field(None, max_length=256, description="Your id, echoed back.")
    reply_to: str | None = Field(None, max_length=256, description="Id of the message this one answers.")
    inbound: bool | None = Field(None, description="True = customer side.")


class EventRow(BaseModel):
    """One product-usage event of a user, for a run made from event logs (`manifest.kind == "events"`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    user: str | Annotated[int, Field(ge=-MAX_INT64, le=MAX_INT64)] = Field(
        description="User id; one assignment comes back per distinct user.")
    event: str = Field(min_length=1, max_length=512, description="Event name as in the run's data "
                                                                 "(types the run did not keep are ignored).")
    count: float | None = Field(None, gt=0, le=1e9, allow_inf_nan=False,
                                description="How many times the user did it (default 1).")
    time: str | float | None = Field(
        None, examples=["2024-05-11T09:44:00Z", "11 May, 09:44", 12],
        description="When: a timestamp, a date, epoch seconds or a day offset, as the run's data wrote it. "
                    "Needed only when the run uses a time window.")
    group: str | None = Field(None, max_length=256, description="Cohort (e.g. course), for runs fitted with one.")


class AssignRequest(BaseModel):
    """`conversations` for a conversation run, `events` for an event run (exactly one of them)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    conversations: list[Conversation] | None = Field(None, min_length=1,
                                                     description="New conversations (conversation runs).")
    events: list[EventRow] | None = Field(None, min_length=1,
                                          description="Event rows of new users (event runs, kind `events`).")

    @model_validator(mode="before")
    @classmethod
    def _one_of_them(cls, data: Any) -> Any:
        """Both fields sent is said as such before either is checked: `{"events": [], "conversations": []}` read
        "conversations: List should have at least 1 item" (an API review), which named the wrong fix."""
        if isinstance(data, dict) and data.get("conversations") is not None and data.get("events") is not None:
            raise ValueError("send either conversations or events, not both")
        return data


class Assignment(BaseModel):
    index: int = Field(description="Position in the request.")
    id: str | None = None
    persona_id: int
    persona_name: str | None = None
    distance: float | None
    would_be_noise: bool
    novel: bool | None = Field(
        None, description="Lies where the run has no members: the posted texts around it are farther from the run's "
                          "members than 98 % of the run's own members are from each other (docs/api.md#novelty). "
                          "Judged over the texts of one request; None for runs saved without the member sample.")


class AssignResponse(BaseModel):
    run_id: str
    items: list[Assignment]
    novelty_share: float | None = Field(
        None, description="Share of the posted conversations that are novel; with `python -m ml.assign`, a refit "
                          "is recommended from 0.2. None when the run cannot say (see `novel`).")


class UserAssignment(BaseModel):
    """One new user of an event run and the persona their event mix belongs to."""

    user: str
    persona_id: int | None = Field(description="None when none of the user's events is a type the run kept.")
    persona_name: str | None = None
    distance: float | None = Field(description="1 − margin (0 = clearly one persona, 1 = evenly mixed).")
    margin: float | None = Field(description="Best minus second-best membership share.")
    would_be_noise: bool = Field(description="Flagged as mixed (margin below the run's threshold), or the user has "
                                             "fewer events of the run's kept types than the run required of its own "
                                             "users (matrix.min_user_events, 5 by default).")
    n_events: float = Field(description="The user's events of the run's kept types (in its window).")


class EventAssignResponse(BaseModel):
    run_id: str
    kind: Literal["events"] = "events"
    items: list[UserAssignment]
    ignored_events: list[str] = Field(default_factory=list, description=(
        "Posted event names that are not among the run's kept event types (at most 50, sorted): they place no "
        "one. A user with only such events gets persona_id null."))


# -- strategy --------------------------------------------------------------------------------
class StrategyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    run_id: str = Field(pattern=RUN_ID_PATTERN, description="A run id or `latest`.")
    persona_id: int = Field(ge=0, le=MAX_ID, description="Persona id within the run.")
    goal: Goal | None = Field(None, description=(
        "What the strategy is for. Omitted or null: the goal suggested for the persona (support_deflection where "
        "the data names no authors, whose personas are kinds of message rather than people to reach; retention "
        "otherwise); the response says which goal was used."))
    channels: list[Annotated[str, Field(min_length=1, max_length=64, pattern=r"\S")]] | None = Field(
        None, min_length=1, max_length=20, description="Channels to choose from (default: social, email, "
                                                       "help_center, in_app, chat, sms); at least one when given.")


class CitedSnippet(BaseModel):
    """A member the strategy cites as evidence, with the snippet text as stored (masked)."""

    member_id: str
    text: str | None = Field(description="The evidence snippet (PII masked at publish); None if the persona's "
                                         "profile no longer holds it.")
    author: str | None = None
    timestamp: str | None = None


class StrategyResponse(BaseModel):
    run_id: str
    persona_id: int
    goal: Goal = Field(description="The goal the strategy was built for: the request's, or the suggested one.")
    channels: list[str] | None = None
    strategy: dict[str, Any] = Field(description="Strategy document valid against ml/strategy/schema.json.")
    evidence: list[CitedSnippet] = Field(
        default_factory=list, description="Every member id cited in `strategy` (citations.evidence), in order "
                                          "of first citation, with its snippet text.")


# -- health ----------------------------------------------------------------------------------
class Health(BaseModel):
    status: str
    version: str


class Ready(BaseModel):
    status: str
    store: str
