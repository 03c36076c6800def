"""How an evaluation-only outcome differs across personas: rates per persona, chi-square, Cramér's V.

``outcome_table(labels, outcome, bins=None) -> dict | None``. ``outcome`` is one value per user (None/NaN =
unknown, left out). Categorical outcomes are used as they are; numeric ones are cut at ``bins`` (edges) or,
without bins, into tertiles, and their per-persona mean is reported beside a Kruskal–Wallis test.
Output: ``{n, categories, personas: [{persona_id, n, rates: {category: share}, mean?}], chi2, dof,
p_value, cramers_v, kruskal_p?}``. Never used for fitting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, kruskal


def _categories(values: pd.Series, bins: list[float] | None) -> tuple[pd.Series, pd.Series | None]:
    numeric = pd.to_numeric(values, errors="coerce")
    is_numeric = numeric.notna().sum() >= 0.95 * values.notna().sum() and numeric.nunique() > 10
    if not is_numeric:
        return values.astype(str), None
    if bins:
        cats = pd.cut(numeric, bins=bins, right=False)
    else:
        cats = pd.qcut(numeric, 3, duplicates="drop")
    return cats.astype(str), numeric


def cramers_v(table: pd.DataFrame) -> tuple[float, float, int, float]:
    chi2, p, dof, _ = chi2_contingency(table.to_numpy())
    n = table.to_numpy().sum()
    r = min(table.shape) - 1
    return float(chi2), float(p), int(dof), float(np.sqrt(chi2 / (n * r))) if r > 0 and n else 0.0


def outcome_table(labels, outcome, bins: list[float] | None = None) -> dict | None:
    labels = np.asarray(labels)
    values = pd.Series(list(outcome), dtype=object)
    known = values.notna() & values.astype(str).str.strip().ne("") & values.astype(str).ne("nan")
    if known.sum() < 10:
        return None
    values, labels = values[known].reset_index(drop=True), labels[known.to_numpy()]
    cats, numeric = _categories(values, bins)
    table = pd.crosstab(pd.Series(labels, name="persona"), pd.Series(cats.to_numpy(), name="outcome"))
    out: dict = {"n": int(known.sum()), "categories": [str(c) for c in table.columns]}
    rates = table.div(table.sum(axis=1), axis=0)
    out["personas"] = []
    for pid in table.index:
        row = {"persona_id": int(pid), "n": int(table.loc[pid].sum()),
               "rates": {str(c): round(float(rates.loc[pid, c]), 4) for c in table.columns}}
        if numeric is not None:
            row["mean"] = round(float(numeric[labels == pid].mean()), 3)
        out["personas"].append(row)
    overall = table.sum(axis=0) / table.to_numpy().sum()
    out["overall"] = {str(c): round(float(v), 4) for c, v in overall.items()}
    if table.shape[0] > 1 and table.shape[1] > 1:
        chi2, p, dof, v = cramers_v(table)
        out.update(chi2=round(chi2, 3), dof=dof, p_value=p, cramers_v=round(v, 4))
    else:
        out.update(chi2=None, dof=0, p_value=None, cramers_v=None)
    if numeric is not None and len(np.unique(labels)) > 1:
        groups = [numeric[labels == pid].dropna().to_numpy() for pid in np.unique(labels)]
        out["kruskal_p"] = float(kruskal(*groups).pvalue) if all(len(g) for g in groups) else None
    return out


def rate_range(table: dict | None, categories: list[str]) -> tuple[float, float] | None:
    """(min, max) over personas of the summed rate of ``categories`` (e.g. Pass + Distinction)."""
    if not table:
        return None
    vals = [sum(p["rates"].get(c, 0.0) for c in categories) for p in table["personas"]]
    return (round(min(vals), 3), round(max(vals), 3)) if vals else None
