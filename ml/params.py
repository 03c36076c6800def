"""Keyword arguments stored as they came: the one body of an estimator's ``__init__``.

scikit-learn's contract (``get_params`` / ``set_params`` / ``clone``) wants ``__init__`` to store each keyword
argument, unchanged, as the attribute of the same name and do nothing else. ``keep_params(self, locals())``
does exactly that, so stages with many knobs do not repeat one ``self.x = x`` line per knob.
"""

from __future__ import annotations

from typing import Any


def keep_params(estimator: Any, params: dict[str, Any]) -> None:
    """Set every entry of ``params`` (an ``__init__``'s ``locals()``) on ``estimator``, ``self`` left out."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
