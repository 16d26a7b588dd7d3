"""The kontanthjælp–førtidspension trade-off ("forbundne kar"), measured.

KL's central critique of the Ministry's benchmark (2018): municipalities with good results on
kontanthjælp typically have bad results on førtidspension and ressourceforløb, so a ranking
that leaves førtidspension out systematically favours municipalities that award it. This
module makes the claim testable:

* residuals (actual − expected, percentage points of the population 16–66) for every benefit
  group from one set of cells (:func:`group_residuals`);
* the correlation of residuals across municipalities with bootstrap intervals
  (:func:`residual_correlation`) and the specific two-sided test of one side against the other
  (:func:`tradeoff_test`);
* the rank under two benefit sets and the rank shift, who moves most, and whether they move the
  way the trade-off predicts (:func:`rank_shifts`);
* a substitution flag: better than expected on one side, worse on the other.

Sign convention: a residual below zero means fewer full-time persons than expected (good);
rank 1 is the most negative residual; ``rank_shift = rank_all − rank_bm2018`` so a positive
shift means the municipality does worse once all benefit groups count.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS, SETS, resolve

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
    :func:`group_residuals`; used to correct correlations for estimation noise."""
    frame = pd.DataFrame({name: res.se_pp for name, res in fits.items()})
    frame.index.name = "code"
    return frame


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
) -> np.ndarray:
    """Column-wise correlation of matching columns of two (n × R) arrays.

    With ``noise_a``/``noise_b`` (sampling variances of each entry, same shape), the Pearson
    correlation is corrected for attenuation: the mean sampling variance is subtracted from each
    observed variance before dividing (Spearman's correction). Columns whose corrected variance is
    not positive give NaN; corrected values are clipped to [−1, 1].
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
    se: pd.DataFrame | None = None,
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
    se
        Standard errors of the residuals (same layout as ``resid``, e.g. from
        :func:`group_standard_errors`). When given, the Pearson correlation is corrected for
        the attenuation that estimation noise causes (see Notes).
    replicates
        Municipality (pairs) bootstrap replicates for the percentile interval.
    level
        Interval level.
    seed
        Seed of the bootstrap; same seed, same interval.

    Notes
    -----
    The interval resamples the 98 municipalities with replacement (pairs bootstrap), so it
    speaks to the correlation in the population of municipalities that the observed ones
    represent. The two-sided p-value is from a permutation of side B (``replicates`` draws),
    which is exact under exchangeability and needs no normality.

    Each municipality's residual is its true deviation plus estimation noise with variance
    :math:`s_m^2`; noise inflates the variances but (nearly) not the covariance, so the plain
    correlation is pulled towards 0, the more so the smaller the municipalities. With ``se`` the
    correlation is :math:`\widehat{\text{cov}}(a,b)/\sqrt{(\hat\sigma_a^2-\bar s_a^2)
    (\hat\sigma_b^2-\bar s_b^2)}` (Spearman 1904), recomputed in every bootstrap replicate.
    The within-person covariance of the two groups' noise is ignored; it is small because a
    person rarely receives both benefits in the same year. Where the noise is as large as the
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
    if se is not None and method != "pearson":
        raise ValueError("se: the noise correction applies to method='pearson' only")
    a = _side(resid, side_a, "side_a").to_numpy(float)
    b = _side(resid, side_b, "side_b").to_numpy(float)
    n = len(a)
    if se is not None:
        se = se.reindex(resid.index)
        na = (se[list(side_a)] ** 2).sum(axis=1).to_numpy(float)
        nb = (se[list(side_b)] ** 2).sum(axis=1).to_numpy(float)
        if not (np.isfinite(na).all() and np.isfinite(nb).all()):
            raise ValueError("se: missing standard errors for some municipalities")
    else:
        na = nb = None
    raw = float(_corr(a[:, None], b[:, None], method)[0])
    est = raw if na is None else float(_corr(a[:, None], b[:, None], method, na[:, None], nb[:, None])[0])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n, replicates))
    boot = _corr(a[idx], b[idx], method, None if na is None else na[idx], None if nb is None else nb[idx])
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
    se: pd.DataFrame | None = None,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """All pairwise correlations of group residuals, with bootstrap intervals (tidy).

    Options as in :func:`tradeoff_test`; with ``se`` every correlation is corrected for
    estimation noise, so the row of the two default sides equals :func:`tradeoff_test` with the
    same ``se`` and ``seed``.

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
                se=se,
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


def substitution_flag(
    resid: pd.DataFrame, *, side_a: Sequence[str] = DEFAULT_SIDE_A, side_b: Sequence[str] = DEFAULT_SIDE_B
) -> pd.Series:
    """Label each municipality by the quadrant of its two residuals.

    ``"bedre A, dårligere B"`` (below expected on side A, above on side B) is the substitution
    pattern KL describes; ``"dårligere A, bedre B"`` the mirror image; the other two quadrants
    are ``"bedre på begge"`` and ``"dårligere på begge"``. Exactly zero counts as "bedre"
    (not above expected).
    """
    a = _side(resid, side_a, "side_a") <= 0
    b = _side(resid, side_b, "side_b") <= 0
    out = np.select(
        [a & ~b, ~a & b, a & b],
        ["bedre A, dårligere B", "dårligere A, bedre B", "bedre på begge"],
        default="dårligere på begge",
    )
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


@dataclass(frozen=True)
class TradeoffAnalysis:
    """Everything the trade-off notebook and CLI show, computed once."""

    residuals: pd.DataFrame
    test: CorrelationTest
    correlations: pd.DataFrame
    shifts: pd.DataFrame
    table: pd.DataFrame
    set_from: str
    set_to: str
    synthetic: bool

    def movers(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` municipalities whose rank moves most (ties by code)."""
        return self.table.sort_values(["abs_shift", "code"], ascending=[False, True]).head(n)

    def n_moved(self, k: int = 10) -> int:
        """How many municipalities move more than ``k`` places (cf. KL's "43 kommuner")."""
        return int((self.table["abs_shift"] > k).sum())

    def share_as_predicted(self, k: int = 0) -> float:
        """Share of municipalities moving more than ``k`` places whose move fits the trade-off."""
        moved = self.table[self.table["abs_shift"] > k]
        return float(moved["as_predicted"].mean()) if len(moved) else float("nan")


def benefit_sets_needed(set_from: str = "bm2018", set_to: str = "all") -> list[str]:
    """The benefit sets :func:`analyse_fits` needs: every group plus the two ranked sets."""
    return list(dict.fromkeys([*GROUPS, resolve(set_from)[0], resolve(set_to)[0]]))


def analyse_fits(
    fits: Mapping[str, Any],
    *,
    set_from: str = "bm2018",
    set_to: str = "all",
    side_a: Sequence[str] = DEFAULT_SIDE_A,
    side_b: Sequence[str] = DEFAULT_SIDE_B,
    replicates: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> TradeoffAnalysis:
    """Trade-off diagnostics from fitted models (every group and both ranked sets).

    Parameters
    ----------
    fits
        Fitted results keyed by set name, covering :func:`benefit_sets_needed`.
    set_from, set_to
        The reference ranking (default the Ministry's 2018 set) and the comparison ranking
        (default all groups).
    side_a, side_b
        Groups on each side of the trade-off test.
    replicates, level, seed
        Bootstrap options of :func:`tradeoff_test` and :func:`residual_correlation`.
    """
    name_from, groups_from = resolve(set_from)
    name_to, groups_to = resolve(set_to)
    added = tuple(g for g in groups_to if g not in groups_from)
    if not added:
        raise ValueError(f"set_to {set_to!r} adds no groups to set_from {set_from!r}")
    missing = [n for n in benefit_sets_needed(set_from, set_to) if n not in fits]
    if missing:
        raise ValueError(f"fits: missing fitted benefit set(s) {missing}")
    resid = group_residuals({g: fits[g] for g in GROUPS})
    se = group_standard_errors({g: fits[g] for g in GROUPS})
    test = tradeoff_test(
        resid, side_a=side_a, side_b=side_b, se=se, replicates=replicates, level=level, seed=seed
    )
    corr = residual_correlation(resid, se=se, replicates=replicates, level=level, seed=seed)
    shifts = rank_shifts(
        fits[name_from].rank,
        fits[name_to].rank,
        added_residual=resid[list(added)].sum(axis=1),
        names=(name_from, name_to),
    )
    names = fits[name_from].tidy().set_index("code")["name"]
    table = shifts.join(names).join(resid.add_prefix("resid_"))
    table["quadrant"] = substitution_flag(resid, side_a=side_a, side_b=side_b)
    table[f"difference_pp_{name_from}"] = fits[name_from].difference_pp
    table[f"difference_pp_{name_to}"] = fits[name_to].difference_pp
    table = table.reset_index()
    synthetic = bool(fits[name_from].synthetic)
    table.attrs["synthetic"] = synthetic
    return TradeoffAnalysis(
        residuals=resid,
        test=test,
        correlations=corr,
        shifts=shifts,
        table=table,
        set_from=name_from,
        set_to=name_to,
        synthetic=synthetic,
    )


def analyse(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    spec: Literal["pooled", "fe"] = "pooled",
    set_from: str = "bm2018",
    set_to: str = "all",
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

    wanted = benefit_sets_needed(set_from, set_to)
    fits = fit_many(
        persons, municipalities, benefit_sets=[_as_spec(w) for w in wanted], spec=spec, bootstrap=0, seed=seed
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


def _as_spec(name: str) -> str:
    """Benefit-set argument for the model: named sets stay names, composites become lists."""
    return name if name in SETS or name in GROUPS else ",".join(name.split("+"))


def main(
    argv: list[str] | None = None, *, prog: str = "kommunebench tradeoff", command: str = "tradeoff"
) -> int:
    """``kommunebench tradeoff --data DIR [--spec pooled|fe] --out FILE.parquet``."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Kontanthjælp–førtidspension trade-off: residual correlation and rank shifts."
    )
    parser.add_argument("--data", required=True, type=Path, help="register folder (persons/municipalities)")
    parser.add_argument("--spec", default="pooled", choices=["pooled", "fe"])
    parser.add_argument("--side-a", default="kontanthjaelp", help="groups on side A, comma-separated")
    parser.add_argument("--side-b", default="foertidspension", help="groups on side B, comma-separated")
    parser.add_argument("--from-set", default="bm2018", help="benefit set of the reference ranking")
    parser.add_argument("--to-set", default="all", help="benefit set of the comparison ranking")
    parser.add_argument("--replicates", type=int, default=2000, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, type=Path, help="output Parquet file")
    args = parser.parse_args(argv)

    from analysis.core.io import write_parquet_atomic
    from analysis.data.synth import load_register

    side_a = _split(args.side_a, "--side-a")
    side_b = _split(args.side_b, "--side-b")
    try:
        reg = load_register(args.data)
        ta = analyse(
            reg.persons,
            reg.municipalities,
            spec=args.spec,
            set_from=args.from_set,
            set_to=args.to_set,
            side_a=side_a,
            side_b=side_b,
            replicates=args.replicates,
            seed=args.seed,
        )
    except (ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    write_parquet_atomic(ta.table, args.out, metadata={"test": ta.test.as_dict(), "synthetic": ta.synthetic})
    label = " (SYNTETISKE DATA)" if ta.synthetic else ""
    print(f"{ta.test}{label}")
    print(f"{ta.n_moved(10)} municipalities move more than 10 places from {ta.set_from} to {ta.set_to}")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _split(text: str, flag: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in parts if p not in GROUPS]
    if not parts or unknown:
        raise SystemExit(f"{flag}: expected comma-separated groups from {', '.join(GROUPS)}, got {text!r}")
    return parts
