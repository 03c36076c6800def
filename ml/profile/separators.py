"""What separates each persona: a shallow surrogate classifier over readable signals.

Signals: binary indicators of each persona's top c-TF-IDF terms (union over personas) plus the 36
behavioral features standardized with NaN-aware statistics (missing → 0 = population mean; columns
without spread are dropped). A multinomial logistic regression (balanced class weights) is fitted on a
stratified split; held-out predictions give, for each persona, the one-vs-rest balanced accuracy
(``accuracy``; None for a persona with fewer than ``MIN_HELD_OUT`` held-out members, whose score would rest
on a handful of people), and overall balanced accuracy (``overall_accuracy_``). A persona's signals are ranked by
their mean contribution to its members' score (``importance``: the coefficient times how far the persona's
mean of the signal lies from everyone's, the persona's mean SHAP value of a linear model), so a word that
98 % of its members write outranks a 4 %-against-5 % share of capitals, which the coefficient times the
signal's standard deviation (before 2026-12-05) had put first: a rare word's standard deviation is small
whatever it does for the persona. Terms only count when present (positive), features in both directions
(``direction`` "higher"/"lower"). A signal is listed only
in the direction in which the persona's members differ from everyone (``mean_diff_``: the persona's mean
of the signal minus everyone's): a coefficient of the other sign is the model correcting for a correlated
signal ("Depth in the thread (higher)" once "Is a reply" is lower, for a persona that is lower on both),
and read beside the fingerprint it says the opposite of what the members do.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

MIN_HELD_OUT = 10  # held-out members a persona's own accuracy needs: on 3 it read "83 %" for every persona


class SurrogateSeparator:
    """``fit(term_matrix, terms, features, feature_names, labels)`` then ``signals(persona_id, n)``."""

    def __init__(self, test_size: float = 0.25, max_rows: int = 20000, random_state: int = 0, C: float = 0.5):
        self.test_size = test_size
        self.max_rows = max_rows
        self.random_state = random_state
        self.C = C

    def sample_rows(self, n: int) -> np.ndarray:
        """The rows ``fit`` learns from among ``n``: a seeded sample of ``max_rows`` above that, else all."""
        if n <= self.max_rows:
            return np.arange(n)
        return np.sort(np.random.default_rng(self.random_state).choice(n, self.max_rows, replace=False))

    def fit(self, term_matrix, terms, features, feature_names, labels) -> SurrogateSeparator:
        """``term_matrix``: one row per label, or only the rows ``sample_rows(len(labels))`` (so that a caller
        with many rows builds the term indicators of the sample alone)."""
        labels = np.asarray(labels)
        rows = self.sample_rows(len(labels))
        y = labels[rows]
        T = sp.csr_matrix(term_matrix)
        if T.shape[0] != rows.size:
            T = T[rows]
        X = np.asarray(features, dtype=np.float64)[rows]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mu, sd = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
        keep_f = np.isfinite(mu) & np.isfinite(sd) & (sd > 1e-12)
        Z = np.nan_to_num((X[:, keep_f] - mu[keep_f]) / sd[keep_f])
        self.signal_names_ = [str(t) for t in terms] + [str(f) for f, k in zip(feature_names, keep_f) if k]
        self.signal_kinds_ = ["term"] * len(terms) + ["feature"] * int(keep_f.sum())
        M = sp.hstack([T, sp.csr_matrix(Z)], format="csr")
        self.classes_ = np.unique(y)
        overall = np.asarray(M.mean(axis=0)).ravel()
        self.mean_diff_ = np.vstack([np.asarray(M[y == c].mean(axis=0)).ravel() - overall for c in self.classes_])
        self.accuracy_: dict = {}
        self.overall_accuracy_ = None
        self.coef_ = np.zeros((len(self.classes_), M.shape[1]))
        if len(self.classes_) < 2 or M.shape[1] == 0:
            return self
        counts = np.unique(y, return_counts=True)[1]
        strat = y if counts.min() >= 2 else None
        tr, te = train_test_split(np.arange(len(y)), test_size=self.test_size,
                                  random_state=self.random_state, stratify=strat)
        clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=300)
        clf.fit(M[tr], y[tr])
        pred = clf.predict(M[te])
        with warnings.catch_warnings():  # a persona with no held-out member: sklearn warns, the score stands
            warnings.simplefilter("ignore", UserWarning)
            self.overall_accuracy_ = float(balanced_accuracy_score(y[te], pred))
        for c in self.classes_:
            yt, yp = y[te] == c, pred == c
            enough = MIN_HELD_OUT <= yt.sum() < len(yt)
            self.accuracy_[c] = float(balanced_accuracy_score(yt, yp)) if enough else None
        coef = clf.coef_
        if coef.shape[0] == 1:  # binary: sklearn keeps one row for classes_[1]
            coef = np.vstack([-coef[0], coef[0]])
        self.coef_ = np.zeros((len(self.classes_), M.shape[1]))
        for i, c in enumerate(clf.classes_):
            self.coef_[np.flatnonzero(self.classes_ == c)[0]] = coef[i]
        return self

    def signals(self, persona_id, n: int = 8) -> dict:
        """``{accuracy, signals: [{signal, kind, importance, direction}]}`` for one persona."""
        if not hasattr(self, "classes_"):
            raise RuntimeError("SurrogateSeparator is not fitted: call fit(...) first")
        hit = np.flatnonzero(self.classes_ == persona_id)
        if not len(hit) or self.overall_accuracy_ is None:
            return {"accuracy": None, "overall_accuracy": self.overall_accuracy_, "method": None,
                    "signals": []}
        w, diff = self.coef_[hit[0]], self.mean_diff_[hit[0]]
        share = w * diff  # the signal's mean contribution to the persona's members' score against everyone's
        eligible = [j for j in range(len(w))  # features either way, terms when present; as the members differ
                    if share[j] > 1e-9 and (self.signal_kinds_[j] == "feature" or w[j] > 0)]
        eligible.sort(key=lambda j: -share[j])
        return {
            "accuracy": self.accuracy_.get(self.classes_[hit[0]]),
            "overall_accuracy": self.overall_accuracy_,
            "method": "multinomial logistic regression on "
                      + ("term indicators + standardized features" if "term" in self.signal_kinds_
                         else "standardized features") + "; "
                      "held-out one-vs-rest balanced accuracy; signals by mean contribution to the persona's score",
            "signals": [
                {"signal": self.signal_names_[j], "kind": self.signal_kinds_[j],
                 "importance": round(float(share[j]), 4), "direction": "higher" if w[j] > 0 else "lower"}
                for j in eligible[:n]
            ],
        }
