"""Personas: behavioral personas from customer conversations.

Pipeline stages live one per module (ingest, filtering, embed, features, fusion, reduce, cluster,
reassign, profile); `ml.pipeline` composes them from one typed config (`ml.config.PipelineConfig`)
and `ml.run` is the command line. Stages never import the store, the web framework or a
distributed engine.
"""

__version__ = "0.1.0"
