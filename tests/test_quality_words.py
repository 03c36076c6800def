"""The run's stability in words, on Steinley's (2004) bands for the adjusted Rand index (ml.runtime.quality)."""

from __future__ import annotations

from ml.runtime.quality import stability_note, stability_word


def test_stability_bands():
    """Moodle's event personas refit at ARI 0.34 and nothing said that was low; the airline run's 0.67 is
    moderate, Banking77's 0.87 good, GoogleNews-TS's 0.95 excellent."""
    assert [stability_word(v) for v in (0.34, 0.65, 0.6657, 0.8681, 0.9505, None)] == [
        "poor", "moderate", "moderate", "good", "excellent", None]
    assert "present these personas as tentative" in stability_note(0.34, "users") and "users" in stability_note(0.34, "users")
    assert stability_note(0.87) == " (good on Steinley's bands)" and stability_note(None) == ""


def test_the_cli_summary_says_the_band():
    from ml.runtime.kinds import _quality

    line = _quality({"silhouette": 0.5, "dbcv": 0.1, "stability_ari": 0.41})
    assert "stability 0.41 (poor on Steinley's bands, below 0.65" in line
