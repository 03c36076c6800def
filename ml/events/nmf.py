"""NMF personas on a users × events matrix, with k chosen by cross-validated reconstruction error.

``EventPersonaModel(...).fit(X)``: ``X`` is the non-negative weighted matrix of
``ml.events.matrix.EventMatrix`` (users × events). Learned:

- ``k_`` and ``k_table_``: for every k in ``k_min..k_max`` the held-out reconstruction error (mean and
  standard error over ``cv_folds`` random masks that hide ``cv_holdout`` of the matrix entries; the
  factors are fitted on the visible entries only, by weighted multiplicative updates), beside the
  silhouette of the argmax personas and the balance of their sizes (normalised entropy, smallest
  share). Among the k whose smallest persona holds at least ``min_persona_share`` of the users,
  ``k_`` is the k with the lowest held-out error (default) or, with ``one_se=True``, the smallest k
  within one standard error of it (when no k qualifies, all are considered); a fixed ``k`` skips the search but the table is still filled;
- ``empty_components_``: components of the fit that are no user's largest share (possible with a fixed k); they
  are dropped and the rest fitted again from where they were, so ``k_``, ``components_``, the shares and the
  reconstruction error hold the personas only
- ``components_`` (H, k × events, from ``sklearn.decomposition.NMF`` on all users), personas
  ordered by size (0 = largest);
- ``labels_``, ``membership_`` (a user's share in each persona: the part of their reconstructed row
  that each component supplies, summing to 1),
  ``margin_`` (best share − second share) and ``mixed_`` (margin below ``mixed_margin``: the user is
  flagged as mixed rather than silently forced, though still given the best persona).

``predict(X)`` → persona ids; ``assign(X)`` → (labels, margin, mixed, membership) for new users.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score
from sklearn.utils.validation import check_array, check_is_fitted

EPS = 1e-10


def masked_nmf(X: np.ndarray, mask: np.ndarray, k: int, n_iter: int, seed: int = 0, ridge: float = 1e-3):
    """Factors W (n × k), H (k × m) minimising ||mask ∘ (X − WH)||² by multiplicative updates.

    Started from scikit-learn's NMF of X with the hidden entries replaced by their column's visible
    mean (no hidden value is used), then refined on the visible entries only.
    """
    MX = np.where(mask, X, 0.0)
    seen = mask.sum(axis=0)
    col_mean = np.divide(MX.sum(axis=0), seen, out=np.zeros(X.shape[1]), where=seen > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = NMF(n_components=k, init="nndsvda", max_iter=200, random_state=seed)
        W = start.fit_transform(np.where(mask, X, col_mean)) + EPS
        H = start.components_ + EPS
    for _ in range(n_iter):
        H *= (W.T @ MX) / (W.T @ (mask * (W @ H)) + ridge * H + EPS)
        W *= (MX @ H.T) / ((mask * (W @ H)) @ H.T + ridge * W + EPS)
    return W, H


def heldout_error(X: np.ndarray, k: int, folds: int, holdout: float, n_iter: int, seed: int) -> list[float]:
    """Relative squared error on hidden entries, one value per random mask."""
    out = []
    for f in range(folds):
        rng = np.random.default_rng(seed + 1000 * f)
        mask = rng.random(X.shape) >= holdout
        W, H = masked_nmf(X, mask, k, n_iter, seed + f)
        hidden = ~mask
        # never predict beyond the largest visible value of the column (one wild entry would dominate)
        top = np.where(mask, X, 0.0).max(axis=0)
        pred = np.minimum(W @ H, top[None, :])
        out.append(float(((X - pred)[hidden] ** 2).sum() / max((X[hidden] ** 2).sum(), EPS)))
    return out


def size_balance(labels: np.ndarray, k: int) -> tuple[float, float]:
    """(normalised entropy of persona sizes, smallest share); 1.0 = equal sizes."""
    shares = np.bincount(labels, minlength=k) / max(len(labels), 1)
    nz = shares[shares > 0]
    entropy = float(-(nz * np.log(nz)).sum() / np.log(k)) if k > 1 else 1.0
    return round(entropy, 4), round(float(shares.min()), 4)


def shares_margin(W: np.ndarray, H: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Memberships and best − second share per row (0 for an all-zero row).

    A user's share in persona k is the part of their reconstructed row that component k supplies,
    ``W[:, k] · sum(H[k])``, over the total, so the shares do not depend on how NMF scales H's rows.
    """
    if H is not None:
        W = W * H.sum(axis=1)[None, :]
    total = W.sum(axis=1, keepdims=True)
    S = np.divide(W, total, out=np.zeros_like(W), where=total > 0)
    top = np.sort(S, axis=1)[:, ::-1]
    margin = top[:, 0] - (top[:, 1] if S.shape[1] > 1 else 0.0)
    return S, margin


class EventPersonaModel(BaseEstimator):
    """See the module docstring."""

    def __init__(self, k=None, k_min=2, k_max=8, cv_folds=5, cv_holdout=0.1, cv_max_users=4000, cv_iter=100,
                 one_se=False, min_persona_share=0.02, max_iter=500, init="nndsvda", mixed_margin=0.15, silhouette_sample=4000,
                 random_state=0):
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.cv_folds = cv_folds
        self.cv_holdout = cv_holdout
        self.cv_max_users = cv_max_users
        self.cv_iter = cv_iter
        self.one_se = one_se
        self.min_persona_share = min_persona_share
        self.max_iter = max_iter
        self.init = init
        self.mixed_margin = mixed_margin
        self.silhouette_sample = silhouette_sample
        self.random_state = random_state

    def _nmf(self, k: int) -> NMF:
        return NMF(n_components=k, init=self.init, max_iter=self.max_iter, random_state=self.random_state)

    def _fit_nmf(self, X: np.ndarray, k: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            nmf = self._nmf(k)
            W = nmf.fit_transform(X)
        return nmf, W

    def _sizes(self, W: np.ndarray) -> np.ndarray:
        """Users per component: those whose largest share it is."""
        return np.bincount(shares_margin(W, self.nmf_.components_)[0].argmax(axis=1), minlength=W.shape[1])

    def _refit(self, X: np.ndarray, W: np.ndarray, H: np.ndarray):
        """NMF with ``len(H)`` components started from ``W``, ``H`` (the components kept from a fit)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            nmf = NMF(n_components=len(H), init="custom", max_iter=self.max_iter, random_state=self.random_state)
            W = nmf.fit_transform(X, W=np.ascontiguousarray(W) + EPS, H=np.ascontiguousarray(H) + EPS)
        return nmf, W

    def _silhouette(self, X: np.ndarray, labels: np.ndarray) -> float | None:
        if len(np.unique(labels)) < 2:
            return None
        n = min(len(X), self.silhouette_sample)
        return round(float(silhouette_score(X, labels, sample_size=n, random_state=self.random_state)), 4)

    def select_k(self, X: np.ndarray) -> tuple[int, list[dict]]:
        """The k table (see the module docstring) and the chosen k."""
        n, m = X.shape
        rng = np.random.default_rng(self.random_state)
        rows = np.sort(rng.choice(n, self.cv_max_users, replace=False)) if n > self.cv_max_users else np.arange(n)
        Xs = X[rows]
        hi = max(self.k_min, min(self.k_max, m - 1, n - 1))
        table = []
        for k in range(self.k_min, hi + 1):
            errs = heldout_error(Xs, k, self.cv_folds, self.cv_holdout, self.cv_iter, self.random_state)
            nmf, W = self._fit_nmf(Xs, k)
            labels = shares_margin(W, nmf.components_)[0].argmax(axis=1)
            entropy, smallest = size_balance(labels, k)
            table.append({"k": k, "users": len(rows), "cv_error": round(float(np.mean(errs)), 5),
                          "cv_se": round(float(np.std(errs, ddof=1) / np.sqrt(len(errs))), 5),
                          "silhouette": self._silhouette(Xs, labels), "balance": entropy, "min_share": smallest})
        eligible = [r for r in table if r["min_share"] >= self.min_persona_share] or table
        best = min(eligible, key=lambda r: r["cv_error"])
        if self.one_se:
            limit = best["cv_error"] + best["cv_se"]
            chosen = next(r["k"] for r in eligible if r["cv_error"] <= limit)
        else:
            chosen = best["k"]
        for r in table:
            r["chosen"] = r["k"] == chosen
        return chosen, table

    def fit(self, X, y=None) -> EventPersonaModel:
        X = check_array(X, dtype=np.float64)
        if (X < 0).any():
            raise ValueError("EventPersonaModel needs a non-negative matrix")
        if self.k is not None:
            self.k_ = int(self.k)
            self.k_table_ = []
        else:
            self.k_, self.k_table_ = self.select_k(X)
        self.nmf_, W = self._fit_nmf(X, self.k_)
        self.empty_components_ = 0
        sizes = self._sizes(W)
        while (sizes == 0).any() and (sizes > 0).sum() >= 1:
            # a component that is no user's largest share is no persona: fitted again without it (from the
            # rest of this fit), so the model, its error and every user's shares hold the personas only
            held = np.flatnonzero(sizes > 0)
            self.empty_components_ += int((sizes == 0).sum())
            self.k_ = len(held)
            self.nmf_, W = self._refit(X, W[:, held], self.nmf_.components_[held])
            sizes = self._sizes(W)
        order = np.argsort(-sizes, kind="stable")
        self.nmf_.components_ = self.nmf_.components_[order]
        self.components_ = self.nmf_.components_
        W = W[:, order]
        self.W_ = W
        self.membership_, self.margin_ = shares_margin(W, self.components_)
        self.labels_ = self.membership_.argmax(axis=1)
        self.mixed_ = self.margin_ < self.mixed_margin
        self.reconstruction_err_ = float(self.nmf_.reconstruction_err_)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        """W for new rows (users × k), with H fixed."""
        check_is_fitted(self, "components_")
        X = check_array(X, dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return self.nmf_.transform(X)

    def assign(self, X):
        """(labels, margin, mixed, membership) for new rows."""
        S, margin = shares_margin(self.transform(X), self.components_)
        return S.argmax(axis=1), margin, margin < self.mixed_margin, S

    def predict(self, X) -> np.ndarray:
        return self.assign(X)[0]
