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
