"""Personas from product-usage events: users × events counts → NMF → profiles (docs/events.md).

Stages: ``ingest.load_events`` → ``matrix.EventMatrix`` → ``nmf.EventPersonaModel`` →
``profile.build_event_profiles``; ``pipeline.EventPipeline`` runs them, ``rundir.write_event_run`` writes
the run directory (``kind: "events"``), ``model.EventRunModel`` assigns new users, ``cli`` is the command
line.
"""
