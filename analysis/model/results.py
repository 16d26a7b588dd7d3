"""Results of the expected-caseload model: immutable, labelled by municipality code.

:class:`ExpectedCaseloadResults` is a frozen dataclass built by the estimators
(:func:`analysis.model.fit_many` on person cells, :func:`analysis.model.fit_panel` on
municipality × period aggregates). Its stored fields are what the estimator produced; every
derived quantity (gaps, standard errors, the joint draws, rank intervals and sets, the tidy
frame) is a cached property, computed on first use. The model speaks no report language:
terms, blocks, notes and the estimator are codes; Danish labels live in
:mod:`analysis.report.labels`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core import ranking
from analysis.core.display import ResultsDisplay, make_summary
from analysis.core.params import BenefitSet
from analysis.inference.draws import draw_gaps


def _ro(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class FitNote:
    """A structured remark on a fit; ``code`` is one of :data:`NOTE_CODES`, ``items`` its terms or periods."""

    code: str
    items: tuple[str, ...] = ()


NOTE_CODES = (
    "local_absorbed",  # fe: the local rammevilkår are constant within a municipality (items: terms)
    "empty_levels",  # dummies left out because no person has that level (items: terms)
    "periods_pooled",  # several periods pooled per municipality, with period dummies (items: periods)
    "period_effects",  # aggregates: period effects in the model (items: periods)
    "synthetic",  # the data are Syntetisk Danmark
)


@dataclass(frozen=True, eq=False)
class Coefficients:
    """The coefficient vector and its covariance (shares of the year, 0–1 scale).

    ``blocks`` maps each rammevilkår block code (``demography``, ``education``, … or a public
    covariate) to the indices of its terms; ``slopes`` are the indices of the terms whose
    uncertainty moves the municipality gaps (all but the constant).
    """

    terms: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    cov_type: str
    debiased: bool
    nobs: int
    df_resid: int
    n_clusters: int
    r2: float
    blocks: Mapping[str, tuple[int, ...]]
    dropped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _ro(self.params))
        object.__setattr__(self, "cov", _ro(self.cov))

    def __setstate__(self, state: dict[str, Any]) -> None:
        # arrays come back from a pickle writeable: make them read-only again
        self.__dict__.update(state)
        self.__post_init__()


@dataclass(frozen=True, eq=False)
class ExpectedCaseloadResults(ResultsDisplay):
    """Results for one benefit set in one period.

    Parameters
    ----------
    benefit_set : BenefitSet
    spec : {"pooled", "fe"}
    estimator : {"cells", "panel"}
        OLS on person cell statistics, or population-weighted OLS on municipality × period shares.
    period : str
        The period the municipality figures refer to (``"2024"``, ``"2022QMAT04"``).
    periods : tuple of str
        Periods in the estimation sample.
    coefficients : Coefficients
    municipal : DataFrame
        Indexed by ``code``: ``name``, ``population`` (persons 16–66), ``actual``, ``expected``
        (full-time persons) and ``noise_sd_pp`` — the standard deviation of the gap's
        municipality-level noise in percentage points, evaluated under the fitted model (the
        variance the municipality's residents would have under it, so that it does not vanish
        when the municipality has no recipients; :mod:`analysis.model.ols` for person cells,
        :meth:`analysis.model.panel.PanelFit.results` for aggregates).
    loadings : ndarray (M × k)
        :math:`100\\,g_m` — percentage points of the gap per unit of each slope coefficient
        (columns follow ``coefficients.terms[1:]``).
    decomposition_pp : DataFrame
        Block contributions to expected share − national mean share (pp), column ``total``.
    notes : tuple of FitNote
    synthetic : bool
    level, draws, seed
        Confidence level; number of joint draws of the gaps from their estimated sampling
        distribution, behind the marginal rank intervals; their seed.
    meta : mapping
        Diagnostics (``n_cells``, …).
    gap_cov : ndarray, optional
        The coefficient covariance behind the gaps' coefficient term, where it differs from
        ``coefficients.cov``: the pooled person model uses the heteroskedasticity-robust
        covariance, which conditions on the municipalities' own effects (the clustered one also
        counts them, though they are what the gaps measure, and over-covers: 99 % against 95 %
        nominal on planted truths). None: ``coefficients.cov``.
    noise_cov_pp : DataFrame or None
        Indexed by ``code``, one column per other benefit set fitted from the same data that
        shares no group with this one: the covariance (pp²) of the two gaps' noise, under the
        same noise model as ``noise_sd_pp``. None when the set was fitted alone.

    Notes
    -----
    Sign convention: ``difference = actual − expected`` (full-time persons);
    ``difference_pp = 100 · difference / population``, the ranking key
    (:data:`analysis.core.ranking.KEY`). Negative means fewer on benefits than expected (good).
    """

    benefit_set: BenefitSet
    spec: str
    estimator: str
    period: str
    periods: tuple[str, ...]
    coefficients: Coefficients
    municipal: pd.DataFrame
    loadings: np.ndarray
    decomposition_pp: pd.DataFrame
    notes: tuple[FitNote, ...] = ()
    synthetic: bool = False
    level: float = 0.95
    draws: int = 1000
    seed: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)
    gap_cov: np.ndarray | None = None
    noise_cov_pp: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "loadings", _ro(self.loadings))
        mun = self.municipal.copy()
        mun.index = pd.Index(mun.index.to_numpy(dtype=np.int64), name="code")
        object.__setattr__(self, "municipal", mun)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # the cached draws and covariance travel with the pickle; make every array read-only again
        self.__dict__.update(state)
        object.__setattr__(self, "loadings", _ro(self.loadings))
        for key in ("_gap_draws", "_cov_gap"):
            if key in self.__dict__:
                self.__dict__[key] = _ro(self.__dict__[key])

    # ------------------------------------------------------------------ coefficients
    @property
    def groups(self) -> tuple[str, ...]:
        return self.benefit_set.groups

    @property
    def terms(self) -> tuple[str, ...]:
        return self.coefficients.terms

    @property
    def params(self) -> pd.Series:
        """Estimated coefficients (share of the year, 0–1 scale)."""
        return pd.Series(np.array(self.coefficients.params), index=list(self.terms), name="parameter")

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of :attr:`params` (``cov_type``, small-sample convention of linearmodels)."""
        t = list(self.terms)
        return pd.DataFrame(np.array(self.coefficients.cov), index=t, columns=t)

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.coefficients.cov)), index=list(self.terms), name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values: Student t with ``df_resid`` if debiased, else normal (as linearmodels)."""
        c = self.coefficients
        t = np.abs(self.tstats.to_numpy())
        p = 2 * (stats.t.sf(t, c.df_resid) if c.debiased else stats.norm.sf(t))
        return pd.Series(p, index=list(self.terms), name="pvalue")

    @property
    def nobs(self) -> int:
        """Observations: persons, or municipality-periods for aggregates."""
        return self.coefficients.nobs

    @property
    def df_resid(self) -> int:
        return self.coefficients.df_resid

    @property
    def cov_type(self) -> str:
        return self.coefficients.cov_type

    # ------------------------------------------------------------------ municipality level
    def _s(self, values: Any, name: str) -> pd.Series:
        return pd.Series(np.array(values), index=self.municipal.index.copy(), name=name)

    @property
    def codes(self) -> pd.Index:
        return self.municipal.index.copy()

    @property
    def population(self) -> pd.Series:
        """Persons 16–66 (person-years when several years are pooled)."""
        return self._s(self.municipal["population"], "population")

    @property
    def actual(self) -> pd.Series:
        """Actual full-time persons on the benefit set."""
        return self._s(self.municipal["actual"], "actual")

    @property
    def expected(self) -> pd.Series:
        """Expected full-time persons given the rammevilkår."""
        return self._s(self.municipal["expected"], "expected")

    @property
    def difference(self) -> pd.Series:
        """``actual − expected`` in full-time persons."""
        return (self.actual - self.expected).rename("difference")

    @property
    def difference_pp(self) -> pd.Series:
        """The ranking key: ``100 · difference / population`` (pct.-points of the population 16–66)."""
        return (100.0 * self.difference / self.population).rename("difference_pp")

    @property
    def oe(self) -> pd.Series:
        """Observed / expected ratio."""
        return (self.actual / self.expected).rename("oe")

    @cached_property
    def _v_beta(self) -> np.ndarray:
        # the coefficient covariance behind the gaps: ``gap_cov`` where the estimator gives one
        # (the pooled person model conditions on the municipalities' own effects), else cov
        slopes = np.arange(1, len(self.coefficients.terms))
        cov = self.coefficients.cov if self.gap_cov is None else self.gap_cov
        return cov[np.ix_(slopes, slopes)]

    @cached_property
    def _cov_gap(self) -> np.ndarray:
        g = self.loadings
        v = np.diag(self.municipal["noise_sd_pp"].to_numpy() ** 2) + g @ self._v_beta @ g.T
        v.setflags(write=False)
        return v

    @property
    def cov_difference_pp(self) -> pd.DataFrame:
        """Joint covariance of ``difference_pp``: diag(noise²) + G V_β G' (:mod:`analysis.inference.draws`)."""
        idx = self.municipal.index
        return pd.DataFrame(np.array(self._cov_gap), index=idx.copy(), columns=idx.copy())

    @property
    def se_pp(self) -> pd.Series:
        """Standard error of ``difference_pp`` (municipality noise and coefficient uncertainty)."""
        return self._s(np.sqrt(np.diag(self._cov_gap)), "se_pp")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Normal confidence interval of ``difference_pp`` (columns ``lower``, ``upper``)."""
        level = self.level if level is None else float(level)
        if not 0 < level < 1:
            raise ValueError(f"level: must be in (0, 1), got {level}")
        z = stats.norm.ppf(0.5 + level / 2)
        d, se = self.difference_pp, self.se_pp
        return pd.DataFrame({"lower": d - z * se, "upper": d + z * se})

    @property
    def rank(self) -> pd.Series:
        """Rank on the key (:mod:`analysis.core.ranking`): 1 = most negative gap; ties share the lowest."""
        return ranking.rank(self.difference_pp).astype("int64")

    @cached_property
    def _gap_draws(self) -> np.ndarray:
        gd = draw_gaps(
            self.difference_pp.to_numpy(),
            self.municipal["noise_sd_pp"].to_numpy(),
            self.loadings,
            self._v_beta,
            draws=self.draws,
            seed=self.seed,
        )
        gd.setflags(write=False)
        return gd

    @property
    def gap_draws(self) -> pd.DataFrame:
        """Joint draws of ``difference_pp`` from its estimated sampling distribution (draws × municipalities)."""
        return pd.DataFrame(np.array(self._gap_draws), columns=self.municipal.index.copy())

    def rank_interval(self, level: float | None = None) -> pd.DataFrame:
        """Marginal rank interval from the joint draws (columns ``lower``, ``upper``).

        Equal-tailed percentile interval of each municipality's rank over the draws of the gaps
        from their estimated sampling distribution, lower quantile rounded down and upper
        rounded up, widened where needed to contain the municipality's point rank
        (:func:`analysis.inference.ranks.rank_interval_from_draws`).
        """
        from analysis.inference.ranks import rank_interval_from_draws

        level = self.level if level is None else float(level)
        out = rank_interval_from_draws(
            pd.DataFrame(self._gap_draws, columns=self.municipal.index),
            level=level,
            descending=ranking.KEY.descending,
            point=self.difference_pp,
        )
        return out[["lower", "upper"]].rename_axis("code")

    def rank_sets(self, level: float | None = None, *, simul: bool = True):
        """Confidence sets for ranks (Mogstad et al. 2024) via :func:`analysis.inference.ranks.csranks`.

        Uses ``difference_pp`` and its joint covariance :attr:`cov_difference_pp`; ``simul=True``
        gives sets that cover all ranks jointly.
        """
        from analysis.inference.ranks import csranks

        level = self.level if level is None else float(level)
        return csranks(
            self.difference_pp,
            self.cov_difference_pp,
            coverage=level,
            simul=simul,
            descending=ranking.KEY.descending,
            R=1000,
            seed=self.seed,
        )

    def decomposition(self) -> pd.DataFrame:
        """Contribution of each rammevilkår block to expected share − national mean share.

        In percentage points; per block :math:`100\\sum_{k\\in b}\\hat\\beta_k(\\bar x_{mk} -
        \\bar x_k)`. The column ``total`` is their sum, which equals
        ``100 · (expected / population − national mean share)``.
        """
        return self.decomposition_pp.copy()

    # ------------------------------------------------------------------ tables
    def coef_table(self, level: float | None = None) -> pd.DataFrame:
        """Coefficient table indexed by term code (shares of the year, 0–1 scale)."""
        level = self.level if level is None else float(level)
        c = self.coefficients
        se = self.std_errors
        q = stats.t.ppf(0.5 + level / 2, c.df_resid) if c.debiased else stats.norm.ppf(0.5 + level / 2)
        tab = pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": se,
                "tstat": self.tstats,
                "pvalue": self.pvalues,
                "ci_lower": self.params - q * se,
                "ci_upper": self.params + q * se,
            }
        )
        tab.index.name = "term"
        return tab

    @cached_property
    def _tidy(self) -> pd.DataFrame:
        from analysis.inference.extras import extra_columns

        idx = self.municipal.index
        ci = self.conf_int()
        ri = self.rank_interval()
        out = pd.DataFrame(
            {
                "code": idx.to_numpy(),
                "name": self.municipal["name"].to_numpy(),
                "period": self.period,
                "benefit_set": self.benefit_set.name,
                "spec": self.spec,
                "population": self.population.to_numpy(),
                "actual": self.actual.to_numpy(),
                "expected": self.expected.to_numpy(),
                "difference": self.difference.to_numpy(),
                "difference_pp": self.difference_pp.to_numpy(),
                "oe": self.oe.to_numpy(),
                "se_pp": self.se_pp.to_numpy(),
                "ci_lower_pp": ci["lower"].to_numpy(),
                "ci_upper_pp": ci["upper"].to_numpy(),
                "rank": self.rank.to_numpy(),
                "rank_lower": ri["lower"].to_numpy(),
                "rank_upper": ri["upper"].to_numpy(),
            }
        )
        extras = extra_columns(self.difference_pp, self.se_pp, self.rank_sets(simul=True)).reindex(idx)
        for col in extras.columns:
            out[col] = extras[col].to_numpy()
        dec = self.decomposition_pp.drop(columns="total")
        for b in dec.columns:
            out[f"contrib_{b}"] = dec[b].reindex(idx).to_numpy()
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per municipality: the single source of truth for tables and figures.

        Columns: ``code, name, period, benefit_set, spec, population, actual, expected,
        difference, difference_pp, oe, se_pp, ci_lower_pp, ci_upper_pp, rank, rank_lower,
        rank_upper, rank_cs_lower, rank_cs_upper, funnel_*, eb_difference_pp, eb_se_pp,
        contrib_<block>``. ``rank_lower/upper`` are marginal intervals from the joint draws;
        ``rank_cs_*`` simultaneous rank confidence sets (Mogstad et al. 2024).
        ``attrs["synthetic"]`` marks synthetic data.
        """
        out = self._tidy.copy()
        out.attrs = {"synthetic": self.synthetic}
        return out

    # ------------------------------------------------------------------ display
    @property
    def summary(self):
        """A :class:`statsmodels.iolib.summary.Summary` (``as_text``, ``as_html``, ``as_latex``)."""
        c = self.coefficients
        info = [
            ("Benefit set", self.benefit_set.name),
            ("Specification", self.spec),
            ("Estimator", self.estimator),
            ("Period", self.period),
            ("Observations", f"{c.nobs:,}"),
            ("Municipalities", len(self.municipal)),
            ("Covariance", f"{c.cov_type}{' (debiased)' if c.debiased else ''}"),
            ("R-squared", f"{c.r2:.4f}"),
            ("Data", "synthetic" if self.synthetic else "real"),
        ]
        tab = self.coef_table()[["estimate", "std_error", "tstat", "pvalue"]]
        notes = [f"Note: {n.code}" + (f" ({', '.join(n.items)})" if n.items else "") for n in self.notes]
        return make_summary("Expected-caseload model (linear probability model, OLS)", info, tab, notes=notes)

    def _repr_fields(self):
        return [
            ("benefit_set", self.benefit_set.name),
            ("spec", self.spec),
            ("period", self.period),
            ("cov", self.cov_type),
            ("nobs", self.nobs),
            ("municipalities", len(self.municipal)),
            *([("data", "synthetic")] if self.synthetic else []),
        ]
