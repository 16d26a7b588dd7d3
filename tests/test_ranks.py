"""Tests for analysis.inference.ranks: confidence sets for ranks and rank intervals from draws."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis.inference.ranks as ranks_mod
from analysis.inference.ranks import RankSets, csranks, cstaubest, cstauworst, rank_interval_from_draws


def _true_rank(theta: np.ndarray) -> np.ndarray:
    """Rank 1 = largest, written independently of the module (no ties in the tests)."""
    order = np.argsort(-theta)
    r = np.empty(theta.size, dtype=int)
    r[order] = np.arange(1, theta.size + 1)
    return r


def _sets(res: RankSets) -> list[tuple[int, int]]:
    return list(zip(res.lower.tolist(), res.upper.tolist(), strict=True))


# ---------------------------------------------------------------------------------------------
# hand-computed toy cases (identity covariance)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("simul", [True, False])
@pytest.mark.parametrize("stepdown", [True, False])
def test_toy_case_far_apart_point_ranks_ties_share(simul, stepdown):
    # x = (0, 0, 10, 20), unit variances: every difference of 10 has t = 10/√2 ≈ 7.1, far
    # beyond any critical value for ≤ 6 pairs (< 3), the tied pair has t = 0. By hand:
    # unit 4 rank 1, unit 3 rank 2, units 1 and 2 share {3, 4}.
    res = csranks(np.array([0.0, 0.0, 10.0, 20.0]), np.ones(4), simul=simul, stepdown=stepdown, R=2000)
    assert _sets(res) == [(3, 4), (3, 4), (2, 2), (1, 1)]
    assert res.rank.tolist() == [3, 3, 2, 1]


# the pairs (j, k), j < k, of four units (0-based), (0, 1) first
_TOY_PAIRS = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def _quantile_of_max(terms, level=0.95, n=1_000_000, seed=12345):
    """Quantile of ``max(terms(Z))`` for ``Z`` with 4 iid N(0, 1) columns, by plain simulation."""
    z = np.random.default_rng(seed).standard_normal((n, 4))
    return float(np.quantile(np.max(np.stack(terms(z)), axis=0), level))


def test_toy_case_stepdown_resolves_close_pair_and_critical_values():
    # x = (0, 3.5, 10, 20), unit variances, so σ_jk = √2 and t(2 above 1) = 3.5/√2 ≈ 2.475.
    # The family holds both one-sided hypotheses "θ_j ≤ θ_k" of every pair, statistic
    # (x_j − x_k)/√2; Z_j below are iid N(0, 1) and d(j, k) = (Z_j − Z_k)/√2.
    # Step 1, all 12: T = max d(j, k) = range/√2, 95 % quantile q(0.95; 4, ∞)/√2 ≈ 2.569 >
    # 2.475: "2 above 1" is not rejected, "k above j" for the five other pairs is (t ≥ 4.6).
    # Step 2: those five leave, their reverses stay: T = max(|d(1,2)|, d(1,3), d(1,4), d(2,3),
    # d(2,4), d(3,4)), quantile ≈ 2.39 < 2.475, so "2 above 1" is rejected and every unit
    # gets a point rank. Step 3: T = max_{j<k} d(j, k), quantile ≈ 2.33, nothing new; that is
    # the final critical value. (Dropping both directions of a rejected pair would leave only
    # |d(1,2)| at step 2, critical value 1.96: the published procedure keeps the reverses.)
    x = np.array([0.0, 3.5, 10.0, 20.0])
    c_all = stats.studentized_range.ppf(0.95, 4, np.inf) / np.sqrt(2)
    r2 = np.sqrt(2)
    c_step2 = _quantile_of_max(
        lambda z: [np.abs(z[:, 0] - z[:, 1]) / r2] + [(z[:, j] - z[:, k]) / r2 for j, k in _TOY_PAIRS[1:]]
    )
    c_final = _quantile_of_max(lambda z: [(z[:, j] - z[:, k]) / r2 for j, k in _TOY_PAIRS])
    # the independent simulations above have s.e. ≈ 0.003; the step-2 decision is 0.09 away
    assert 2.37 < c_step2 < 2.41
    assert 2.31 < c_final < 2.35
    # R = 20000: the Monte-Carlo s.e. of a 95 % quantile here is ≈ 0.013, so 0.05 is ~4 s.e.;
    # the decisions are 0.09 (≈ 7 s.e.) or more away from every step's critical value.
    single = csranks(x, np.ones(4), stepdown=False, R=20000, seed=3)
    assert single.critical_value.iloc[0] == pytest.approx(c_all, abs=0.05)
    assert _sets(single) == [(3, 4), (3, 4), (2, 2), (1, 1)]
    step = csranks(x, np.ones(4), stepdown=True, R=20000, seed=3)
    assert step.critical_value.iloc[0] == pytest.approx(c_final, abs=0.05)
    assert _sets(step) == [(4, 4), (3, 3), (2, 2), (1, 1)]


def test_two_units_exact_normal_quantile():
    # Two units, unit variances: reject iff |x1 − x2|/√2 > z_{0.975} = 1.96 (exact). Gaps of
    # 2.4 (t = 1.70) and 3.2 (t = 2.26) are ≥ 0.26 from 1.96, ≫ the MC s.e. (≈ 0.03 at R=5000).
    close = csranks(np.array([0.0, 2.4]), np.ones(2), R=5000)
    assert _sets(close) == [(1, 2), (1, 2)]
    apart = csranks(np.array([0.0, 3.2]), np.ones(2), R=5000)
    assert _sets(apart) == [(2, 2), (1, 1)]


def test_one_sided_sets_by_hand():
    # One-sided 95 % for a single pair: reject iff t > z_{0.95} = 1.645. x = (0, 3): t = 2.12.
    # "lower": a lower bound on the best possible rank only (upper = p); "upper" the reverse.
    x = np.array([0.0, 3.0])
    lo = csranks(x, np.ones(2), cstype="lower", R=5000)
    assert _sets(lo) == [(2, 2), (1, 2)]
    up = csranks(x, np.ones(2), cstype="upper", R=5000)
    assert _sets(up) == [(1, 2), (1, 1)]
    # x = (0, 2.5): t = 1.77. A marginal one-sided set for unit 1 tests one ordered pair, with
    # critical value z_{0.95} = 1.645 < 1.77: rejected. Simultaneous one-sided sets for both
    # units test both orders, so T = |Z1 − Z2|/√2 and the critical value is 1.96 > 1.77: not
    # rejected. At R = 20000 the MC s.e. is ≈ 0.015, so the margins (≥ 0.12) are ≥ 8 s.e.
    x2 = np.array([0.0, 2.5])
    marginal = csranks(x2, np.ones(2), cstype="lower", simul=False, R=20000)
    assert _sets(marginal) == [(2, 2), (1, 2)]
    assert marginal.critical_value.iloc[0] == pytest.approx(stats.norm.ppf(0.95), abs=0.05)
    joint = csranks(x2, np.ones(2), cstype="lower", simul=True, R=20000)
    assert _sets(joint) == [(1, 2), (1, 2)]
    assert joint.critical_value.iloc[0] == pytest.approx(stats.norm.ppf(0.975), abs=0.05)
    assert _sets(csranks(x2, np.ones(2), cstype="two-sided", R=20000)) == [(1, 2), (1, 2)]


def test_descending_false_is_rank_of_negated_estimates():
    rng = np.random.default_rng(5)
    x = rng.normal(size=12)
    v = rng.uniform(0.05, 0.3, 12)
    a = csranks(x, v, descending=False, seed=1)
    b = csranks(-x, v, descending=True, seed=1)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.rank.loc[int(np.argmin(x))] == 1


def test_labels_and_indices_subset():
    codes = pd.Index([101, 147, 151, 153, 155], name="code")
    x = pd.Series([0.0, 10.0, 20.0, 30.0, 40.0], index=codes)
    res = csranks(x, pd.Series(1.0, index=codes), indices=[147, 155], R=2000)
    assert res.lower.index.tolist() == [147, 155]
    assert _sets(res) == [(4, 4), (1, 1)]
    assert res["upper"].index.name == "code"


def test_dataframe_cov_is_aligned_by_label():
    codes = pd.Index([101, 147, 151])
    x = pd.Series([0.0, 5.0, 10.0], index=codes)
    cov = pd.DataFrame(np.diag([1.0, 2.0, 3.0]), index=codes, columns=codes)
    shuffled = cov.loc[[151, 101, 147], [151, 101, 147]]
    a = csranks(x, cov, seed=2)
    b = csranks(x, shuffled, seed=2)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


# ---------------------------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("cstype", ["two-sided", "lower", "upper"])
def test_simultaneous_contains_marginal(seed, cstype):
    # With common draws the simultaneous family contains each marginal family, so its critical
    # values are at least as large at every step and its sets contain the marginal ones.
    rng = np.random.default_rng(seed)
    p = 15
    x = rng.normal(scale=2, size=p)
    a = rng.normal(size=(p, p)) * 0.3
    cov = np.diag(rng.uniform(0.05, 1.0, p)) + a @ a.T
    sim = csranks(x, cov, simul=True, cstype=cstype, seed=seed, R=500)
    mar = csranks(x, cov, simul=False, cstype=cstype, seed=seed, R=500)
    assert (sim.lower <= mar.lower).all()
    assert (sim.upper >= mar.upper).all()
    assert (sim.critical_value >= mar.critical_value - 1e-12).all()
    # every set contains the point rank and lies in 1..p
    for res in (sim, mar):
        assert ((res.lower >= 1) & (res.lower <= res.rank) & (res.rank <= res.upper) & (res.upper <= p)).all()


@pytest.mark.parametrize("seed", range(4))
def test_stepdown_never_wider(seed):
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(scale=2, size=20)
    v = rng.uniform(0.1, 1.0, 20)
    sd = csranks(x, v, stepdown=True, seed=seed, R=500)
    ss = csranks(x, v, stepdown=False, seed=seed, R=500)
    assert (sd.lower >= ss.lower).all()
    assert (sd.upper <= ss.upper).all()


def test_same_seed_identical_and_chunking_irrelevant(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.normal(size=30)
    v = rng.uniform(0.01, 0.2, 30)
    a = csranks(x, v, seed=11)
    b = csranks(x, v, seed=11)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    # evaluating the pairwise maximum in tiny chunks must give exactly the same numbers
    monkeypatch.setattr(ranks_mod, "_CHUNK_ELEMENTS", 7 * 1000)
    c = csranks(x, v, seed=11)
    pd.testing.assert_frame_equal(a.to_frame(), c.to_frame())


def test_rank_sets_are_immutable():
    res = csranks(np.array([0.0, 1.0, 2.0]), np.ones(3), R=200)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.coverage = 0.5  # type: ignore[misc]
    lower = res.lower
    lower.iloc[0] = 99
    frame = res.to_frame()
    frame.loc[0, "upper"] = 99
    assert res.lower.iloc[0] != 99
    assert res.upper.iloc[0] != 99
    assert "RankSets(simultaneous, two-sided" in repr(res)
    assert res.contains(res.rank).all()


def _brute_force_sets(x, sd, z, alpha, stepdown, units):
    """Plain-loop two-sided stepdown for independent units (reference for the vectorised code).

    The family holds the one-sided hypotheses (j, k) "θ_j ≤ θ_k", j ≠ k, with j or k in
    ``units``, statistic (x_j − x_k)/σ_jk; a rejection removes (j, k) only, while (k, j) stays
    in the maximum (Mogstad et al. 2024; R csranks). An earlier reference removed both orders
    of a rejected pair, which gave too small critical values after the first step.
    """
    p = len(x)
    hyps = [(j, k) for j in range(p) for k in range(p) if j != k and (j in units or k in units)]
    rejected: set[tuple[int, int]] = set()
    while True:
        active = [h for h in hyps if h not in rejected]
        if not active:
            break
        t = np.array(
            [max((z[r, j] - z[r, k]) / np.hypot(sd[j], sd[k]) for j, k in active) for r in range(z.shape[0])]
        )
        c = np.quantile(t, 1 - alpha)
        new = {(j, k) for j, k in active if (x[j] - x[k]) / np.hypot(sd[j], sd[k]) > c}
        if not new:
            break
        rejected |= new
        if not stepdown:
            break
    lower, upper = [], []
    for j in units:
        above = sum(1 for a, b in rejected if b == j)  # rejected "θ_a ≤ θ_j": a is above j
        below = sum(1 for a, b in rejected if a == j)
        lower.append(1 + above)
        upper.append(p - below)
    return lower, upper


@pytest.mark.parametrize("stepdown", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_matches_brute_force_reference(seed, stepdown):
    # Same draws (documented convention: Z = N · diag(sd) for a diagonal Σ), plain loops over
    # pairs and draws; integers must agree exactly, for the simultaneous sets and for each
    # marginal set (units = {j}).
    rng = np.random.default_rng(50 + seed)
    p, R = 7, 300
    x = rng.normal(scale=1.5, size=p)
    sd = rng.uniform(0.2, 0.8, p)
    z = np.random.default_rng(seed).standard_normal((R, p)) * sd
    sim = csranks(x, sd**2, stepdown=stepdown, R=R, seed=seed)
    lo, up = _brute_force_sets(x, sd, z, 0.05, stepdown, set(range(p)))
    assert sim.lower.tolist() == lo
    assert sim.upper.tolist() == up
    mar = csranks(x, sd**2, stepdown=stepdown, R=R, seed=seed, simul=False)
    for j in range(p):
        lj, uj = _brute_force_sets(x, sd, z, 0.05, stepdown, {j})
        assert (mar.lower.iloc[j], mar.upper.iloc[j]) == (lj[0], uj[0])


# ---------------------------------------------------------------------------------------------
# coverage by simulation
# ---------------------------------------------------------------------------------------------


def test_simultaneous_coverage_simulation():
    # True θ with a mix of close and distant units and a correlated Σ. The simultaneous sets
    # must cover all true ranks jointly in ≥ 95 % of replications (up to Monte-Carlo error:
    # 200 replications give s.e. ≈ 1.5 pct.-points; we allow 3 s.e.). Marginal sets must cover
    # each unit's rank in ≥ 95 % on average (same allowance; they are per-unit statements).
    rng = np.random.default_rng(2024)
    p = 8
    theta = np.array([0.0, 0.2, 0.5, 1.0, 1.1, 2.0, 3.0, 3.05])
    a = rng.normal(size=(p, p)) * 0.1
    cov = np.diag(rng.uniform(0.05, 0.3, p)) + a @ a.T
    root = np.linalg.cholesky(cov)
    truth = _true_rank(theta)
    reps = 200
    joint = 0
    marginal_hits = 0
    start = time.perf_counter()
    for r in range(reps):
        x = theta + root @ rng.standard_normal(p)
        sim = csranks(x, cov, R=300, seed=r)
        mar = csranks(x, cov, R=300, seed=r, simul=False)
        joint += bool(((sim.lower.to_numpy() <= truth) & (truth <= sim.upper.to_numpy())).all())
        marginal_hits += int(((mar.lower.to_numpy() <= truth) & (truth <= mar.upper.to_numpy())).sum())
    elapsed = time.perf_counter() - start
    tol = 3 * np.sqrt(0.95 * 0.05 / reps)
    assert joint / reps >= 0.95 - tol
    assert marginal_hits / (reps * p) >= 0.95 - tol
    assert elapsed < 10


def test_one_sided_lower_coverage_simulation():
    # Simultaneous one-sided lower bounds: all true ranks ≥ L jointly in ≥ 95 % (3 s.e.).
    rng = np.random.default_rng(99)
    theta = np.linspace(0, 1.5, 6)
    v = np.full(6, 0.1)
    truth = _true_rank(theta)
    reps = 300
    hits = 0
    for r in range(reps):
        x = theta + np.sqrt(v) * rng.standard_normal(6)
        res = csranks(x, v, cstype="lower", R=300, seed=r)
        hits += bool((res.lower.to_numpy() <= truth).all())
        assert (res.upper == 6).all()
    assert hits / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)


def test_runtime_p98():
    # Target < 1 s for p = 98, R = 1000 on an idle core; allow slack on a shared machine.
    rng = np.random.default_rng(0)
    x = rng.normal(size=98)
    a = rng.normal(size=(98, 98)) * 0.02
    cov = np.diag(rng.uniform(0.01, 0.25, 98)) + a @ a.T
    start = time.perf_counter()
    res = csranks(x, cov, R=1000)
    elapsed = time.perf_counter() - start
    assert len(res) == 98
    assert elapsed < 5


# ---------------------------------------------------------------------------------------------
# τ-best and τ-worst
# ---------------------------------------------------------------------------------------------


def test_tau_best_and_worst_toy():
    # x = (0, 0, 10, 20), unit variances (as in the hand case above): only unit 4 can be the
    # best; units 1 and 2 may each be the worst; the 2 worst are exactly units 1 and 2.
    x = pd.Series([0.0, 0.0, 10.0, 20.0], index=[1, 2, 3, 4])
    assert cstaubest(x, np.ones(4), tau=1, R=2000).tolist() == [False, False, False, True]
    assert cstauworst(x, np.ones(4), tau=1, R=2000).tolist() == [True, True, False, False]
    assert cstauworst(x, np.ones(4), tau=2, R=2000).tolist() == [True, True, False, False]
    assert cstaubest(x, np.ones(4), tau=4, R=2000).all()


@pytest.mark.parametrize("seed", range(3))
def test_tau_sets_contain_point_top_and_bottom(seed):
    # A unit ranked ≤ τ by its estimate can never be excluded from the τ-best set.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=25)
    v = rng.uniform(0.05, 0.5, 25)
    best = cstaubest(x, v, tau=5, seed=seed, R=500)
    worst = cstauworst(x, v, tau=5, seed=seed, R=500)
    r = _true_rank(x)
    assert best[r <= 5].all()
    assert worst[r >= 21].all()
    # larger τ gives a larger set
    assert (best <= cstaubest(x, v, tau=10, seed=seed, R=500)).all()


def test_tau_best_coverage_simulation():
    # Every unit truly among the 2 best is in the set, jointly, in ≥ 95 % (3 s.e.).
    rng = np.random.default_rng(31)
    theta = np.array([0.0, 0.3, 0.6, 0.9, 1.2, 1.5])
    v = np.full(6, 0.15)
    top = _true_rank(theta) <= 2
    reps = 300
    hits = 0
    for r in range(reps):
        x = theta + np.sqrt(v) * rng.standard_normal(6)
        hits += bool(cstaubest(x, v, tau=2, R=300, seed=r).to_numpy()[top].all())
    assert hits / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps)


# ---------------------------------------------------------------------------------------------
# percentile rank intervals from joint draws
# ---------------------------------------------------------------------------------------------


def test_rank_interval_from_draws_separated_units_get_point_ranks():
    rng = np.random.default_rng(0)
    draws = pd.DataFrame(rng.normal([0.0, 100.0, 50.0], 1.0, size=(500, 3)), columns=[101, 147, 151])
    out = rank_interval_from_draws(draws)
    assert out.index.tolist() == [101, 147, 151]
    assert out["lower"].tolist() == [3, 1, 2]
    assert out["upper"].tolist() == [3, 1, 2]
    asc = rank_interval_from_draws(draws, descending=False)
    assert asc["lower"].tolist() == [1, 3, 2]


def test_rank_interval_from_draws_exchangeable_units():
    # Two exchangeable units: each is rank 1 in about half the draws, so the 95 % interval is
    # {1, 2} and the mean rank ≈ 1.5 (s.e. 0.5/√4000 ≈ 0.008; tolerance 0.05).
    rng = np.random.default_rng(1)
    out = rank_interval_from_draws(rng.normal(size=(4000, 2)))
    assert out["lower"].tolist() == [1, 1]
    assert out["upper"].tolist() == [2, 2]
    assert out["mean"].to_numpy() == pytest.approx([1.5, 1.5], abs=0.05)


def test_rank_interval_from_draws_is_widened_to_the_point_rank():
    """An extreme unit among many noisy ones: its draws' ranks regress to the middle."""
    rng = np.random.default_rng(4)
    point = np.r_[0.0, np.full(20, 0.1)]
    draws = point + rng.normal(size=(4000, 21)) * np.r_[1e-6, np.full(20, 5.0)]
    plain = rank_interval_from_draws(draws, descending=False)
    # about half of the 20 noisy units fall below 0 in a draw: rank ≈ 1 + Bin(20, 0.49)
    assert plain.loc[0, "lower"] > 1
    assert plain.loc[0, "lower"] == pytest.approx(1 + stats.binom.ppf(0.025, 20, 0.492), abs=1)
    widened = rank_interval_from_draws(draws, descending=False, point=point)
    assert widened.loc[0, "lower"] == 1
    assert widened.loc[0, "upper"] == plain.loc[0, "upper"]
    pd.testing.assert_frame_equal(
        widened.iloc[1:], plain.iloc[1:].assign(lower=np.minimum(plain["lower"][1:], 2))
    )
    with pytest.raises(ValueError, match="point"):
        rank_interval_from_draws(draws, point=point[:-1])


def test_rank_interval_from_draws_covers_level_per_unit():
    # Each interval contains at least `level` of the unit's draw ranks (counted independently).
    rng = np.random.default_rng(2)
    draws = rng.normal(np.linspace(0, 2, 10), 0.7, size=(1000, 10))
    out = rank_interval_from_draws(draws, level=0.9)
    r = np.apply_along_axis(_true_rank, 1, draws)
    inside = (r >= out["lower"].to_numpy()) & (r <= out["upper"].to_numpy())
    assert (inside.mean(axis=0) >= 0.9).all()
    assert ((out["lower"] <= out["median"]) & (out["median"] <= out["upper"])).all()


# ---------------------------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "cov", "kwargs", "match"),
    [
        ([0.0, np.nan, 1.0], np.ones(3), {}, "x: values must be finite"),
        ([0.0, 1.0, 2.0], np.ones(2), {}, "cov: a vector of variances must have length 3"),
        ([0.0, 1.0, 2.0], np.eye(4), {}, r"cov: expected a 3 × 3 matrix"),
        ([0.0, 1.0], np.array([[1.0, 2.0], [2.0, 1.0]]), {}, "cov: matrix must be positive semi-definite"),
        ([0.0, 1.0], np.array([[1.0, 0.5], [0.0, 1.0]]), {}, "cov: matrix must be symmetric"),
        ([0.0, 1.0], np.array([[1.0, np.nan], [np.nan, 1.0]]), {}, "cov: entries must be finite"),
        ([0.0, 1.0], np.array([1.0, -1.0]), {}, "cov: variances must be non-negative"),
        ([0.0], np.ones(1), {}, "x: at least two units"),
        (
            [0.0, 1.0],
            np.ones(2),
            {"cstype": "both"},
            r"cstype: must be one of \['two-sided', 'lower', 'upper'\]",
        ),
        ([0.0, 1.0], np.ones(2), {"coverage": 95}, "coverage: must be a number in"),
        ([0.0, 1.0], np.ones(2), {"R": 5}, "R: must be an integer"),
        ([0.0, 1.0], np.ones(2), {"indices": [7]}, r"indices: labels \[7\] are not in the index of x"),
    ],
)
def test_invalid_inputs(x, cov, kwargs, match):
    with pytest.raises(ValueError, match=match):
        csranks(np.asarray(x), cov, **kwargs)


def test_invalid_tau_and_draws():
    with pytest.raises(ValueError, match="tau: must be an integer between 1 and"):
        cstaubest(np.zeros(3), np.ones(3), tau=4)
    with pytest.raises(ValueError, match="draws: values must be finite"):
        rank_interval_from_draws(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="draws: expected a 2-D"):
        rank_interval_from_draws(np.zeros(5))
    with pytest.raises(ValueError, match="level: must be a number in"):
        rank_interval_from_draws(np.zeros((5, 2)), level=1.5)
