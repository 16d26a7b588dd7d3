"""Tests for analysis.inference.funnel: over-dispersion, normal and exact Poisson funnel limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.inference.funnel import (
    funnel_curve,
    funnel_limits,
    level_name,
    overdispersion,
    poisson_sr_limits,
    sr_overdispersion,
)

# the two standard normal quantiles quoted by Spiegelhalter (2005) and FunnelPlotR
Z95, Z998 = 1.959964, 3.090232


def test_overdispersion_hand_computation():
    # Fixed vector, worked by hand. z = (−3, −1, 0, 0.5, 1, 2, 2.5, 3, 4, 8), n = 10, sorted.
    # Type-7 quantiles: position (n − 1)·q = 0.9 and 8.1:
    #   q10 = −3 + 0.9·(−1 − (−3)) = −1.2 ;  q90 = 4 + 0.1·(8 − 4) = 4.4
    # Winsorised: (−1.2, −1, 0, 0.5, 1, 2, 2.5, 3, 4, 4.4)
    # Σ z_w² = 1.44 + 1 + 0 + 0.25 + 1 + 4 + 6.25 + 9 + 16 + 19.36 = 58.3 → φ = 5.83
    # weights w = (1, 2, ..., 10): Σw = 55, Σw² = 385, Σw − Σw²/Σw = 55 − 7 = 48
    # τ² = (nφ − (n − 1)) / 48 = (58.3 − 9) / 48 = 49.3 / 48
    z = np.array([-3, -1, 0, 0.5, 1, 2, 2.5, 3, 4, 8], dtype=float)
    w = np.arange(1, 11, dtype=float)
    phi, tau2 = overdispersion(z, weights=w)
    assert phi == pytest.approx(5.83, rel=1e-12)
    assert tau2 == pytest.approx(49.3 / 48, rel=1e-12)
    # without winsorising: Σ z² = 9 + 1 + 0 + .25 + 1 + 4 + 6.25 + 9 + 16 + 64 = 110.5
    phi0, tau20 = overdispersion(z, weights=w, trim=0)
    assert phi0 == pytest.approx(11.05, rel=1e-12)
    assert tau20 == pytest.approx((110.5 - 9) / 48, rel=1e-12)


def test_overdispersion_zero_when_underdispersed():
    # nφ < n − 1 → τ² = 0 exactly (here φ = 0.25 with all |z| = 0.5)
    z = np.array([0.5, -0.5] * 5)
    phi, tau2 = overdispersion(z, weights=np.ones(10))
    assert phi == pytest.approx(0.25)
    assert tau2 == 0.0


def test_null_data_phi_and_tau2():
    # Without unit effects z ~ N(0, 1). Unwinsorised, E φ = 1 (mean over 40 seeds of n = 98:
    # s.e. √(2/98/40) ≈ 0.023; tolerance 0.08). Winsorised at 10/90 %, E φ equals the second
    # moment of a normal clipped at ±c, c = z_0.9 (computed here from the normal integral,
    # independent of the code), ≈ 0.68; then nφ < n − 1 and τ² = 0 for every seed.
    c = stats.norm.ppf(0.9)
    clipped_m2 = (stats.norm.cdf(c) - stats.norm.cdf(-c)) - 2 * c * stats.norm.pdf(c) + 2 * 0.1 * c**2
    phis, phis0 = [], []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        se = rng.uniform(0.1, 1.0, 98)
        est = rng.normal(0.0, se)
        phi, tau2 = overdispersion(est / se, weights=1 / se**2)
        assert tau2 == 0.0
        phis.append(phi)
        phis0.append(overdispersion(est / se, weights=1 / se**2, trim=0)[0])
    assert np.mean(phis0) == pytest.approx(1.0, abs=0.08)
    # winsorising at sample quantiles adds a little small-sample noise; tolerance 0.05
    assert np.mean(phis) == pytest.approx(clipped_m2, abs=0.05)


def test_overdispersion_detected():
    # Strong unit effects (τ = 1 vs se ≤ 0.5): τ² clearly positive and the funnel flags fewer
    # units once adjusted.
    rng = np.random.default_rng(1)
    se = rng.uniform(0.1, 0.5, 98)
    est = rng.normal(0.0, 1.0, 98) + rng.normal(0.0, se)
    phi, tau2 = overdispersion(est / se, weights=1 / se**2)
    assert phi > 2
    assert tau2 > 0.2
    adj = funnel_limits(est, se)
    plain = funnel_limits(est, se, overdispersion=False)
    assert adj["outlier95"].sum() < plain["outlier95"].sum()


def test_limits_formula_with_given_tau2():
    se = pd.Series([0.1, 0.5, 2.0], index=pd.Index([101, 147, 151], name="code"))
    est = pd.Series([0.3, -2.0, 1.0], index=se.index)
    out = funnel_limits(est, se, target=0.5, tau2=0.04)
    sd = np.sqrt(se.to_numpy() ** 2 + 0.04)
    np.testing.assert_allclose(out["upper95"], 0.5 + Z95 * sd, rtol=1e-6)
    np.testing.assert_allclose(out["lower998"], 0.5 - Z998 * sd, rtol=1e-6)
    np.testing.assert_allclose(out["z"], (est - 0.5) / se, rtol=1e-12)
    np.testing.assert_allclose(out["z_adjusted"], (est - 0.5) / sd, rtol=1e-12)
    assert out.index.equals(se.index)
    # by hand: 101 |−0.2| < 1.96·√0.05 = 0.44; 147 |−2.5| > 3.09·√0.29 = 1.66 (outside both);
    # 151 |0.5| < 1.96·√4.04 = 3.94
    assert out["outlier95"].tolist() == [False, True, False]
    assert out["outlier998"].tolist() == [False, True, False]
    assert out.attrs["tau2"] == 0.04
    assert (out["tau2"] == 0.04).all()


@pytest.mark.parametrize("seed", range(5))
def test_overdispersed_limits_contain_plain(seed):
    rng = np.random.default_rng(seed)
    se = rng.uniform(0.05, 1.0, 60)
    est = rng.normal(0, 0.5, 60) + rng.normal(0, se)
    adj = funnel_limits(est, se)
    plain = funnel_limits(est, se, overdispersion=False)
    for name in ("95", "998"):
        assert (adj[f"lower{name}"] <= plain[f"lower{name}"]).all()
        assert (adj[f"upper{name}"] >= plain[f"upper{name}"]).all()
        # an outlier under the wider limits is an outlier under the plain ones
        assert (~adj[f"outlier{name}"] | plain[f"outlier{name}"]).all()
    assert (adj["upper998"] >= adj["upper95"]).all()
    assert plain.attrs["tau2"] == 0.0


def test_series_aligned_by_label():
    idx = pd.Index([101, 147, 151])
    est = pd.Series([1.0, 2.0, 3.0], index=idx)
    se = pd.Series([0.3, 0.1, 0.2], index=[151, 101, 147])
    out = funnel_limits(est, se, overdispersion=False)
    assert out["se"].tolist() == [0.1, 0.2, 0.3]


def test_poisson_limits_exact_identities():
    # For integer E the limits solve Poisson tail equations (independent of the χ² form):
    #   P(Poisson(L·E) ≥ E) = α/2   and   P(Poisson(U·E) ≤ E) = α/2.
    e = np.array([1, 4, 25, 100, 1000], dtype=float)
    out = poisson_sr_limits(e, levels=(0.95, 0.998))
    for level, name in ((0.95, "95"), (0.998, "998")):
        a = (1 - level) / 2
        lo_mean = out[f"lower{name}"].to_numpy() * e
        up_mean = out[f"upper{name}"].to_numpy() * e
        np.testing.assert_allclose(stats.poisson.sf(e - 1, lo_mean), a, rtol=1e-8)
        np.testing.assert_allclose(stats.poisson.cdf(e, up_mean), a, rtol=1e-8)
    # the funnel narrows towards 1 as E grows
    assert np.all(np.diff(out["lower95"]) > 0)
    assert np.all(np.diff(out["upper95"]) < 0)
    assert ((out["lower998"] < out["lower95"]) & (out["lower95"] < 1) & (out["upper95"] > 1)).all()
    # the target multiplies the limits
    scaled = poisson_sr_limits(e, target=2.0)
    np.testing.assert_allclose(scaled["upper95"], 2 * out["upper95"], rtol=1e-12)


def test_log_scale_sr_overdispersion_and_limits():
    # By hand: z = √E·ln(O/E) with weights E, passed through the same φ/τ² formulas; limits
    # exp(±z_α √(1/E + τ²)) widen the exact ones' log-normal counterpart.
    o = np.array([12.0, 30.0, 8.0, 55.0, 20.0, 41.0, 5.0, 90.0, 16.0, 27.0])
    e = np.array([10.0, 25.0, 12.0, 50.0, 22.0, 30.0, 9.0, 70.0, 15.0, 33.0])
    phi, tau2 = sr_overdispersion(o, e)
    assert (phi, tau2) == overdispersion(np.sqrt(e) * np.log(o / e), weights=e)
    assert tau2 > 0  # these ratios vary more than Poisson noise allows
    adj = poisson_sr_limits(e, tau2=tau2)
    np.testing.assert_allclose(adj["upper95"], np.exp(Z95 * np.sqrt(1 / e + tau2)), rtol=1e-6)
    np.testing.assert_allclose(adj["lower998"], np.exp(-Z998 * np.sqrt(1 / e + tau2)), rtol=1e-6)
    plain_log = poisson_sr_limits(e, tau2=0.0)
    assert (adj["upper95"] > plain_log["upper95"]).all()
    assert (adj["lower95"] < plain_log["lower95"]).all()
    curve = funnel_curve(e, kind="poisson", tau2=tau2)
    np.testing.assert_allclose(curve["upper95"], np.sort(adj["upper95"].to_numpy())[::-1], rtol=1e-12)


def test_funnel_curve_matches_pointwise_limits():
    grid = np.geomspace(0.05, 2.0, 30)
    curve = funnel_curve(grid, tau2=0.01, target=0.2)
    pts = funnel_limits(np.zeros(30), grid, target=0.2, tau2=0.01)
    np.testing.assert_allclose(curve["upper998"], pts["upper998"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(curve["precision"], 1 / grid**2, rtol=1e-12)
    e = np.array([2.0, 20.0, 200.0])
    pc = funnel_curve(e[::-1], kind="poisson")
    assert pc["expected"].tolist() == e.tolist()
    np.testing.assert_allclose(pc["lower95"], poisson_sr_limits(e)["lower95"].to_numpy(), rtol=1e-12)


def test_level_names():
    assert [level_name(v) for v in (0.95, 0.998, 0.9, 0.99, 0.999)] == ["95", "998", "90", "99", "999"]
    out = funnel_limits([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], levels=(0.9,), overdispersion=False)
    assert {"lower90", "upper90", "outlier90"} <= set(out.columns)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: funnel_limits([0.0, 1.0], [1.0, 0.0]), "se: values must be > 0"),
        (lambda: funnel_limits([0.0, np.nan], [1.0, 1.0]), "estimate: values must be finite"),
        (
            lambda: funnel_limits([0.0, 1.0, 2.0], [1.0, 1.0]),
            r"se: length 2 differs from that of estimate \(3\)",
        ),
        (
            lambda: funnel_limits(pd.Series([0.0, 1.0], index=[1, 2]), pd.Series([1.0, 1.0], index=[1, 3])),
            "se: index labels do not match",
        ),
        (
            lambda: funnel_limits([0.0, 1.0], [1.0, 1.0], levels=(95,)),
            r"levels: each level must be in \(0, 1\)",
        ),
        (lambda: funnel_limits([0.0, 1.0], [1.0, 1.0], overdispersion=False, tau2=0.1), "tau2: a given tau2"),
        (
            lambda: overdispersion([0.0, 1.0], weights=[1.0, 1.0], trim=0.6),
            r"trim: must be a number in \[0, 0.5\)",
        ),
        (lambda: overdispersion([1.0], weights=[1.0]), "z: at least two units"),
        (lambda: poisson_sr_limits([0.0, 1.0]), "expected: values must be > 0"),
        (lambda: funnel_curve([0.1], kind="binomial"), r"kind: must be one of \['normal', 'poisson'\]"),
        (lambda: funnel_curve([5.0], kind="poisson", tau2=-0.1), "tau2: must be a finite number ≥ 0"),
        (lambda: sr_overdispersion([0.0, 3.0], [1.0, 2.0]), "observed: values must be > 0"),
    ],
)
def test_invalid_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()
