"""The kontanthjælp–førtidspension trade-off ("forbundne kar"), measured.

KL's central critique of the Ministry's benchmark (2018): municipalities with good results on
kontanthjælp typically have bad results on førtidspension and ressourceforløb, so a ranking
that leaves førtidspension out systematically favours municipalities that award it. This
module makes the claim testable:

* residuals (actual − expected, percentage points of the population 16–66) for every benefit
  group from one set of cells (:func:`group_residuals`);
* the correlation of residuals across municipalities, corrected for the estimation noise of
  each municipality's residuals (their variances *and* their covariance, :func:`group_noise`),
  with intervals from a bootstrap over municipalities (:func:`residual_correlation`), and the
  specific two-sided test of one side against the other (:func:`tradeoff_test`);
* the rank under two benefit sets and the rank shift, who moves most, and whether they move the
  way the trade-off predicts (:func:`rank_shifts`);
* a substitution flag: better than expected on one side, worse on the other.

Sign convention: a residual below zero means fewer full-time persons than expected (good);
rank 1 is the most negative residual; ``rank_shift = rank_all − rank_bm2018`` so a positive
shift means the municipality does worse once all benefit groups count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.display import ResultsDisplay, make_summary
from analysis.core.params import BenefitSet

DEFAULT_SIDE_A: tuple[str, ...] = ("kontanthjaelp",)
DEFAULT_SIDE_B: tuple[str, ...] = ("foertidspension",)
CorrMethod = Literal["pearson", "spearman"]


def group_residuals(fits: Mapping[str, Any]) -> pd.DataFrame:
    """Residual (``difference_pp``) per municipality for each fitted benefit group or set.

    Parameters
    ----------
    fits
        Mapping from a group/set name to a fitted results object with a ``difference_pp``
        series indexed by municipality code (as returned by :func:`analysis.model.fit_many`).

    Returns
    -------
    DataFrame
        Indexed by ``code``, one column per entry of ``fits``.
    """
    if not fits:
        raise ValueError("fits: no fitted benefit groups given")
    frame = pd.DataFrame({name: res.difference_pp for name, res in fits.items()})
    frame.index.name = "code"
    if frame.isna().any().any():
        bad = frame.columns[frame.isna().any()].tolist()
        raise ValueError(f"fits: residuals missing for some municipalities in {bad}")
    return frame


def group_standard_errors(fits: Mapping[str, Any]) -> pd.DataFrame:
    """Standard error (``se_pp``) of each municipality's residual, same layout as
    :func:`group_residuals`.

    It includes the coefficient uncertainty, which is common to all municipalities and, with a
    clustered covariance, mostly reflects the municipality effects themselves; the correlation's
    noise correction uses the within-municipality noise of :func:`group_noise` instead.
    """
    frame = pd.DataFrame({name: res.se_pp for name, res in fits.items()})
    frame.index.name = "code"
    return frame


@dataclass(frozen=True, eq=False)
class GroupNoise:
    """The estimation noise of each municipality's residuals (pp²), and its covariance between groups.

    Attributes
    ----------
    var : DataFrame
        Indexed by ``code``, one column per group: the noise variance ``noise_sd_pp²``.
    cov : mapping
        ``frozenset({a, b})`` → Series indexed by ``code``: the noise covariance of the residuals
        of groups ``a`` and ``b`` (a person's months on one group are months not on the other,
        so it is typically negative). Pairs without an entry have no known covariance.
    """

    var: pd.DataFrame
    cov: Mapping[frozenset, pd.Series] = field(default_factory=dict)

    @classmethod
    def independent(cls, sd: pd.DataFrame) -> GroupNoise:
        """Noise with standard deviations ``sd`` (code × group, pp) and no covariance between groups."""
        var = sd.astype(float) ** 2
        cols = list(var.columns)
        zero = pd.Series(0.0, index=var.index)
        return cls(var, {frozenset((a, b)): zero for i, a in enumerate(cols) for b in cols[i + 1 :]})

    def reindex(self, index: pd.Index) -> GroupNoise:
        return GroupNoise(self.var.reindex(index), {k: v.reindex(index) for k, v in self.cov.items()})

    def _pair(self, a: str, b: str) -> pd.Series:
        key = frozenset((a, b))
        if key not in self.cov:
            raise ValueError(
                f"noise: no noise covariance between {a} and {b}; fit them together "
                "(analysis.model.fit_many or a source's fit_many)"
            )
        return self.cov[key]

    def side_var(self, side: Sequence[str]) -> np.ndarray:
        """Noise variance of the sum of a side's residuals (its groups' variances and covariances)."""
        missing = [g for g in side if g not in self.var.columns]
        if missing:
            raise ValueError(f"noise: no noise variance for {missing}")
        out = self.var[list(side)].sum(axis=1).to_numpy(float)
        for i, a in enumerate(side):
            for b in side[i + 1 :]:
                out = out + 2.0 * self._pair(a, b).to_numpy(float)
        return out

    def side_cov(self, side_a: Sequence[str], side_b: Sequence[str]) -> np.ndarray:
        """Noise covariance of the sums of two disjoint sides' residuals."""
        out = np.zeros(len(self.var))
        for a in side_a:
            for b in side_b:
                out = out + self._pair(a, b).to_numpy(float)
        return out


def group_noise(fits: Mapping[str, Any]) -> GroupNoise:
    """The within-municipality estimation noise of each fitted group's residual, and its covariances.

    Parameters
    ----------
    fits
        Group name → fitted results (:func:`analysis.model.fit_many`, or a source's
        ``fit_many``), whose ``municipal["noise_sd_pp"]`` and ``noise_cov_pp`` are read.

    Returns
    -------
    GroupNoise

    Notes
    -----
    Only the noise of each municipality's own mean residual is used, not the coefficient
    uncertainty in ``se_pp``: that part is one draw common to all municipalities, does not
    shrink with more persons when the covariance is clustered (it then mostly reflects the
    municipality effects), and subtracting it over-corrects the correlation away from zero. The
    covariance between groups comes from the cross-products of the two groups' residuals in each
    covariate cell (:func:`analysis.model.ols.noise_covariance`) or, for aggregates, from the
    multinomial covariance at the expected shares
    (:func:`analysis.model.panel.with_noise_covariances`).
    """
    if not fits:
        raise ValueError("fits: no fitted benefit groups given")
    var = pd.DataFrame({name: res.municipal["noise_sd_pp"] ** 2 for name, res in fits.items()})
    var.index.name = "code"
    cov: dict[frozenset, pd.Series] = {}
    names = list(fits)
    for i, a in enumerate(names):
        other = fits[a].noise_cov_pp
        if other is None:
            continue
        for b in names[i + 1 :]:
            if b in other.columns:
                cov[frozenset((a, b))] = other[b].reindex(var.index).astype(float)
    return GroupNoise(var, cov)


def _side(resid: pd.DataFrame, side: Sequence[str], name: str) -> pd.Series:
    missing = [g for g in side if g not in resid.columns]
    if missing:
        raise ValueError(
            f"{name}: group(s) {missing} have no residuals; fitted groups are {list(resid.columns)}"
        )
    return resid[list(side)].sum(axis=1)


def _corr(
    a: np.ndarray,
    b: np.ndarray,
    method: CorrMethod,
    noise_a: np.ndarray | None = None,
    noise_b: np.ndarray | None = None,
    noise_ab: np.ndarray | None = None,
) -> np.ndarray:
    """Column-wise correlation of matching columns of two (n × R) arrays.

    With ``noise_a``/``noise_b`` (sampling variances of each entry, same shape) and
    ``noise_ab`` (sampling covariance of the paired entries; None for 0), the Pearson
    correlation is corrected for the noise: the mean sampling variance is subtracted from each
    observed variance and the mean sampling covariance from the observed covariance before
    dividing (Spearman's correction for attenuation, with correlated errors). Columns whose
    corrected variance is not positive give NaN; corrected values are clipped to [−1, 1].
    """
    if method == "spearman":
        a = np.argsort(np.argsort(a, axis=0), axis=0).astype(float)
        b = np.argsort(np.argsort(b, axis=0), axis=0).astype(float)
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    n = a.shape[0]
    var_a = (a * a).sum(axis=0) / (n - 1)
    var_b = (b * b).sum(axis=0) / (n - 1)
    cov = (a * b).sum(axis=0) / (n - 1)
    if noise_a is not None and noise_b is not None:
        var_a = var_a - noise_a.mean(axis=0)
        var_b = var_b - noise_b.mean(axis=0)
        if noise_ab is not None:
            cov = cov - noise_ab.mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.sqrt(np.where((var_a > 0) & (var_b > 0), var_a * var_b, np.nan))
        return np.clip(r, -1.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt(var_a * var_b)


@dataclass(frozen=True)
class CorrelationTest:
    """Correlation of two residual series across municipalities, with a bootstrap interval."""

    side_a: tuple[str, ...]
    side_b: tuple[str, ...]
    method: str
    estimate: float
    lower: float
    upper: float
    level: float
    n: int
    replicates: int
    p_value: float
    raw_estimate: float
    corrected: bool

    @property
    def covers_zero(self) -> bool:
        return self.lower <= 0.0 <= self.upper

    def as_dict(self) -> dict[str, Any]:
        return {
            "side_a": "+".join(self.side_a),
            "side_b": "+".join(self.side_b),
            "method": self.method,
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "n": self.n,
            "replicates": self.replicates,
            "p_value": self.p_value,
            "raw_estimate": self.raw_estimate,
            "corrected": self.corrected,
        }

    def __str__(self) -> str:
        return (
            f"corr({'+'.join(self.side_a)}, {'+'.join(self.side_b)}) = {self.estimate:.3f} "
            f"[{self.lower:.3f}; {self.upper:.3f}] ({self.level:.0%} bootstrap interval, "
            f"{self.replicates} replicates, {self.n} municipalities, p = {self.p_value:.3g}"
            + (
                f"; corrected for estimation noise, uncorrected {self.raw_estimate:.3f})"
                if self.corrected
                else ")"
            )
        )


def tradeoff_test(
    resid: pd.DataFrame,
    *,
    side_a: Sequence[str] = DEFAULT_SIDE_A,
    side_b: Sequence[str] = DEFAULT_SIDE_B,
    method: CorrMethod = "pearson",
    noise: GroupNoise | pd.DataFrame | None = None,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> CorrelationTest:
    r"""Correlation across municipalities of the residuals of two sides of the trade-off.

    Parameters
    ----------
    resid
        Output of :func:`group_residuals`.
    side_a, side_b
        Groups summed on each side (default kontanthjælp vs førtidspension).
    method
        ``"pearson"`` or ``"spearman"``.
    noise
        The residuals' estimation noise: a :class:`GroupNoise` (:func:`group_noise`: noise
        variances and the covariance between groups), or a DataFrame of noise standard
        deviations in the layout of ``resid`` (taken as independent between groups). When
        given, the Pearson correlation is corrected for the noise (see Notes).
    replicates
        Municipality (pairs) bootstrap replicates for the percentile interval, and permutations
        for the p-value.
    level
        Interval level.
    seed
        Seed of the bootstrap; same seed, same interval.

    Raises
    ------
    ValueError
        Unknown method, overlapping sides, a side with no residuals, ``level`` outside (0, 1),
        fewer than 100 replicates, noise with ``method="spearman"``, missing noise (naming the
        groups or the pair).

    Notes
    -----
    The interval resamples the 98 municipalities with replacement (pairs bootstrap), so it
    speaks to the correlation in the population of municipalities that the observed ones
    represent. The two-sided p-value is from a permutation of side B (``replicates`` draws),
    which is exact under exchangeability and needs no normality.

    Each municipality's residual on side A is its true gap plus estimation noise with variance
    :math:`v_{A,m}`, on side B likewise :math:`v_{B,m}`, and the two noises have covariance
    :math:`c_{AB,m}`: a person's months on one benefit are months not on the other, so within a
    municipality the two shares' noise is negatively correlated. Noise inflates the variances and
    shifts the covariance by :math:`\bar c_{AB}`, so the plain correlation is pulled towards 0 by
    the first and pushed towards negative values by the second. With ``noise`` the correlation
    is

    .. math:: \frac{\widehat{\text{cov}}(a,b) - \bar c_{AB}}
              {\sqrt{(\hat\sigma_a^2-\bar v_A)(\hat\sigma_b^2-\bar v_B)}}

    (Spearman 1904, with correlated errors), recomputed in every bootstrap replicate. In the
    permutation null a municipality's A is paired with another's B, whose noises are
    independent, so no covariance is subtracted there. The noise is the within-municipality
    noise only (:func:`group_noise` says why not ``se_pp``). Where the noise is as large as the
    observed spread (a corrected variance that is not positive, typical of small groups in small
    samples) the corrected correlation is undefined: the estimate and the p-value are NaN, such
    replicates are left out of the interval, and the interval is NaN if none is left.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things.
    *American Journal of Psychology* 15(1), 72–101.
    """
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method: expected 'pearson' or 'spearman', got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    if replicates < 100:
        raise ValueError(f"replicates: expected at least 100, got {replicates}")
    if set(side_a) & set(side_b):
        raise ValueError(f"side_a and side_b overlap: {sorted(set(side_a) & set(side_b))}")
    if noise is not None and method != "pearson":
        raise ValueError("noise: the noise correction applies to method='pearson' only")
    a = _side(resid, side_a, "side_a").to_numpy(float)
    b = _side(resid, side_b, "side_b").to_numpy(float)
    n = len(a)
    if noise is not None:
        if isinstance(noise, pd.DataFrame):
            noise = GroupNoise.independent(noise)
        noise = noise.reindex(resid.index)
        na, nb = noise.side_var(list(side_a)), noise.side_var(list(side_b))
        nab = noise.side_cov(list(side_a), list(side_b))
        if not (np.isfinite(na).all() and np.isfinite(nb).all() and np.isfinite(nab).all()):
            raise ValueError("noise: missing noise for some municipalities")
    else:
        na = nb = nab = None
    raw = float(_corr(a[:, None], b[:, None], method)[0])
    est = (
        raw
        if na is None
        else float(_corr(a[:, None], b[:, None], method, na[:, None], nb[:, None], nab[:, None])[0])
    )
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n, replicates))
    if na is None:
        boot = _corr(a[idx], b[idx], method)
    else:
        boot = _corr(a[idx], b[idx], method, na[idx], nb[idx], nab[idx])
    boot = boot[np.isfinite(boot)]
    alpha = 1 - level
    if boot.size:
        lower, upper = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    else:  # noise exceeds the spread in every replicate: no interval
        lower = upper = np.nan
    perm = np.argsort(rng.random((n, replicates)), axis=0)
    a_rep = np.repeat(a[:, None], replicates, axis=1)
    if na is None:
        null = _corr(a_rep, b[perm], method)
    else:
        null = _corr(a_rep, b[perm], method, np.repeat(na[:, None], replicates, axis=1), nb[perm])
    if np.isfinite(est):
        p = float((1 + np.sum(np.abs(null) >= abs(est))) / (1 + replicates))
    else:  # an undefined estimate is not evidence against independence
        p = np.nan
    return CorrelationTest(
        side_a=tuple(side_a),
        side_b=tuple(side_b),
        method=method,
        estimate=est,
        lower=float(lower),
        upper=float(upper),
        level=level,
        n=n,
        replicates=replicates,
        p_value=p,
        raw_estimate=raw,
        corrected=na is not None,
    )


def residual_correlation(
    resid: pd.DataFrame,
    *,
    method: CorrMethod = "pearson",
    noise: GroupNoise | pd.DataFrame | None = None,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """All pairwise correlations of group residuals, with bootstrap intervals (tidy).

    Options as in :func:`tradeoff_test`; with ``noise`` every correlation is corrected for
    estimation noise (variances and covariance), so the row of the two default sides equals
    :func:`tradeoff_test` with the same ``noise`` and ``seed``.

    Returns
    -------
    DataFrame
        One row per unordered pair of columns: ``a, b, corr, lower, upper, p_value``. The same
        municipality resamples are used for every pair (seeded), so intervals are comparable.
    """
    rows = []
    cols = list(resid.columns)
    for i, ga in enumerate(cols):
        for gb in cols[i + 1 :]:
            t = tradeoff_test(
                resid,
                side_a=(ga,),
                side_b=(gb,),
                method=method,
                noise=noise,
                replicates=replicates,
                level=level,
                seed=seed,
            )
            rows.append(
                {
                    "a": ga,
                    "b": gb,
                    "corr": t.estimate,
                    "lower": t.lower,
                    "upper": t.upper,
                    "p_value": t.p_value,
                }
            )
    return pd.DataFrame(rows)


def correlation_matrix(resid: pd.DataFrame, *, method: CorrMethod = "pearson") -> pd.DataFrame:
    """Plain correlation matrix of the residual columns (for a heat-map or table)."""
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method: expected 'pearson' or 'spearman', got {method!r}")
    return resid.corr(method=method)


QUADRANTS = ("a_better_b_worse", "a_worse_b_better", "both_better", "both_worse")
"""Quadrant codes of :func:`substitution_flag` ("better" = at or below expected)."""


def substitution_flag(
    resid: pd.DataFrame, *, side_a: Sequence[str] = DEFAULT_SIDE_A, side_b: Sequence[str] = DEFAULT_SIDE_B
) -> pd.Series:
    """Code each municipality by the quadrant of its two residuals (:data:`QUADRANTS`).

    ``a_better_b_worse`` (below expected on side A, above on side B) is the substitution
    pattern KL describes; ``a_worse_b_better`` the mirror image; the other two are
    ``both_better`` and ``both_worse``. Exactly zero counts as better (not above expected).
    """
    a = _side(resid, side_a, "side_a") <= 0
    b = _side(resid, side_b, "side_b") <= 0
    out = np.select([a & ~b, ~a & b, a & b], list(QUADRANTS[:3]), default=QUADRANTS[3])
    return pd.Series(out, index=resid.index, name="quadrant")


def rank_shifts(
    rank_from: pd.Series,
    rank_to: pd.Series,
    *,
    added_residual: pd.Series | None = None,
    names: tuple[str, str] = ("bm2018", "all"),
) -> pd.DataFrame:
    """Rank under two benefit sets, the shift, and whether the move fits the trade-off.

    Parameters
    ----------
    rank_from, rank_to
        Ranks (1 = furthest below expected) indexed by municipality code.
    added_residual
        Residual (pct.-points) of the groups that ``rank_to`` adds. The trade-off predicts that
        municipalities above expected on the added groups (positive residual) move down
        (positive shift) and those below expected move up.
    names
        Labels of the two sets, used in the column names ``rank_<from>`` and ``rank_<to>``.

    Returns
    -------
    DataFrame
        Indexed by ``code``: ``rank_<from>``, ``rank_<to>``, ``rank_shift`` (to − from),
        ``abs_shift``, and with ``added_residual``: ``predicted_direction`` (+1 down, −1 up)
        and ``as_predicted`` (the shift has the predicted sign; False for no move).
    """
    if not rank_from.index.equals(rank_to.index) and set(rank_from.index) != set(rank_to.index):
        raise ValueError("rank_from and rank_to must cover the same municipalities")
    rank_to = rank_to.reindex(rank_from.index)
    f, t = names
    out = pd.DataFrame({f"rank_{f}": rank_from.astype(int), f"rank_{t}": rank_to.astype(int)})
    out["rank_shift"] = out[f"rank_{t}"] - out[f"rank_{f}"]
    out["abs_shift"] = out["rank_shift"].abs()
    if added_residual is not None:
        added = added_residual.reindex(rank_from.index)
        if added.isna().any():
            raise ValueError("added_residual: missing values for some municipalities")
        out["predicted_direction"] = np.sign(added).astype(int)
        out["as_predicted"] = np.sign(out["rank_shift"]) == out["predicted_direction"]
    out.index.name = "code"
    return out


@dataclass(frozen=True, eq=False)
class TradeoffAnalysis(ResultsDisplay):
    """Everything the trade-off report shows, computed once.

    ``residuals`` and ``correlations`` cover the benefit groups the data have. ``test`` (one side
    against the other) is None when a side's groups are missing; ``shifts`` (ranks under
    ``set_from`` and ``set_to``) is None when either set could not be fitted. ``table`` has one
    row per municipality with its residuals (``resid_<group>``), and the quadrant and the ranks
    where available.
    """

    residuals: pd.DataFrame
    correlations: pd.DataFrame
    test: CorrelationTest | None
    shifts: pd.DataFrame | None
    table: pd.DataFrame
    set_from: str
    set_to: str
    synthetic: bool

    @property
    def groups(self) -> tuple[str, ...]:
        """The benefit groups with residuals."""
        return tuple(self.residuals.columns)

    @property
    def has_shifts(self) -> bool:
        return self.shifts is not None

    def movers(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` municipalities whose rank moves most (ties by code)."""
        self._need_shifts()
        return self.table.sort_values(["abs_shift", "code"], ascending=[False, True]).head(n)

    def n_moved(self, k: int = 10) -> int:
        """How many municipalities move more than ``k`` places (cf. KL's "43 kommuner")."""
        self._need_shifts()
        return int((self.table["abs_shift"] > k).sum())

    def share_as_predicted(self, k: int = 0) -> float:
        """Share of municipalities moving more than ``k`` places whose move fits the trade-off."""
        self._need_shifts()
        moved = self.table[self.table["abs_shift"] > k]
        return float(moved["as_predicted"].mean()) if len(moved) else float("nan")

    def _need_shifts(self) -> None:
        if self.shifts is None:
            raise ValueError(
                f"rank shifts need fits of both {self.set_from} and {self.set_to}; the data lack one"
            )

    @cached_property
    def summary(self):
        info = [
            ("Groups", ", ".join(self.groups)),
            ("Municipalities", len(self.table)),
            ("Sets compared", f"{self.set_from} -> {self.set_to}" if self.has_shifts else "n/a"),
            ("Data", "synthetic" if self.synthetic else "real"),
        ]
        tab = self.correlations.set_index(["a", "b"])[["corr", "lower", "upper", "p_value"]]
        tab.index = [f"{a} ~ {b}" for a, b in tab.index]
        notes = [str(self.test)] if self.test is not None else []
        if self.has_shifts:
            notes.append(f"{self.n_moved(10)} municipalities move more than 10 places")
        return make_summary(
            "Trade-off between benefit groups (residual correlations)",
            info,
            tab,
            notes=notes,
            float_format="%.3f",
        )

    def _repr_fields(self):
        return [
            ("groups", len(self.groups)),
            ("test", "yes" if self.test else "no"),
            ("shifts", "yes" if self.has_shifts else "no"),
        ]


def benefit_sets_needed(
    set_from: BenefitSet | str = "bm2018", set_to: BenefitSet | str = "all", *, groups: Sequence[str] = GROUPS
) -> list[BenefitSet]:
    """The benefit sets :func:`analyse_fits` uses: every group and the two ranked sets."""
    sets = [BenefitSet.parse(g) for g in groups] + [BenefitSet.parse(set_from), BenefitSet.parse(set_to)]
    return list({b.name: b for b in sets}.values())


def analyse_fits(
    fits: Mapping[str, Any],
    *,
    set_from: BenefitSet | str = "bm2018",
    set_to: BenefitSet | str = "all",
    side_a: Sequence[str] = DEFAULT_SIDE_A,
    side_b: Sequence[str] = DEFAULT_SIDE_B,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> TradeoffAnalysis:
    """Trade-off diagnostics from fitted models: every fitted group, and the two ranked sets.

    Parameters
    ----------
    fits
        Fitted results keyed by set name: at least two single benefit groups; with both sides'
        groups the side-against-side test, with ``set_from`` and ``set_to`` the rank shifts.
    set_from, set_to
        The reference ranking (default the Ministry's 2018 set) and the comparison ranking
        (default all groups).
    side_a, side_b
        Groups on each side of the trade-off test.
    replicates, level, seed
        Bootstrap options of :func:`tradeoff_test` and :func:`residual_correlation`.

    Raises
    ------
    ValueError
        Fewer than two groups fitted; ``set_to`` adds nothing to ``set_from``.
    """
    b_from, b_to = BenefitSet.parse(set_from), BenefitSet.parse(set_to)
    added = tuple(g for g in b_to.groups if g not in b_from.groups)
    if not added:
        raise ValueError(f"set_to {b_to.name!r} adds no groups to set_from {b_from.name!r}")
    groups = [g for g in GROUPS if g in fits]
    if len(groups) < 2:
        raise ValueError(f"fits: at least two benefit groups are needed for the trade-off, got {groups}")
    resid = group_residuals({g: fits[g] for g in groups})
    noise = group_noise({g: fits[g] for g in groups})
    corr = residual_correlation(resid, noise=noise, replicates=replicates, level=level, seed=seed)
    sides_present = all(g in groups for g in (*side_a, *side_b))
    test = (
        tradeoff_test(
            resid, side_a=side_a, side_b=side_b, noise=noise, replicates=replicates, level=level, seed=seed
        )
        if sides_present
        else None
    )
    any_fit = fits[groups[0]]
    table = pd.DataFrame(index=resid.index)
    shifts = None
    if b_from.name in fits and b_to.name in fits and all(g in groups for g in added):
        shifts = rank_shifts(
            fits[b_from.name].rank,
            fits[b_to.name].rank,
            added_residual=resid[list(added)].sum(axis=1),
            names=(b_from.name, b_to.name),
        )
        table = shifts.copy()
    table = table.join(any_fit.municipal["name"]).join(resid.add_prefix("resid_"))
    if test is not None:
        table["quadrant"] = substitution_flag(resid, side_a=side_a, side_b=side_b)
    for b in (b_from, b_to):
        if shifts is not None:
            table[f"difference_pp_{b.name}"] = fits[b.name].difference_pp
    table.index.name = "code"
    table = table.reset_index()
    synthetic = bool(any_fit.synthetic)
    table.attrs["synthetic"] = synthetic
    return TradeoffAnalysis(
        residuals=resid,
        correlations=corr,
        test=test,
        shifts=shifts,
        table=table,
        set_from=b_from.name,
        set_to=b_to.name,
        synthetic=synthetic,
    )


def analyse(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    spec: Literal["pooled", "fe"] = "pooled",
    set_from: BenefitSet | str = "bm2018",
    set_to: BenefitSet | str = "all",
    side_a: Sequence[str] = DEFAULT_SIDE_A,
    side_b: Sequence[str] = DEFAULT_SIDE_B,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> TradeoffAnalysis:
    """Fit every group and both sets from one set of cells, then run :func:`analyse_fits`.

    Examples
    --------
    >>> from analysis.data.synth import generate
    >>> from analysis.model.tradeoff import analyse
    >>> reg = generate(n_persons=20_000, seed=1)
    >>> ta = analyse(reg.persons, reg.municipalities, replicates=200)
    >>> ta.test.estimate < 0
    True
    """
    from analysis.model import fit_many

    fits = fit_many(
        persons, municipalities, benefit_sets=benefit_sets_needed(set_from, set_to), spec=spec, seed=seed
    )
    return analyse_fits(
        fits,
        set_from=set_from,
        set_to=set_to,
        side_a=side_a,
        side_b=side_b,
        replicates=replicates,
        level=level,
        seed=seed,
    )
