"""The drift webhook of ``python -m ml.run --notify URL``: a JSON summary POSTed when a comparison
crosses a threshold. The PSI is the comparison's population shift (``Comparison.shift``: both runs'
members placed on the base run's personas where the models keep a member sample), not how differently the
two fits cut (``fit_shift``), so re-fitting the same population does not alert.

``check_url(url)`` refuses anything but an http(s) URL with a host (one ``InputError`` line, before any
work). ``drift_alert(comparison, series)`` returns the ``DriftAlert`` to send, or None when nothing
crossed a threshold: PSI ≥ ``alert_psi``, or a born persona (share now) or died persona (share then) ≥
``alert_share`` (``ml.lineage.LineageConfig``, as written in the comparison), or a persona ≥ ``alert_share``
that continues one of the baseline and now writes clearly more negatively (``NewPersona.tone``: a team
watching a segment turn sour hears of it; it does not call for a refit). ``post_json(url, alert)``
sends it with a 5 s timeout and returns one line saying what happened; it never raises, so a webhook
that is down never fails the run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from ml.runtime.contracts.compare import AlertPersona, Comparison, DriftAlert
from ml.runtime.errors import InputError

TIMEOUT_S = 5.0


def check_url(url: str) -> str:
    """``url`` when it is http(s) with a host, else one ``InputError`` line."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--notify {url}: not an http(s) URL; pass e.g. https://hooks.example.com/personas")
    return url


def drift_alert(comparison: Comparison, series: str | None = None) -> DriftAlert | None:
    """The alert for ``comparison`` (see the module docstring), None when no threshold is crossed."""
    cfg = comparison.config
    alert_psi, alert_share = float(cfg.get("alert_psi", 0.1)), float(cfg.get("alert_share", 0.02))
    psi_major = float(cfg.get("psi_major", comparison.shift.major))
    now, then = comparison.new.run_id, comparison.base.run_id  # ids are per run: each persona says whose
    born = [AlertPersona(id=p.id, name=p.name, run_id=now, share=p.now.share) for p in comparison.new_personas
            if p.status == "born" and p.now.share >= alert_share]
    died = [AlertPersona(id=p.id, name=p.name, run_id=then, share=p.then.share) for p in comparison.base_personas
            if p.status == "died" and p.then.share >= alert_share]
    upset = [AlertPersona(id=p.id, name=p.name, run_id=now, share=p.now.share, negative_then=p.tone.then,
                          negative_now=p.tone.now) for p in comparison.new_personas
             if p.tone is not None and p.tone.reading == "more negative" and p.now.share >= alert_share]
    reasons = []
    if comparison.shift.psi >= alert_psi:
        reasons.append(f"PSI {comparison.shift.psi:.3f} ≥ {alert_psi}")
    if comparison.shift.note:  # a turnover the linked PSI cannot show (ml.lineage.shift.turnover)
        reasons.append(comparison.shift.note)
    if born:
        reasons.append(f"{len(born)} persona(s) born with ≥ {alert_share:.0%} share")
    if died:
        reasons.append(f"{len(died)} persona(s) died that held ≥ {alert_share:.0%} share")
    if upset:
        reasons.append(f"{len(upset)} persona(s) with ≥ {alert_share:.0%} share now use negative words more often")
    if not reasons:
        return None
    return DriftAlert(
        run_id=comparison.new.run_id, series=series, base_run_id=comparison.base.run_id,
        psi=comparison.shift.psi, level=comparison.shift.level, counts=comparison.counts, born=born, died=died,
        more_negative=upset,
        refit=comparison.shift.psi >= psi_major or bool(comparison.shift.note or born or died), reasons=reasons,
        thresholds={"alert_psi": alert_psi, "alert_share": alert_share, "psi_major": psi_major},
    )


def post_json(url: str, alert: DriftAlert, timeout_s: float = TIMEOUT_S) -> str:
    """POST ``alert`` as JSON to ``url``; one line saying it was delivered or why not (never raises)."""
    body = json.dumps(alert.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "personas-notify"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return f"notified {url} (HTTP {response.status})"
    except urllib.error.HTTPError as exc:
        return f"notify {url} failed: HTTP {exc.code}; the run is complete"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return f"notify {url} failed: {type(exc).__name__}: {reason}; the run is complete".replace("\n", " ")
