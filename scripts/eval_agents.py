"""Agent/brand detection (ml.filtering.agents.AgentDetector) against a support file's inbound column.

    python scripts/eval_agents.py data/sample/twcs_sample.csv ../shared/data/twcs_sample/twcs_first5000.csv

Per file, as JSON: accounts, accounts the inbound column calls brands (every message inbound=False),
accounts detected, precision/recall on accounts and on rows (a row is an agent row when inbound=False),
the detected accounts the column calls customers (with their evidence: in TWCS these are agents whose
rows are marked inbound, so the column is not reliable there) and precision once they are set aside,
and how many inbound rows ``--inbound-only`` runs now drop as agents'.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.filtering.agents import AgentDetector
from ml.ingest.load import load_messages


def _pr(pred, truth) -> dict:
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / max(1, tp + fp), 3),
        "recall": round(tp / max(1, tp + fn), 3),
    }


def evaluate(path: str) -> dict:
    messages, _ = load_messages([path])
    det = AgentDetector().fit(messages)
    ev = det.evidence_
    inbound = messages["inbound"].astype(bool)
    brand = (~inbound).groupby(messages["author"].astype(str)).all().reindex(ev.index)
    found = ev["is_agent"].astype(bool)
    rows = det.agent_rows(messages)
    flagged_customers = ev[found & ~brand]
    signed = flagged_customers["signoff_share"] >= 0.5
    reliable = ~(found & ~brand & (ev["signoff_share"] >= 0.5))
    return {
        "file": path,
        "rows": len(messages),
        "accounts": len(ev),
        "brand_accounts": int(brand.sum()),
        "detected": int(found.sum()),
        "accounts_pr": _pr(found, brand),
        "rows_pr": _pr(rows, ~inbound.to_numpy()),
        "detected_but_inbound": [
            {
                "account": a,
                "messages": int(r.n_messages),
                "signoff_share": round(r.signoff_share, 2),
                "reasons": r.reasons,
            }
            for a, r in flagged_customers.iterrows()
        ],
        "signed_agents_marked_inbound": int(signed.sum()),
        "accounts_pr_reliable": _pr(found[reliable], brand[reliable]),
        "inbound_rows_dropped": int((rows & inbound.to_numpy()).sum()),
        "missed_brands": ev[~found & brand].index.tolist(),
    }


if __name__ == "__main__":
    print(json.dumps([evaluate(p) for p in sys.argv[1:]], indent=1, default=str))
