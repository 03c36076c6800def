"""`python -m backend` at start-up: a store that does not answer is said in one warning line (serving goes on)."""

from __future__ import annotations

import socket

from backend.__main__ import _store_note


def test_a_store_that_does_not_answer_is_said_at_start_up(tmp_path, monkeypatch):
    """A deployment review (2026-12-05): with the emulator down the server printed "Personas serving at …" and the
    trouble only showed later, as 503s on every page."""
    assert _store_note(f"sqlite:///{tmp_path / 'personas.db'}") is None
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
    note = _store_note("firestore://personas-nowhere")
    assert note.startswith("warning: the store firestore://personas-nowhere does not answer now (")
    assert note.endswith("serving anyway: /api/v1/ready answers 503 until it does") and "\n" not in note


def test_a_port_out_of_range_is_one_line_not_a_traceback(capsys):
    """A code review (2026-12-06): ``--port 70000`` crashed in uvicorn's bind with OverflowError (or, with
    ``--host localhost``, served on port 4464 while printing 70000)."""
    import pytest

    from backend.__main__ import main

    for port in ("70000", "0", "-1", "http"):
        with pytest.raises(SystemExit) as stop:
            main(["--port", port])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "is not a port: give a number from 1 to 65535" in err and "Traceback" not in err
