"""A recommendation's citations: the signals it rests on and the members it quotes, each once, in order."""

from __future__ import annotations


def cite(signals=(), evidence=()) -> dict:
    return {"signals": list(dict.fromkeys(signals)), "evidence": list(dict.fromkeys(evidence))}
