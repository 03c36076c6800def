"""Configuration of the six-stage quality filter: one pydantic model per stage, nested in `FilterConfig`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class ExactDuplicatesConfig(_Stage):
    """Drop later copies of a text that is identical after normalisation; the first occurrence stays."""


class NearDuplicatesConfig(_Stage):
    """MinHash-LSH near-duplicates over character n-grams of the normalised text."""

    threshold: float = Field(
        0.8, ge=0.3, le=0.95, description="Jaccard similarity that counts as a duplicate"
    )
    num_perm: int = Field(128, ge=64, le=1024, description="MinHash permutations")
    shingle_chars: int = Field(5, ge=2, le=12, description="character n-gram size")
    seed: int = 1


class RetweetsForwardsConfig(_Stage):
    """Drop retweets, quoted tweets and forwards unless the author added `min_own_words` own words."""

    min_own_words: int = Field(3, ge=0)


class LengthConfig(_Stage):
    """Drop texts shorter than `min_words` words or `min_chars` characters (handles/URLs removed) or longer
    than `max_chars` characters."""

    min_words: int = Field(3, ge=0)
    min_chars: int = Field(10, ge=0)
    max_chars: int = Field(2000, ge=1)

    @model_validator(mode="after")
    def _bounds(self) -> LengthConfig:
        if self.max_chars <= self.min_chars:
            raise ValueError(
                f"length.max_chars ({self.max_chars}) must exceed length.min_chars ({self.min_chars})"
            )
        return self


class TemplatesConfig(_Stage):
    """Drop boilerplate: a skeleton seen `min_count`+ times across authors or with different fillers."""

    min_count: int = Field(5, ge=2)
    min_words: int = Field(4, ge=1, description="skeletons with fewer plain words are ordinary short phrases")


class NonEnglishConfig(_Stage):
    """Drop texts that are not English (the embedding model and the style word lists are English-only)."""

    min_latin_share: float = Field(0.5, ge=0.0, le=1.0, description="share of letters in Latin script")
    min_words: int = Field(4, ge=1, description="Latin-script texts shorter than this are never judged")
    min_foreign_hits: int = Field(2, ge=1, description="distinct non-English function words needed")


class FilterConfig(BaseModel):
    """All six stages, in the order they run."""

    model_config = ConfigDict(extra="forbid")

    exact_duplicates: ExactDuplicatesConfig = Field(default_factory=ExactDuplicatesConfig)
    near_duplicates: NearDuplicatesConfig = Field(default_factory=NearDuplicatesConfig)
    retweets_forwards: RetweetsForwardsConfig = Field(default_factory=RetweetsForwardsConfig)
    length: LengthConfig = Field(default_factory=LengthConfig)
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    non_english: NonEnglishConfig = Field(default_factory=NonEnglishConfig)
