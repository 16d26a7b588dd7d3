"""Trade-off diagnostics on hand-made residuals (no model needed)."""

import numpy as np
import pandas as pd
import pytest

from analysis.model.tradeoff import (
    GroupNoise,
    rank_shifts,
    residual_correlation,
    substitution_flag,
    tradeoff_test,
)


def _resid(rho, n=98, seed=0):
    rng = np.random.default_rng(seed)
    cov = [[1.0, rho], [rho, 1.0]]
    ab = rng.multivariate_normal([0, 0], cov, size=n)
    return pd.DataFrame(
        {"kontanthjaelp": ab[:, 0], "foertidspension": ab[:, 1], "dagpenge": rng.normal(size=n)},
        index=pd.Index(range(n), name="code"),
    )


def test_tradeoff_estimate_equals_numpy_corrcoef():
    resid = _resid(-0.6)
    t = tradeoff_test(resid, replicates=500)
    ref = np.corrcoef(resid["kontanthjaelp"], resid["foertidspension"])[0, 1]
    assert t.estimate == pytest.approx(ref, rel=1e-12)  # same formula, floating-point only
    assert t.lower < t.estimate < t.upper
    assert not t.covers_zero
    assert t.p_value < 0.01


def test_spearman_equals_pandas():
    resid = _resid(-0.3, seed=3)
    t = tradeoff_test(resid, method="spearman", replicates=200)
    ref = resid["kontanthjaelp"].corr(resid["foertidspension"], method="spearman")
    assert t.estimate == pytest.approx(ref, rel=1e-12)


def test_interval_coverage_of_population_correlation():
    # The pairs bootstrap targets the population correlation: over 60 samples of 98 municipalities
    # drawn with rho = -0.6 the 90 % interval should cover -0.6 in roughly 90 % of them
    # (binomial sd over 60 samples is about 4 points, so 0.75–0.99 is a wide but failing band).
    tests = [tradeoff_test(_resid(-0.6, seed=s), replicates=400, level=0.90, seed=s) for s in range(60)]
    hits = [t.lower <= -0.6 <= t.upper for t in tests]
    assert 0.75 <= np.mean(hits) <= 0.99


def test_noise_correction_undoes_attenuation():
    # True deviations with correlation -0.6 plus independent noise as large as the signal: the plain
    # correlation is pulled to about -0.3, the corrected one recovers -0.6 (averaged over draws).
    rng = np.random.default_rng(11)
    raw, corrected = [], []
    for s in range(30):
        resid = _resid(-0.6, seed=s)
        se = pd.DataFrame(1.0, index=resid.index, columns=resid.columns)
        noisy = resid + rng.normal(size=resid.shape)
        t = tradeoff_test(noisy, noise=se, replicates=200, seed=s)
        raw.append(t.raw_estimate)
        corrected.append(t.estimate)
    assert np.mean(raw) == pytest.approx(-0.3, abs=0.06)
    assert np.mean(corrected) == pytest.approx(-0.6, abs=0.08)


def test_independent_residuals_interval_covers_zero_mostly():
    covers = [tradeoff_test(_resid(0.0, seed=s), replicates=400, seed=s).covers_zero for s in range(40)]
    assert np.mean(covers) >= 0.85


def test_same_seed_same_interval():
    resid = _resid(-0.5)
    assert tradeoff_test(resid, seed=7) == tradeoff_test(resid, seed=7)


def test_residual_correlation_has_every_pair():
    out = residual_correlation(_resid(-0.5), replicates=200)
    assert len(out) == 3
    assert set(map(frozenset, zip(out["a"], out["b"], strict=True))) == {
        frozenset({"kontanthjaelp", "foertidspension"}),
        frozenset({"kontanthjaelp", "dagpenge"}),
        frozenset({"foertidspension", "dagpenge"}),
    }


def test_bad_arguments_are_named():
    resid = _resid(-0.5)
    with pytest.raises(ValueError, match="side_b: group"):
        tradeoff_test(resid, side_b=("fleksjob",))
    with pytest.raises(ValueError, match="method"):
        tradeoff_test(resid, method="kendall")
    with pytest.raises(ValueError, match="overlap"):
        tradeoff_test(resid, side_a=("dagpenge",), side_b=("dagpenge",))


def test_rank_shifts_equal_independent_recomputation():
    rng = np.random.default_rng(5)
    codes = pd.Index(rng.choice(np.arange(100, 900), size=30, replace=False), name="code")
    r_from = pd.Series(rng.permutation(30) + 1, index=codes)
    r_to = pd.Series(rng.permutation(30) + 1, index=codes)
    added = pd.Series(rng.normal(size=30), index=codes)
    out = rank_shifts(r_from, r_to, added_residual=added)
    for code in codes:  # recompute row by row, independently of the vectorised code
        shift = int(r_to[code]) - int(r_from[code])
        assert out.loc[code, "rank_shift"] == shift
        assert out.loc[code, "abs_shift"] == abs(shift)
        predicted = 1 if added[code] > 0 else -1
        assert out.loc[code, "as_predicted"] == (shift != 0 and (shift > 0) == (predicted > 0))


def test_substitution_quadrants():
    resid = pd.DataFrame(
        {"kontanthjaelp": [-1.0, 1.0, -1.0, 1.0, 0.0], "foertidspension": [1.0, -1.0, -1.0, 1.0, 0.0]},
        index=pd.Index([1, 2, 3, 4, 5], name="code"),
    )
    assert substitution_flag(resid).tolist() == [
        "a_better_b_worse",
        "a_worse_b_better",
        "both_better",
        "both_worse",
        "both_better",
    ]


def _noisy(rho_true, noise_corr, seed, n=98):
    """True deviations with correlation ``rho_true`` plus unit-variance noise correlated ``noise_corr``."""
    rng = np.random.default_rng(1000 + seed)
    resid = _resid(rho_true, n=n, seed=seed)
    e = rng.multivariate_normal([0, 0], [[1.0, noise_corr], [noise_corr, 1.0]], size=n)
    noisy = resid.copy()
    noisy["kontanthjaelp"] += e[:, 0]
    noisy["foertidspension"] += e[:, 1]
    noisy["dagpenge"] += rng.normal(size=n)
    var = pd.DataFrame(1.0, index=resid.index, columns=resid.columns)
    pairs = {
        frozenset(("kontanthjaelp", "foertidspension")): noise_corr,
        frozenset(("kontanthjaelp", "dagpenge")): 0.0,
    }
    pairs[frozenset(("foertidspension", "dagpenge"))] = 0.0
    return noisy, GroupNoise(var, {k: pd.Series(v, index=resid.index) for k, v in pairs.items()})


@pytest.mark.parametrize("rho_true", [-0.6, 0.0])
def test_noise_covariance_is_subtracted(rho_true):
    """Planted truth: correlation ``rho_true``; noise as large as the signal, correlated −0.5.

    The plain correlation is (ρ − 0.5)/2; correcting the variances only gives (ρ − 0.5)/1, biased
    away from zero by the noise covariance (clipped at −1); subtracting the noise covariance too
    recovers ρ (averaged over 30 draws: the sd of one estimate is about 0.15).
    """
    plain, var_only, full = [], [], []
    for s in range(30):
        noisy, noise = _noisy(rho_true, -0.5, s)
        sd = noise.var**0.5
        plain.append(tradeoff_test(noisy, replicates=100, seed=s).estimate)
        var_only.append(tradeoff_test(noisy, noise=sd, replicates=100, seed=s).estimate)
        full.append(tradeoff_test(noisy, noise=noise, replicates=100, seed=s).estimate)
    assert np.mean(plain) == pytest.approx((rho_true - 0.5) / 2, abs=0.06)
    assert np.mean(var_only) < rho_true - 0.3  # the bias away from zero the covariance causes
    assert np.nanmean(full) == pytest.approx(rho_true, abs=0.08)


def test_permutation_null_ignores_the_noise_covariance_of_other_municipalities():
    """With no true correlation, correlated noise must not make the corrected test reject often."""
    pvals = []
    for s in range(40):
        noisy, noise = _noisy(0.0, -0.5, s)
        pvals.append(tradeoff_test(noisy, noise=noise, replicates=200, seed=s).p_value)
    assert np.mean(np.array(pvals) < 0.05) <= 0.15


def test_side_noise_adds_the_covariances_within_a_side():
    idx = pd.Index([1, 2], name="code")
    var = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": [5.0, 6.0]}, index=idx)
    cov = {
        frozenset(("a", "b")): pd.Series([-0.5, -1.0], index=idx),
        frozenset(("a", "c")): pd.Series([-0.25, 0.0], index=idx),
        frozenset(("b", "c")): pd.Series([-0.75, -0.1], index=idx),
    }
    noise = GroupNoise(var, cov)
    # Var(a + b) = v_a + v_b + 2 c_ab; Cov(a + b, c) = c_ac + c_bc
    np.testing.assert_allclose(noise.side_var(["a", "b"]), [1 + 3 - 1.0, 2 + 4 - 2.0])
    np.testing.assert_allclose(noise.side_cov(["a", "b"], ["c"]), [-1.0, -0.1])
    with pytest.raises(ValueError, match="no noise covariance between a and d"):
        GroupNoise(var.assign(d=1.0), cov).side_cov(["a"], ["d"])
