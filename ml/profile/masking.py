"""Personal-data masking for texts shown to people (evidence, the run's assignments, the API).

``mask_pii(text, keep_handles)`` and ``mask_texts(texts, keep_handles)`` replace person names, e-mails,
phones, Luhn-valid card numbers, IBANs, account numbers, booking record locators and loyalty numbers, street
addresses, URLs and customer @handles with placeholders (``[name]``, ``[email]``, ``[phone]``, ``[card]``,
``[iban]``, ``[account]``, ``[booking]``, ``[address]``, ``[url]``, ``[@user]``) and decode HTML entities; how each
is found is in ``ml.profile.pii``. Brand accounts in ``keep_handles`` stay readable; TWCS anonymises customers as
``@<digits>``, those are always masked. Order numbers, all-digit booking numbers, flight numbers, times, prices
and years are kept. Prefer ``mask_texts`` for many texts: names are found in batches.

``detect_brand_handles`` finds the accounts a data set addresses most, for use as ``keep_handles``;
``keep_handles_for(texts, profile_config)`` is the list a run uses (the configured one, else detected).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from ml.profile.pii import EMAIL_RE, HANDLE_RE, URL_RE, PiiMasker, decode_entities

__all__ = ["EMAIL_RE", "HANDLE_RE", "URL_RE", "cache_masks", "decode_entities", "detect_brand_handles",
           "keep_handles_for", "mask_pii", "mask_texts", "uncached_texts"]

_MASKER = PiiMasker()
_BULK = PiiMasker(n_process=None, cache_dir=None)  # run writers: parallel NER when large, cached on disk
_SERIAL = PiiMasker(n_process=1, cache_dir=None)  # a background masker (ml.runtime.mask_prefetch)
_BULK_PATTERNS = PiiMasker(names=False)


def _norm(handle: str) -> str:
    return handle.lstrip("@").lower()


def mask_pii(text, keep_handles: Iterable[str] | None = None) -> str:
    """Return ``text`` with personal data replaced by placeholders; non-strings (None, NaN) give ""."""
    return _MASKER.mask(text, keep_handles)


def mask_texts(texts: Iterable, keep_handles: Iterable[str] | None = None, *, names: bool = True,
               parallel: bool = True, known_names: Iterable[str] = ()) -> list[str]:
    """``mask_pii`` over many texts: names found in batches (in parallel from 20,000 texts unless
    ``parallel=False``), and masked texts kept in the on-disk cache (``ml.profile.mask_cache``) so that a
    re-run reuses them. ``names=False``: patterns only, for generated texts such as event mixes
    ("quiz 20%, forum 15%"). ``known_names``: people's names known from the data (staff sign-offs, the
    authors' own names), masked wherever written capitalised (``PiiMasker.mask_many``)."""
    masker = _BULK if parallel else _SERIAL
    return (masker if names else _BULK_PATTERNS).mask_many(list(texts), keep_handles, known_names)


def cache_masks(texts: Iterable, keep_handles: Iterable[str] | None = None) -> int:
    """Put the masks of ``texts`` that the mask cache lacks into it, in this process, and return how many were
    masked: what ``mask_texts(texts, keep_handles, parallel=False)`` would cache, without building its output
    (the background masker's work; on a re-run every text is cached and this is only a lookup)."""
    return _SERIAL.fill_cache(texts, keep_handles)


def uncached_texts(texts: Iterable, keep_handles: Iterable[str] | None = None) -> list[str]:
    """The distinct texts ``mask_texts(texts, keep_handles)`` would mask now: those the mask cache lacks."""
    return _BULK.uncached(texts, keep_handles)


def keep_handles_for(texts: Sequence[str], config=None, brand_accounts: Iterable[str] = ()) -> list[str]:
    """The @handles a run leaves readable: ``config.brand_handles`` (a ``ProfileConfig``) when set, else
    ``detect_brand_handles`` with its thresholds, then ``brand_accounts``: the accounts the data shows answering
    as a company (``ml.filtering.agents``: "AskLyft", "UPSHelp"), however rarely customers address them, so "@UPSHelp
    lost my package" does not lose its company. The profiles and the run writer use the same list."""
    from ml.profile.config import ProfileConfig

    cfg = config or ProfileConfig()
    if cfg.brand_handles is not None:
        return list(cfg.brand_handles)
    found = detect_brand_handles(texts, min_share=cfg.brand_min_mention_share, min_mentions=cfg.brand_min_mentions)
    return list(dict.fromkeys(found + [_norm(a) for a in brand_accounts if not str(a).isdigit()]))


def detect_brand_handles(
    texts: Iterable[str],
    *,
    min_share: float = 0.005,
    min_mentions: int = 5,
) -> list[str]:
    """Handles addressed by many different texts: brand accounts to keep readable.

    A handle counts once per text; it is a brand when it appears in at least ``min_mentions`` texts and
    at least ``min_share`` of all texts. Purely numeric handles (TWCS customers) never qualify.
    Returns lower-case names without "@", most-mentioned first.
    """
    counts: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        if isinstance(text, str):
            counts.update({_norm(h) for h in HANDLE_RE.findall(text)})
    threshold = max(min_mentions, min_share * max(n, 1))
    return [h for h, c in counts.most_common() if c >= threshold and not h.isdigit()]
