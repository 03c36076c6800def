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


def test_the_refits_counts_are_said_where_they_refitted_every_member():
    """A help-desk export found 33 personas, and 38 after 7 of 5,000 timestamps turned unreadable: ten seeds of the
    same data gave 32–50. The stability check's two refits say so where they refit every member."""
    from ml.runtime.quality import refit_counts_note

    met = {"n_personas": 33, "stability_personas": [35, 46], "stability_rows": 2417}
    note = refit_counts_note(met, 2417)
    assert note == ("; two refits of every member with other seeds found 35 and 46 personas (this run 33): the count "
                    "moves with the seed on this data, so take it as approximate")
    assert refit_counts_note(met, 50_000) == ""  # a sample's count is a smaller set's: not compared
    assert refit_counts_note({**met, "stability_personas": [33, 33]}, 2417) == (
        "; two refits of every member with other seeds found 33 personas each, as this run did")
    near = refit_counts_note({**met, "stability_personas": [31, 36]}, 2417)  # within a tenth: no warning
    assert near.endswith("(this run 33)")
    assert refit_counts_note({"n_personas": 33, "stability_ari": None}, 2417) == ""  # runs before the counts


def test_the_cli_summary_carries_the_refits_counts():
    from ml.runtime.kinds import _conversation_summary

    m = {"unit": "message", "counts": {"input": 5000, "kept": 2417, "personas": 33},
         "metrics": {"noise_share": 0.37, "silhouette": 0.51, "dbcv": 0.26, "stability_ari": 0.78, "n_personas": 33,
                     "stability_personas": [35, 46], "stability_rows": 2417}}
    assert "found 35 and 46 personas (this run 33)" in _conversation_summary(None, m)[0]
