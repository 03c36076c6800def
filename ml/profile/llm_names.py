"""Optional LLM name proposals through the OpenAI-compatible endpoint the strategy generator uses.

Off by default. On only when ``PERSONAS_LLM_NAMES=1`` *and* the endpoint of ``ml.strategy.llm`` is
configured (``PERSONAS_LLM_BASE_URL``, ``PERSONAS_LLM_MODEL``, optional ``PERSONAS_LLM_API_KEY`` and
``PERSONAS_LLM_TIMEOUT_S``). The model sees only the persona's candidate phrases (its own n-grams and
terms) and the rule-built name, never member texts. ``PersonaNamer`` uses a proposal only when it passes
the same rules as its own names; any failure (network, timeout, bad answer) returns None, silently.
"""

from __future__ import annotations

import json
import os

import httpx

from ml.profile.behavior_words import BEHAVIOR_WORDS, split_behavior, with_behavior
from ml.profile.naming import phrase_ok
from ml.profile.spelling import capitalized

SYSTEM = (
    "You name customer personas for a marketing team. Given a persona's distinctive phrases, answer with "
    "one short name (2 to 4 words) that a person would write, built from those phrases. No person names, "
    "no slang or profanity, no word repeated in two forms. Answer with only the name."
)


class LLMNamer:
    """POSTs to ``{base_url}/chat/completions``; ``propose(candidates, current)`` → a name or None."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.transport = transport

    def propose(self, candidates: list[str], current: str) -> str | None:
        user = f"Phrases: {json.dumps(candidates, ensure_ascii=False)}\nCurrent name: {current}"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            with httpx.Client(timeout=self.timeout_s, transport=self.transport) as client:
                resp = client.post(
                    f"{self.base_url}/chat/completions",
                    headers=headers,
                    json={
                        "model": self.model,
                        "temperature": 0,
                        "messages": [
                            {"role": "system", "content": SYSTEM},
                            {"role": "user", "content": user},
                        ],
                    },
                )
                resp.raise_for_status()
            name = resp.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            return None
        if not isinstance(name, str):
            return None
        name = name.strip().strip("\"“”'.").strip()
        return name if name and "\n" not in name else None


def name_proposer_from_env(environ: dict | None = None) -> LLMNamer | None:
    """An ``LLMNamer`` when ``PERSONAS_LLM_NAMES=1`` and the LLM endpoint is configured, else None."""
    env = os.environ if environ is None else environ
    base, model = env.get("PERSONAS_LLM_BASE_URL"), env.get("PERSONAS_LLM_MODEL")
    if env.get("PERSONAS_LLM_NAMES") != "1" or not base or not model:
        return None
    return LLMNamer(
        base, model, env.get("PERSONAS_LLM_API_KEY") or None, float(env.get("PERSONAS_LLM_TIMEOUT_S", "10"))
    )


def apply_proposals(proposer, names: dict[int, str], candidates: dict[int, list[str]], texts, labels,
                    max_words: int) -> dict[int, str]:
    """``names`` (persona id → rule-built name) with each replaced by ``proposer``'s proposal (from the
    persona's first 8 ``candidates``) when the proposal passes every rule: at most ``max_words`` + 1 words, no
    behaviour word but the one the rule-built name carries, ``phrase_ok`` on the persona's texts, unique;
    silently kept otherwise (any failure of the proposer too)."""
    names = dict(names)
    allowed_behavior = {w for pair in BEHAVIOR_WORDS.values() for w in pair if w}
    for pid, name in list(names.items()):
        try:
            proposal = proposer.propose(candidates[pid][:8], name)
        except Exception:  # noqa: BLE001 - the proposer is optional: any failure keeps the phrase
            proposal = None
        if not proposal or not isinstance(proposal, str) or len(proposal.split()) > max_words + 1:
            continue
        bw = split_behavior(name)[0]  # the rule-built name's behaviour word, if its effect allowed one
        used = {w.rstrip(":,") for w in proposal.split()} & allowed_behavior
        persona_text = "\n".join(t for t, lab in zip(texts, labels, strict=True) if lab == pid)
        if used - {bw} or not phrase_ok(proposal, persona_text):
            continue
        proposal = _with_proposal(bw, proposal.strip())
        if proposal.lower() not in {n.lower() for p, n in names.items() if p != pid}:
            names[pid] = proposal
    return names


def _with_proposal(word: str | None, proposal: str) -> str:
    """A proposed name in the form of the rule-built ones: the behaviour word that the persona's name carries,
    then a colon, then the proposal without that word ("Brief: missing package orders")."""
    if word is None:
        return capitalized(proposal)
    phrase = " ".join(w for w in proposal.split() if w.rstrip(":,") != word)
    first = phrase.split(" ", 1)[0]
    if first[:1].isupper() and not any(c.isupper() for c in first[1:]):
        phrase = phrase[:1].lower() + phrase[1:]  # "Missing package orders" → "missing …"; "iPhone", "ATM" kept
    return with_behavior(word, phrase)
