"""Optional LLM wording pass for strategies: any OpenAI-compatible chat endpoint, off by default.

Configured by environment (all unset = off):

- ``PERSONAS_LLM_BASE_URL``: e.g. ``http://localhost:11434/v1`` (the ``/chat/completions`` path is added);
- ``PERSONAS_LLM_MODEL``: model name;
- ``PERSONAS_LLM_API_KEY``: optional bearer token;
- ``PERSONAS_LLM_TIMEOUT_S``: optional, default 30.

The rewriter only receives and returns sentences. ``generate_strategy`` keeps every citation, hour and
list as computed, and rejects a rewritten sentence that drops or adds a number or a quoted term, so the
LLM can change wording, never the cited facts.
"""

from __future__ import annotations

import json
import os
import re
from typing import Protocol

import httpx

_NUM_RE = re.compile(r"\d+(?:[.,:]\d+)?")
_QUOTED_RE = re.compile(r"“([^”]+)”")


class TextRewriter(Protocol):
    """Anything that rewrites a list of sentences into the same number of sentences."""

    name: str

    def rewrite(self, texts: list[str], context: str) -> list[str]: ...


def facts_kept(old: str, new: str) -> bool:
    """True when ``new`` has exactly the numbers of ``old`` and keeps its quoted terms."""
    if sorted(_NUM_RE.findall(old)) != sorted(_NUM_RE.findall(new)):
        return False
    return all(q.lower() in new.lower() for q in _QUOTED_RE.findall(old))


class OpenAICompatibleRewriter:
    """POSTs to ``{base_url}/chat/completions``; expects a JSON array of strings back."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 30.0,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.transport = transport
        self.name = f"openai-compatible:{model}"

    def rewrite(self, texts: list[str], context: str) -> list[str]:
        system = (
            "You polish marketing-strategy sentences. Rewrite each input sentence to read well for a "
            "marketing team. Keep every number, hour, percentage and quoted term exactly; add no facts, "
            "names or claims. Answer with only a JSON array of strings, one per input, same order."
        )
        user = f"Context: {context}\nSentences:\n{json.dumps(texts, ensure_ascii=False)}"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        with httpx.Client(timeout=self.timeout_s, transport=self.transport) as client:
            resp = client.post(
                f"{self.base_url}/chat/completions",
                headers=headers,
                json={"model": self.model, "temperature": 0,
                      "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]},
            )
            resp.raise_for_status()
        content = resp.json()["choices"][0]["message"]["content"].strip()
        if content.startswith("```"):
            content = content.strip("`").removeprefix("json").strip()
        out = json.loads(content)
        if not isinstance(out, list) or len(out) != len(texts) or not all(isinstance(t, str) for t in out):
            raise ValueError("LLM answer is not a JSON array of the same number of strings")
        return out


def rewriter_from_env(environ: dict | None = None) -> OpenAICompatibleRewriter | None:
    """A rewriter when ``PERSONAS_LLM_BASE_URL`` and ``PERSONAS_LLM_MODEL`` are set, else None (off)."""
    env = os.environ if environ is None else environ
    base, model = env.get("PERSONAS_LLM_BASE_URL"), env.get("PERSONAS_LLM_MODEL")
    if not base or not model:
        return None
    return OpenAICompatibleRewriter(base, model, env.get("PERSONAS_LLM_API_KEY") or None,
                                    float(env.get("PERSONAS_LLM_TIMEOUT_S", "30")))
