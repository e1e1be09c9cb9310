"""Regression from mixture weights to target loss: one law per target, combined with the targets' weights.

Fitting the weighted-average loss directly ranks held-out mixes worse (its curvature mixes the targets'
curves), so each target gets its own law and the combined prediction is ``sum_j a_j L_j(w)``.

- ``loglinear``: ``L(w) = exp(c) + exp(t . w)`` (Data Mixing Laws, Ye et al. 2024; Olmix). Because the weights
  sum to one, a constant in the exponent is absorbed by ``t``. Fitted by nonlinear least squares from
  several starts (each start: a fixed floor ``exp(c)``, then ``t`` by linear least squares on
  ``log(L - exp(c))``).
- ``gbm``: scikit-learn ``HistGradientBoostingRegressor`` per target (RegMix uses LightGBM), with a fixed
  number of iterations: early stopping is off, so no held-out run ever tunes the model it is scored on.
- ``gbm_regmix``: the same trees with RegMix's LightGBM settings (1,000 trees, learning rate 0.01, 31 leaves,
  at least 20 runs a leaf, L2 objective, no early stopping); many times the CPU of ``gbm``, so not a default.
- ``gp``: a Gaussian process per target on ``sqrt(w)`` (the Hellinger embedding of the simplex, in which a
  source's first few percent move the loss as much as its last tens), squared-exponential kernel with one
  length scale per source, a constant mean and a noise term, all fitted by maximising the marginal
  likelihood (L-BFGS, analytic gradient). A smooth law with no fixed shape: it ranks held-out mixtures of
  RegMix's 512 runs better than either tree family (``tests/bench/bench_regmix.py``). Cost grows as the cube
  of the runs, so it is for studies of up to ``GPLaw.MAX_RUNS`` runs.

``cross_validate`` scores each family on held-out runs (K-fold over runs): Spearman rank correlation and
errors of the combined loss, per target too; ``choose`` takes the family with the best held-out Spearman.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import cho_factor, cho_solve, lapack
from scipy.optimize import least_squares, minimize
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits


class LogLinearLaw:
    kind = "loglinear"

    def fit(self, w: np.ndarray, y: np.ndarray) -> "LogLinearLaw":
        w, y = np.asarray(w, float), np.asarray(y, float)
        best = None
        for frac in (0.0, 0.5, 0.8, 0.9, 0.95):
            c0 = np.log(max(frac * y.min(), 1e-6))
            resid = np.log(np.maximum(y - np.exp(c0), 1e-6))
            t0 = np.linalg.lstsq(w, resid, rcond=None)[0]
            x0 = np.concatenate([[c0], t0])

            def f(p):
                return np.exp(p[0]) + np.exp(np.clip(w @ p[1:], -50, 50)) - y

            def jac(p):
                e = np.exp(np.clip(w @ p[1:], -50, 50))
                return np.column_stack([np.full(len(y), np.exp(p[0])), w * e[:, None]])

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = least_squares(f, x0, jac=jac, method="lm" if len(y) > len(x0) else "trf", max_nfev=2000)
            sse = float((r.fun ** 2).sum())
            if best is None or sse < best[0]:
                best = (sse, r.x)
        self.c, self.t = float(best[1][0]), best[1][1:]
        return self

    def predict(self, w: np.ndarray) -> np.ndarray:
        return np.exp(self.c) + np.exp(np.clip(np.atleast_2d(w) @ self.t, -50, 50))

    def params(self) -> dict:
        return {"c": self.c, "t": self.t.tolist()}


class GBMLaw:
    kind = "gbm"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, w: np.ndarray, y: np.ndarray) -> "GBMLaw":
        from sklearn.ensemble import HistGradientBoostingRegressor

        n = len(y)  # one OpenMP thread: on tiny data starting threads costs more than the fit itself
        self.model = HistGradientBoostingRegressor(
            max_iter=300, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=max(2, min(10, n // 8)),
            l2_regularization=1e-3, early_stopping=False, random_state=self.seed)
        with threadpool_limits(1):
            self.model.fit(np.asarray(w, float), np.asarray(y, float))
        return self

    def predict(self, w: np.ndarray) -> np.ndarray:
        with threadpool_limits(1):
            return self.model.predict(np.atleast_2d(w))

    def params(self) -> dict:
        return {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 8}


class RegMixGBMLaw(GBMLaw):
    """RegMix's regression (LightGBM, ``regression_fitting/regression.ipynb``) with its settings, on scikit-learn's
    histogram trees: 1,000 trees at learning rate 0.01, 31 leaves, at least 20 runs a leaf, no L2 penalty."""

    kind = "gbm_regmix"
    SETTINGS = {"max_iter": 1000, "learning_rate": 0.01, "max_leaf_nodes": 31, "min_samples_leaf": 20,
                "l2_regularization": 0.0, "max_bins": 255}

    def fit(self, w: np.ndarray, y: np.ndarray) -> "RegMixGBMLaw":
        from sklearn.ensemble import HistGradientBoostingRegressor

        self.model = HistGradientBoostingRegressor(**self.SETTINGS, early_stopping=False, random_state=self.seed)
        with threadpool_limits(1):
            self.model.fit(np.asarray(w, float), np.asarray(y, float))
        return self

    def params(self) -> dict:
        return dict(self.SETTINGS)


class GPLaw:
    """Gaussian-process regression of one target's loss on ``sqrt(w)`` (see the module docstring).

    Hyperparameters (per source length scale, signal and noise variance of the standardised loss) maximise the
    log marginal likelihood from one start (length scales 0.5, noise 1e-2): length scales are bounded below
    by 0.05, where a kernel would only memorise the runs. ``MAXITER`` L-BFGS steps: more change no ranking on
    RegMix's runs. One BLAS thread, so a fit's result and its CPU time do not depend on the machine's cores.
    """

    kind = "gp"
    MAX_RUNS = 3000  # one fit is O(runs^3) per step: beyond this many runs it stops being interactive
    MAXITER = 50
    CHUNK = 4096  # rows predicted at once: the kernel block is CHUNK x runs floats

    def __init__(self, seed: int = 0):
        self.seed = seed

    @staticmethod
    def _features(w) -> np.ndarray:
        return np.sqrt(np.clip(np.atleast_2d(np.asarray(w, float)), 0.0, None))

    @staticmethod
    def _nll(theta: np.ndarray, x: np.ndarray, y: np.ndarray, buf: tuple) -> tuple[float, np.ndarray]:
        """Negative log marginal likelihood and its gradient in (log length scales, log signal, log noise).

        The n x n work happens in place in ``buf`` (kernel, factor, gradient matrix, lower/upper masks): fresh
        n x n arrays every step cost as much again in page faults as the arithmetic."""
        n, d = x.shape
        k0, f, m, low, up = buf
        z = x / np.exp(theta[:d])
        sf2, sn2 = np.exp(theta[d]), np.exp(theta[d + 1])
        sq = (z ** 2).sum(1)
        np.matmul(z, z.T, out=k0)
        k0 *= -2.0
        k0 += sq[:, None]
        k0 += sq[None, :]
        np.maximum(k0, 0.0, out=k0)
        k0 *= -0.5
        np.exp(k0, out=k0)
        k0 *= sf2
        np.copyto(f, k0)
        f.flat[:: n + 1] += sn2 + 1e-8
        c, info = lapack.dpotrf(f, lower=1, overwrite_a=1, clean=0)
        if info != 0:
            return 1e10, np.zeros_like(theta)
        alpha, _ = lapack.dpotrs(c, y, lower=1)
        nll = 0.5 * y @ alpha + np.log(np.diagonal(c)).sum() + 0.5 * n * np.log(2 * np.pi)
        inv, _ = lapack.dpotri(c, lower=1, overwrite_c=1)  # the inverse's lower triangle, in f
        np.multiply.outer(alpha, alpha, out=m)  # m = alpha alpha^T - K^-1: d(log lik)/d theta = 0.5 tr(m dK)
        np.subtract(m, inv, out=m, where=low)
        np.subtract(m, inv.T, out=m, where=up)
        g_sn = 0.5 * np.trace(m) * sn2
        m *= k0
        # dK/d log l_s = K (z_is - z_js)^2, so tr(m dK) = sum_ij a_ij (z_is - z_js)^2,
        # expanded into matrix products: no n x n x d tensor
        g_ls = (z ** 2 * m.sum(1)[:, None]).sum(0) - (z * (m @ z)).sum(0)
        grad = np.concatenate([g_ls, [0.5 * m.sum(), g_sn]])
        return float(nll), -grad

    def fit(self, w: np.ndarray, y: np.ndarray) -> "GPLaw":
        x = self._features(w)
        y = np.asarray(y, float)
        n, d = x.shape
        self.mean, self.scale = float(y.mean()), float(y.std()) or 1.0
        yn = (y - self.mean) / self.scale
        x0 = np.concatenate([np.full(d, np.log(0.5)), [0.0, np.log(1e-2)]])
        bounds = [(np.log(0.05), np.log(1e3))] * d + [(np.log(1e-3), np.log(1e2)), (np.log(1e-6), 0.0)]
        with threadpool_limits(1):
            low = np.tri(n, dtype=bool)
            buf = (np.empty((n, n)), np.empty((n, n), order="F"), np.empty((n, n)), low, ~low)
            r = minimize(self._nll, x0, args=(x, yn, buf), jac=True, method="L-BFGS-B", bounds=bounds,
                         options={"maxiter": self.MAXITER})
            self.theta = r.x
            self.x = x
            k = self._kernel(x) + (np.exp(self.theta[d + 1]) + 1e-8) * np.eye(n)
            self.alpha = cho_solve(cho_factor(k, lower=True, check_finite=False), yn, check_finite=False)
        return self

    def _kernel(self, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The kernel between rows ``a`` and the runs, computed in ``out`` where given."""
        d = self.x.shape[1]
        ls = np.exp(self.theta[:d])
        za, zb = a / ls, self.x / ls
        k = np.matmul(za, zb.T, out=out)
        k *= -2.0
        k += (za ** 2).sum(1)[:, None]
        k += (zb ** 2).sum(1)[None, :]
        np.maximum(k, 0.0, out=k)
        k *= -0.5
        np.exp(k, out=k)
        k *= np.exp(self.theta[d])
        return k

    def predict(self, w: np.ndarray) -> np.ndarray:
        x = self._features(w)
        out = np.empty(len(x))
        buf = np.empty((min(self.CHUNK, len(x)), len(self.x)))
        with threadpool_limits(1):
            for i in range(0, len(x), self.CHUNK):
                part = x[i:i + self.CHUNK]
                out[i:i + len(part)] = self._kernel(part, buf[:len(part)]) @ self.alpha
        return out * self.scale + self.mean

    def params(self) -> dict:
        d = self.x.shape[1]
        return {"length_scales_sqrt_w": np.exp(self.theta[:d]).tolist(),
                "signal_variance": float(np.exp(self.theta[d])),
                "noise_variance": float(np.exp(self.theta[d + 1])), "mean": self.mean, "scale": self.scale,
                "runs": int(len(self.x))}


LAWS = {"loglinear": LogLinearLaw, "gbm": GBMLaw, "gbm_regmix": RegMixGBMLaw, "gp": GPLaw}


def make_law(kind: str, seed: int = 0):
    return LogLinearLaw() if kind == "loglinear" else LAWS[kind](seed)


class MixLaw:
    """One fitted law per target; ``predict`` returns the combined (target-weighted) loss."""

    def __init__(self, kind: str, target_weights: dict[str, float], seed: int = 0):
        self.kind, self.seed = kind, seed
        total = sum(target_weights.values())
        self.target_weights = {k: v / total for k, v in target_weights.items()}
        self.laws: dict = {}

    def fit(self, w: np.ndarray, losses: dict[str, np.ndarray]) -> "MixLaw":
        self.laws = {t: make_law(self.kind, self.seed).fit(w, losses[t]) for t in self.target_weights}
        return self

    def predict_targets(self, w: np.ndarray) -> dict[str, np.ndarray]:
        return {t: law.predict(w) for t, law in self.laws.items()}

    def predict(self, w: np.ndarray) -> np.ndarray:
        return sum(a * self.laws[t].predict(w) for t, a in self.target_weights.items() if a > 0)


def combined(losses: dict[str, np.ndarray], target_weights: dict[str, float]) -> np.ndarray:
    total = sum(target_weights.values())
    return sum(a / total * np.asarray(losses[t], float) for t, a in target_weights.items())


def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    k = min(k, n)
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i::k] for i in range(k)]


def _rho(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def cross_validate(kind: str, w: np.ndarray, losses: dict[str, np.ndarray], target_weights: dict[str, float],
                   folds: int = 5, seed: int = 0, direct: bool = False) -> dict:
    """Held-out predictions of every run (K-fold over runs) and their scores.

    ``direct=True`` fits one law to the combined loss instead of one per target (reported for comparison).
    """
    n = len(w)
    y = combined(losses, target_weights)
    pred = np.zeros(n)
    per_target = {t: np.zeros(n) for t in target_weights}
    for test in _folds(n, folds, seed):
        train = np.setdiff1d(np.arange(n), test)
        if direct:
            pred[test] = make_law(kind, seed).fit(w[train], y[train]).predict(w[test])
            continue
        law = MixLaw(kind, target_weights, seed).fit(w[train], {t: np.asarray(v)[train] for t, v in losses.items()})
        for t, p in law.predict_targets(w[test]).items():
            per_target[t][test] = p
        pred[test] = law.predict(w[test])
    out = {
        "model": kind + ("_direct" if direct else ""),
        "folds": min(folds, n),
        "spearman": _rho(pred, y),
        "mae": float(np.abs(pred - y).mean()),
        "rmse": float(np.sqrt(((pred - y) ** 2).mean())),
        "predicted": pred.tolist(),
        "actual": y.tolist(),
    }
    if not direct:
        out["per_target"] = {t: {"spearman": _rho(per_target[t], np.asarray(losses[t])),
                                 "mae": float(np.abs(per_target[t] - np.asarray(losses[t])).mean())}
                             for t in target_weights}
    return out


def choose(results: list[dict]) -> dict:
    """The family with the best held-out Spearman (ties: lower RMSE); NaN ranks last."""
    def key(r):
        s = r["spearman"]
        return (-(s if s == s else -2.0), r["rmse"])

    return sorted(results, key=key)[0]
