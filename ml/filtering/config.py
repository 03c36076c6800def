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


# py3langid codes: English plus the languages that customer-support dumps actually contain (TWCS has Spanish,
# Japanese, German, Portuguese, French, Turkish, Hindi, Chinese) and their close neighbours.
_LANGUAGE_CODES = "en es pt fr de it nl ja zh ko hi ar ru tr id pl sv tl"
DEFAULT_LANGUAGES = tuple(_LANGUAGE_CODES.split())


class NonEnglishConfig(_Stage):
    """Drop texts that are not English (the embedding model and the style word lists are English-only).

    Rule and measurements: `ml.filtering.language`, docs/language.md."""

    min_letters: int = Field(
        5, ge=1, description="texts with fewer letters (handles, URLs, emoji removed) are kept"
    )
    min_latin_share: float = Field(
        0.5, ge=0.0, le=1.0, description="below this share of Latin letters: not English"
    )
    max_english_probability: float = Field(
        0.05, gt=0.0, le=1.0, description="remove only if English is not top and P(English) is below this"
    )
    languages: list[str] = Field(
        default_factory=lambda: list(DEFAULT_LANGUAGES), min_length=2, description="py3langid candidates"
    )

    @model_validator(mode="after")
    def _has_english(self) -> NonEnglishConfig:
        if "en" not in self.languages:
            raise ValueError("non_english.languages must include 'en'")
        return self


class FilterConfig(BaseModel):
    """All six stages, in the order they run."""

    model_config = ConfigDict(extra="forbid")

    exact_duplicates: ExactDuplicatesConfig = Field(default_factory=ExactDuplicatesConfig)
    near_duplicates: NearDuplicatesConfig = Field(default_factory=NearDuplicatesConfig)
    retweets_forwards: RetweetsForwardsConfig = Field(default_factory=RetweetsForwardsConfig)
    length: LengthConfig = Field(default_factory=LengthConfig)
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    non_english: NonEnglishConfig = Field(default_factory=NonEnglishConfig)
