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
    # persona 5 of this run was born, persona 5 of the baseline died: each says whose id it is (a re-runs review
    # read died[0] {"id": 4} and more_negative[1] {"id": 4}, two different personas)
    assert alert.born[0].run_id == "b" and alert.died[0].run_id == "a"
    assert alert.born[0].share == pytest.approx(c.new_personas[5].now.share)
    assert any("born" in r for r in alert.reasons) and alert.thresholds["alert_share"] == 0.02


def test_nothing_crossed_means_no_call():
    c = make_comparison("a", "b", n_personas=60, per_persona=20, moved=0.0)  # the born/died pair holds 1/60
    assert c.shift.psi < 0.1 and drift_alert(c) is None  # 1.7 % < alert_share 2 %
    lower = c.model_copy(update={"config": {**c.config, "alert_share": 0.01}})
    alert = drift_alert(lower)
    assert alert is not None and len(alert.born) == len(alert.died) == 1


def test_a_large_persona_turning_negative_alerts_alone_and_asks_no_refit():
    from ml.runtime.contracts.compare import ToneChange

    c = make_comparison("a", "b", n_personas=60, per_persona=20, moved=0.0)  # born/died at 1.7 % < 2 %: quiet
    assert drift_alert(c) is None
    sour = ToneChange(then=0.2, now=0.45, change=0.25, p_value=0.001, reading="more negative")

    def with_tone(share: float, tone: ToneChange):
        first = c.new_personas[0]
        grown = first.model_copy(update={"tone": tone, "now": first.now.model_copy(update={"share": share})})
        return c.model_copy(update={"new_personas": [grown, *c.new_personas[1:]]})

    alert = drift_alert(with_tone(0.05, sour))
    assert alert is not None and not alert.refit and alert.born == [] and alert.died == []
    assert [p.id for p in alert.more_negative] == [c.new_personas[0].id] and alert.more_negative[0].negative_now == 0.45
    assert alert.reasons == ["1 persona(s) with ≥ 2% share now use negative words more often"]
    assert drift_alert(with_tone(0.01, sour)) is None  # below alert_share
    assert drift_alert(with_tone(0.05, sour.model_copy(update={"reading": "no clear change"}))) is None


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/x", "http://"])
def test_only_http_urls(url):
    with pytest.raises(InputError, match="not an http"):
        check_url(url)
    assert check_url("https://hooks.example.com/x?a=1") == "https://hooks.example.com/x?a=1"


def test_post_to_a_closed_port_is_one_line():
    alert = drift_alert(make_comparison("a", "b"))
    line = post_json("http://127.0.0.1:9/x", alert, timeout_s=2)
    assert line.startswith("notify http://127.0.0.1:9/x failed:") and "\n" not in line
