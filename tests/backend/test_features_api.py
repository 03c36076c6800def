"""GET /api/v1/features: the one table of plain feature words the explorer uses."""

from __future__ import annotations

from ml.features.behavioral import FEATURE_NAMES, FEATURE_SPECS


def test_every_feature_has_a_plain_label_and_meaning(client):
    body = client.get("/api/v1/features")
    assert body.status_code == 200
    rows = body.json()["features"]
    assert [r["name"] for r in rows] == list(FEATURE_NAMES)
    assert [r["group"] for r in rows] == [s.group for s in FEATURE_SPECS]
    labels = [r["label"] for r in rows]
    assert len(set(labels)) == len(labels)  # no two features read the same
    for r in rows:
        assert r["label"] and r["meaning"].endswith(".") and r["definition"] and r["missing"]
        # plain words, not the column name with its underscores or transform suffix
        assert r["label"].lower() != r["name"].replace("_", " ")
        assert "_" not in r["label"] and "log" not in r["label"].lower().split()
        assert "sin" not in r["label"].lower().split() and "cos" not in r["label"].lower().split()
