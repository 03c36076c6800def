"""Assign and strategy endpoints: request validation, limits, the frame handed to the model,
the model cache, and the strategy route (generator injected; the real one in test_pipeline_run)."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from backend.deps import get_strategy_generator
from backend.routes.assign import conversations_to_frame
from backend.schemas import Conversation
from tests.backend.conftest import NEW_RUN, OLD_RUN, error_of

API = "/api/v1"
CANONICAL = ["message_id", "text", "author", "timestamp", "utc_offset_min", "local_hour", "local_weekday",
             "reply_to", "inbound", "label", "source_file", "source_row", "thread_id"]


class RecordingModel:
    """Stands in for PersonaModel: persona = len(text) % 3, and keeps the frames it saw."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def predict(self, messages: pd.DataFrame) -> pd.DataFrame:
        self.frames.append(messages)
        n = messages["text"].str.len()
        return pd.DataFrame({"member_id": messages["message_id"], "persona_id": n % 3,
                             "distance": n / 100.0, "would_be_noise": n > 50})


def test_conversations_become_the_canonical_message_frame():
    """Same columns, dtypes and timestamp rules as ml.ingest.load.load_messages."""
    convs = [Conversation(text="hi @acme", author="u1", timestamp="2017-10-31T22:10:47+02:00", id="a"),
             Conversation(text="late order", timestamp="Sat Oct 28 09:00:00 +0000 2017", reply_to="a", id="b"),
             Conversation(text="no time")]
    frame = conversations_to_frame(convs)
    assert list(frame.columns) == CANONICAL
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["message_id"].tolist() == ["a", "b", "conversations:3"]
    assert frame["thread_id"].tolist() == ["a", "a", "conversations:3"]
    # with an offset: local time is used (22:10 local on a Tuesday); without: UTC (Saturday 09:00)
    assert frame["local_hour"].tolist()[:2] == [22, 9] and frame["local_weekday"].tolist()[:2] == [1, 5]
    assert frame["utc_offset_min"].tolist()[:2] == [120, 0]
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2017-10-31T20:10:47Z")
    assert pd.isna(frame["local_hour"].iloc[2]) and pd.isna(frame["timestamp"].iloc[2])
    assert str(frame["local_hour"].dtype) == "Int64" and str(frame["inbound"].dtype) == "boolean"


def test_assign_without_a_model_is_409_with_a_clear_message(client):
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", json={"conversations": [{"text": "hello"}]})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "model_unavailable" and "PERSONAS_RUNS_DIR" in error["message"]


def test_assign_uses_the_cached_model(make_client):
    client = make_client()
    model, loads = RecordingModel(), []
    registry = client.app.state.models
    registry._load = lambda run_id, *where: loads.append(run_id) or model
    body = {"conversations": [{"text": "where is my order", "author": "u1", "timestamp": "2017-10-31T22:10:47Z"},
                              {"text": "x" * 60, "id": "mine"}]}
    first = client.post(f"{API}/runs/latest/assign", json=body)
    assert first.status_code == 200, first.text
    items = first.json()["items"]
    assert first.json()["run_id"] == NEW_RUN
    assert [i["index"] for i in items] == [0, 1] and items[1]["id"] == "mine"
    assert items[0]["persona_id"] == len("where is my order") % 3 and items[0]["persona_name"]
    assert items[1]["would_be_noise"] is True and items[0]["would_be_noise"] is False
    client.post(f"{API}/runs/latest/assign", json=body)
    assert loads == [NEW_RUN]  # loaded once, reused
    assert len(model.frames) == 2
    # epoch seconds as a number, as docs/api.md says (an API review's 1424800000 was a 422): read as its digits
    epoch = client.post(f"{API}/runs/latest/assign", json={"conversations": [{"text": "hi", "timestamp": 1424800000}]})
    assert epoch.status_code == 200, epoch.text
    assert model.frames[-1]["timestamp"].notna().all()


def test_model_loads_once_under_concurrent_first_requests(make_client):
    registry = make_client().app.state.models
    loads = []

    def slow_load(run_id, *where):
        loads.append(run_id)
        time.sleep(0.2)
        return object()

    registry._load = slow_load
    results = []
    threads = [threading.Thread(target=lambda: results.append(registry.get("r1", {}))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == ["r1"] and len({id(r) for r in results}) == 1


def test_model_is_found_under_runs_dir(make_client, tmp_path):
    (tmp_path / OLD_RUN / "model").mkdir(parents=True)
    registry = make_client(runs_dir=tmp_path).app.state.models
    assert registry.find_run_dir(OLD_RUN, {}) == tmp_path / OLD_RUN
    assert registry.find_run_dir(NEW_RUN, {}) is None
    assert make_client(runs_dir=tmp_path).get(f"{API}/runs/{OLD_RUN}").json()["model_available"] is True


@pytest.mark.parametrize("body, field", [
    ({}, "conversations"),
    ({"conversations": []}, "conversations"),
    ({"conversations": [{"author": "u"}]}, "conversations.0.text"),
    ({"conversations": [{"text": " \n "}]}, "conversations.0.text"),
    ({"conversations": [{"text": "a", "timestamp": "yesterday"}]}, "conversations.0.timestamp"),
    ({"conversations": [{"text": "a", "colour": "red"}]}, "conversations.0.colour"),
    ({"conversations": [{"text": "a"}, {"text": "b", "timestamp": "0001-01-01T00:00:00"}]},
     "conversations.1.timestamp"),
    ({"conversations": [{"text": "a", "id": "7"}, {"text": "b", "id": "7.0"}]}, "conversations.1.id"),
    ({"conversations": [{"text": "a"}, {"text": "b", "id": "conversations:1"}]}, "conversations.1.id"),
])
def test_bad_assign_bodies_name_the_field(client, body, field):
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", json=body)
    assert response.status_code == 422, response.text
    assert error_of(response)["message"].startswith(field)


def test_a_union_fields_problem_is_said_by_the_branch_of_the_values_type(client):
    """An API review: "timestamp": -5 read "conversations.0.timestamp.constrained-str: Input should be a valid
    string (and 1 more problem)": pydantic's branch name, and no bound. A bad run id in the path is invalid_id, as
    the ids resolve_run refuses are."""
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", json={"conversations": [{"text": "a", "timestamp": -5}]})
    assert response.status_code == 422
    message = error_of(response)["message"]
    assert message.startswith("conversations.0.timestamp: ") and "greater than or equal to 0" in message, message
    assert "constrained" not in message and "more problem" not in message
    for bad in ("-x", "a" * 65, "a..b"):
        answer = client.get(f"{API}/runs/{bad}")
        assert answer.status_code == 422 and error_of(answer)["code"] == "invalid_id", (bad, answer.text)
    # a run id in a body is the same mistake (an API review got invalid_request from POST /strategy)
    answer = client.post(f"{API}/strategy", json={"run_id": "../x", "persona_id": 0, "goal": "retention"})
    assert answer.status_code == 422 and error_of(answer)["code"] == "invalid_id", answer.text
    # both bodies sent is said as such, not as the empty list's length (an API review)
    answer = client.post(f"{API}/runs/{OLD_RUN}/assign", json={"events": [], "conversations": []})
    assert answer.status_code == 422
    assert error_of(answer)["message"] == "body: send either conversations or events, not both", answer.text


def test_json_sent_as_text_is_told_to_say_json(client):
    """An API review: valid JSON posted as text/plain read "body: Input should be a valid dictionary"."""
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", content=b'{"conversations": [{"text": "hi"}]}',
                           headers={"content-type": "text/plain"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_request"
    assert error_of(response)["message"] == ("body: send JSON with Content-Type: application/json (got text/plain)")
    nobody = client.post(f"{API}/runs/{OLD_RUN}/assign")  # no body at all: said as missing, not as a content type
    assert nobody.status_code == 422 and "Content-Type" not in error_of(nobody)["message"]
    extra = client.post(f"{API}/runs/{OLD_RUN}/assign", json={"conversations": [{"text": "a", "str": 1}]})
    assert error_of(extra)["message"].startswith("conversations.0.str: ")  # a key that looks like a branch name


def test_a_body_that_is_not_json_says_where_it_breaks(client):
    """It said "23: JSON decode error" (a bare number for the field). An unreadable body is a 400 `bad_request`, as
    docs/api.md says, whether the JSON breaks (it was 422) or the bytes are not UTF-8 (Starlette's "There was an
    error parsing the body")."""
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", content=b'{"conversations": [{"text": "hi"},]}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and error_of(response)["code"] == "bad_request"
    assert error_of(response)["message"] == "body: not valid JSON at character 34 (Expecting value)"
    bytes_ = client.post(f"{API}/strategy", content=b'{"run_id": "\xff"}', headers={"content-type": "application/json"})
    assert bytes_.status_code == 400 and error_of(bytes_)["message"].startswith("body: not readable as JSON")


def test_oversized_assign_requests_are_413(make_client):
    client = make_client(max_assign_batch=5, max_body_bytes=2048)
    many = {"conversations": [{"text": "a"}] * 6}
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", json=many)
    assert response.status_code == 413 and error_of(response)["code"] == "too_many_conversations"
    big = {"conversations": [{"text": "x" * 3000}]}
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", json=big)
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"
    # the same bytes as every other error (an API review saw this one pretty-printed): compact JSON
    assert response.content.startswith(b'{"error":{"code":"payload_too_large","message":"request body over 2048')

    def chunks():  # no Content-Length: the limit applies while streaming
        for _ in range(10):
            yield b" " * 500

    response = client.post(f"{API}/runs/{OLD_RUN}/assign", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_text_longer_than_the_limit_is_422(make_client):
    client = make_client(max_text_chars=10)
    response = client.post(f"{API}/runs/{OLD_RUN}/assign", json={"conversations": [{"text": "y" * 11}]})
    assert response.status_code == 422 and error_of(response)["message"].startswith("conversations.0.text")


def fake_generator(profile, goal, channels):
    if channels and "fax" in channels:
        raise ValueError("unknown channel 'fax'; use one of email, sms")
    return {"persona": profile["name"], "goal": goal, "channels": channels or ["email"], "score": float("nan")}


def test_strategy_route(client):
    client.app.dependency_overrides[get_strategy_generator] = lambda: fake_generator
    body = {"run_id": "latest", "persona_id": 2, "goal": "retention", "channels": ["sms"]}
    first = client.post(f"{API}/strategy", json=body)
    assert first.status_code == 200, first.text
    data = first.json()
    assert data["run_id"] == NEW_RUN and data["strategy"]["channels"] == ["sms"]
    assert data["strategy"]["score"] is None  # non-finite numbers never break the JSON
    assert client.post(f"{API}/strategy", json=body).json() == data
    missing = client.post(f"{API}/strategy", json={**body, "persona_id": 42})
    assert missing.status_code == 404 and error_of(missing)["code"] == "persona_not_found"
    bad = client.post(f"{API}/strategy", json={**body, "channels": ["fax"]})
    assert bad.status_code == 422 and "fax" in error_of(bad)["message"]
    blank = client.post(f"{API}/strategy", json={**body, "goal": "   "})
    assert blank.status_code == 422 and error_of(blank)["message"].startswith("goal")
    traversal = client.post(f"{API}/strategy", json={**body, "run_id": "../../etc"})
    assert traversal.status_code == 422 and error_of(traversal)["message"].startswith("run_id")


def test_strategy_goals_match_the_generator():
    import typing

    from backend.schemas import Goal
    from ml.strategy import GOALS

    assert typing.get_args(Goal) == tuple(GOALS)


def test_real_strategy_is_deterministic_and_valid(client):
    from ml.strategy import validate_strategy

    body = {"run_id": OLD_RUN, "persona_id": 1, "goal": "support_deflection", "channels": ["email", "chat"]}
    first = client.post(f"{API}/strategy", json=body)
    assert first.status_code == 200, first.text
    assert client.post(f"{API}/strategy", json=body).json() == first.json()
    strategy = first.json()["strategy"]
    validate_strategy(strategy)
    assert strategy["persona_id"] == 1 and strategy["goal"] == "support_deflection"
    assert {c["channel"] for c in strategy["channels"]} <= {"email", "chat"}
    default = client.post(f"{API}/strategy", json={**body, "channels": None, "goal": "retention"})
    assert default.status_code == 200 and default.json()["strategy"] != strategy
    # the top-level channels are those the document recommends (an API review: [] or a repeat were echoed)
    twice = client.post(f"{API}/strategy", json={**body, "channels": ["email", "email", "chat"]}).json()
    assert twice["channels"] == [c["channel"] for c in twice["strategy"]["channels"]]
    empty = client.post(f"{API}/strategy", json={**body, "channels": []})
    assert empty.status_code == 422 and error_of(empty)["message"].startswith("channels")
