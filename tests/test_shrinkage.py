"""Tests for analysis.inference.shrinkage: empirical-Bayes (normal–normal) shrinkage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from statsmodels.stats.meta_analysis import combine_effects

from analysis.inference.shrinkage import eb_shrink, tau2_dl, tau2_reml


def _simulate(seed: int, p: int, tau2: float, mu: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    se = rng.uniform(0.2, 1.5, p)
    theta = rng.normal(mu, np.sqrt(tau2), p)
    return theta, theta + rng.normal(0.0, se), se


def _reml_matrix_form(y: np.ndarray, v: np.ndarray) -> float:
    """Independent REML: −2ℓ_R = log|V| + log|X'V⁻¹X| + y'Py with X = 1, minimised on log τ²."""
    x = np.ones((y.size, 1))

    def neg2(log_t: float) -> float:
        vinv = np.diag(1.0 / (v + np.exp(log_t)))
        xtvx = x.T @ vinv @ x
        p_mat = vinv - vinv @ x @ np.linalg.solve(xtvx, x.T @ vinv)
        return float(np.sum(np.log(v + np.exp(log_t))) + np.log(np.linalg.det(xtvx)) + y @ p_mat @ y)

    grid = np.linspace(-12, 4, 161)
    start = grid[np.argmin([neg2(g) for g in grid])]
    res = optimize.minimize(
        lambda t: neg2(t[0]), x0=[start], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}
    )
    return float(np.exp(res.x[0]))


def test_dl_hand_computation():
    # y = (1, 2, 4, 7), v = (1, 1, 2, 2): w = (1, 1, ½, ½), Σw = 3, Σwy = 8.5, Σwy² = 37.5,
    # Q = 37.5 − 8.5²/3 = 161/12, Σw² = 2.5, Σw − Σw²/Σw = 13/6,
    # τ² = (161/12 − 3)/(13/6) = 125/26.
    y, v = np.array([1.0, 2.0, 4.0, 7.0]), np.array([1.0, 1.0, 2.0, 2.0])
    assert tau2_dl(y, v) == pytest.approx(125 / 26, rel=1e-12)
    # known zero mean: Q = Σwy² = 37.5, τ² = (37.5 − 4)/3
    assert tau2_dl(y, v, mean="zero") == pytest.approx(33.5 / 3, rel=1e-12)
    out = eb_shrink(y, np.sqrt(v), method="dl")
    assert out.attrs["tau2"] == pytest.approx(125 / 26, rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_dl_matches_statsmodels(seed):
    # statsmodels' meta-analysis DerSimonian–Laird is an independent implementation; both are
    # closed forms, so agreement to 1e-10 (relative) is expected.
    _, y, se = _simulate(seed, 40, 0.3)
    ref = combine_effects(y, se**2, method_re="dl").tau2
    assert tau2_dl(y, se**2) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_reml_matches_matrix_form_and_score(seed):
    # Compared with an independent matrix-form REML fit by Nelder–Mead on log τ²; both optimise
    # a smooth function to ~1e-8, so a relative tolerance of 1e-4 is ample.
    _, y, se = _simulate(seed, 30, 0.5)
    v = se**2
    t2 = tau2_reml(y, v)
    assert t2 == pytest.approx(_reml_matrix_form(y, v), rel=1e-4)
    # REML score equation at an interior optimum:
    #   Σ w²(y − μ̂)² − Σ w + Σ w² / Σ w = 0, with w = 1/(v + τ²)
    w = 1 / (v + t2)
    mu = np.sum(w * y) / w.sum()
    score = np.sum(w**2 * (y - mu) ** 2) - w.sum() + np.sum(w**2) / w.sum()
    assert abs(score) < 1e-6 * w.sum()


def test_reml_close_to_truth_large_p():
    # p = 3000, τ² = 0.5: the REML s.e. is about √(2/p)·(τ² + mean s²) ≈ 0.03; tolerance 0.1.
    _, y, se = _simulate(11, 3000, 0.5)
    out = eb_shrink(y, se)
    assert out.attrs["tau2"] == pytest.approx(0.5, abs=0.1)
    assert out.attrs["mu"] == pytest.approx(0.3, abs=0.1)


def test_shrinkage_factor_tends_to_one_for_precise_units():
    # B = τ²/(τ² + s²) → 1 as s → 0 (a very large municipality keeps its estimate).
    theta, y, se = _simulate(3, 200, 0.4)
    se = se.copy()
    se[:4] = [1e-1, 1e-2, 1e-3, 1e-4]
    y[:4] = theta[:4] + np.random.default_rng(0).normal(0, se[:4])
    out = eb_shrink(y, se)
    b = out["B"].to_numpy()[:4]
    assert np.all(np.diff(b) > 0)
    assert b[-1] > 1 - 1e-6
    np.testing.assert_allclose(b, out.attrs["tau2"] / (out.attrs["tau2"] + se[:4] ** 2), rtol=1e-12)
    assert abs(out["shrunk"].iloc[3] - y[3]) < 1e-5


@pytest.mark.parametrize("method", ["reml", "dl"])
def test_eb_has_lower_mse_than_raw(method):
    # θ_m ~ N(μ, τ²), θ̂_m = θ_m + N(0, s_m²) with varied s_m: averaged over 10 fixed seeds the
    # EB estimates beat the raw ones in mean squared error (here EB's is about a quarter of raw).
    raw, eb = [], []
    for seed in range(10):
        theta, y, se = _simulate(seed, 98, 0.3)
        out = eb_shrink(y, se, method=method)
        raw.append(np.mean((y - theta) ** 2))
        eb.append(np.mean((out["shrunk"].to_numpy() - theta) ** 2))
    assert np.mean(eb) < 0.5 * np.mean(raw)


def test_posterior_formulas_and_labels():
    idx = pd.Index([101, 147, 151, 153, 155, 157], name="code")
    y = pd.Series([0.5, -1.0, 2.0, 0.0, 1.5, -0.4], index=idx)
    se = pd.Series([0.5, 1.0, 0.8, 0.3, 1.2, 0.6], index=idx)
    out = eb_shrink(y, se, method="dl")
    t2, mu = out.attrs["tau2"], out.attrs["mu"]
    assert t2 > 0
    w = 1 / (se**2 + t2)
    assert mu == pytest.approx(float((w * y).sum() / w.sum()), rel=1e-12)
    b = t2 / (t2 + se**2)
    pd.testing.assert_series_equal(out["shrunk"], (mu + b * (y - mu)).rename("shrunk"), rtol=1e-12)
    pd.testing.assert_series_equal(out["posterior_sd"], np.sqrt(b * se**2).rename("posterior_sd"), rtol=1e-12)
    assert out.index.equals(idx)
    # shrinkage moves every estimate towards μ and never past it
    assert ((out["shrunk"] - mu).abs() <= (y - mu).abs()).all()
    assert (np.sign(out["shrunk"] - mu) * np.sign(y - mu) >= 0).all()


def test_zero_mean():
    _, y, se = _simulate(5, 50, 0.4, mu=0.0)
    out = eb_shrink(y, se, mean="zero")
    assert out.attrs["mu"] == 0.0
    np.testing.assert_allclose(out["shrunk"], out["B"] * y, rtol=1e-12)


def test_homogeneous_data_shrink_fully():
    # Identical estimates: no between-unit variance, τ² = 0, B = 0, all shrunk to the mean.
    y = np.full(10, 2.0)
    se = np.linspace(0.1, 1.0, 10)
    for method in ("reml", "dl"):
        out = eb_shrink(y, se, method=method)
        assert out.attrs["tau2"] == 0.0
        assert (out["B"] == 0).all()
        np.testing.assert_allclose(out["shrunk"], 2.0, rtol=1e-12)


def test_scale_invariance():
    # Multiplying data and standard errors by c multiplies τ² by c² and the shrunk values by c.
    _, y, se = _simulate(8, 60, 0.4)
    a = eb_shrink(y, se)
    b = eb_shrink(1e-4 * y, 1e-4 * se)
    assert b.attrs["tau2"] == pytest.approx(1e-8 * a.attrs["tau2"], rel=1e-6)
    # the optimum is located to ~1e-8 relative on the standardised scale, so compare with an
    # absolute tolerance of 1e-6 of the data's spread (values near μ make rtol meaningless)
    np.testing.assert_allclose(b["shrunk"], 1e-4 * a["shrunk"], rtol=0, atol=1e-6 * 1e-4 * np.std(y))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "ml"}, r"method: must be one of \['dl', 'reml'\]"),
        ({"mean": "median"}, r"mean: must be one of \['weighted', 'zero'\]"),
    ],
)
def test_invalid_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        eb_shrink([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], **kwargs)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="se: standard errors must be > 0"):
        eb_shrink([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="estimate: values must be finite"):
        eb_shrink([0.0, np.nan, 2.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"se: length 2 differs"):
        eb_shrink([0.0, 1.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="estimate: at least 3 units"):
        eb_shrink([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="se: index labels do not match"):
        eb_shrink(pd.Series([0.0, 1.0, 2.0], index=[1, 2, 3]), pd.Series([1.0, 1.0, 1.0], index=[1, 2, 4]))
