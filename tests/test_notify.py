"""ml.runtime.notify: when a comparison calls the webhook, what it sends, and which URLs are refused."""

from __future__ import annotations

import pytest

from ml.runtime.errors import InputError
from ml.runtime.notify import check_url, drift_alert, post_json
from tests.store.synthetic_compare import make_comparison


def test_born_and_died_above_the_share_alert():
    c = make_comparison("a", "b", n_personas=6)  # one persona died, one was born, each about 1/6 of its run
    alert = drift_alert(c, "weekly")
    assert alert is not None and alert.series == "weekly" and alert.base_run_id == "a" and alert.run_id == "b"
    assert [p.id for p in alert.born] == [5] and [p.id for p in alert.died] == [5] and alert.refit
    assert alert.born[0].share == pytest.approx(c.new_personas[5].now.share)
    assert any("born" in r for r in alert.reasons) and alert.thresholds["alert_share"] == 0.02


def test_nothing_crossed_means_no_call():
    c = make_comparison("a", "b", n_personas=60, per_persona=20, moved=0.0)  # the born/died pair holds 1/60
    assert c.shift.psi < 0.1 and drift_alert(c) is None  # 1.7 % < alert_share 2 %
    lower = c.model_copy(update={"config": {**c.config, "alert_share": 0.01}})
    alert = drift_alert(lower)
    assert alert is not None and len(alert.born) == len(alert.died) == 1


def test_a_large_persona_turning_negative_alerts():
    from ml.runtime.contracts.compare import ToneChange

    c = make_comparison("a", "b", n_personas=60, per_persona=20, moved=0.0)
    assert drift_alert(c) is None
    first = c.new_personas[0]
    sour = ToneChange(then=0.2, now=0.45, change=0.25, p_value=0.001, reading="more negative")
    lower = c.model_copy(update={"config": {**c.config, "alert_share": 0.01}, "new_personas": [
        first.model_copy(update={"tone": sour}), *c.new_personas[1:]]})
    alert = drift_alert(lower)
    assert [p.id for p in alert.more_negative] == [first.id] and alert.more_negative[0].negative_now == 0.45
    assert any("now write more negatively" in r for r in alert.reasons)
    milder = lower.model_copy(update={"new_personas": [first.model_copy(update={"tone": sour.model_copy(
        update={"reading": "no clear change"})}), *c.new_personas[1:]]})
    assert drift_alert(milder).more_negative == []


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/x", "http://"])
def test_only_http_urls(url):
    with pytest.raises(InputError, match="not an http"):
        check_url(url)
    assert check_url("https://hooks.example.com/x?a=1") == "https://hooks.example.com/x?a=1"


def test_post_to_a_closed_port_is_one_line():
    alert = drift_alert(make_comparison("a", "b"))
    line = post_json("http://127.0.0.1:9/x", alert, timeout_s=2)
    assert line.startswith("notify http://127.0.0.1:9/x failed:") and "\n" not in line
