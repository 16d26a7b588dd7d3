"""Results of the expected-caseload model (immutable, labelled by municipality code)."""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.benefits import label as benefit_label
from analysis.inference.draws import draw_gaps

BLOCK_LABELS: dict[str, str] = {
    "demography": "Alder og køn",
    "education": "Uddannelse",
    "origin": "Herkomst",
    "family": "Familietype",
    "prior": "Tidligere offentlig forsørgelse",
    "local": "Lokalt arbejdsmarked",
    "year": "År",
}
_VAR_LABELS = {
    "education": "Uddannelse",
    "origin": "Herkomst",
    "family": "Familietype",
}
_LEVEL_LABELS = {
    "grundskole": "grundskole",
    "gymnasial": "gymnasial",
    "erhvervsfaglig": "erhvervsfaglig",
    "videregaaende": "videregående",
    "dansk": "dansk",
    "vestlig": "vestlig indvandrer/efterkommer",
    "ikke_vestlig": "ikke-vestlig indvandrer/efterkommer",
    "enlig": "enlig uden børn",
    "enlig_boern": "enlig med børn",
    "par": "par uden børn",
    "par_boern": "par med børn",
}
_LOCAL_LABELS = {
    "unemployment_rate": "Ledighedsprocent",
    "jobs_per_resident": "Job inden for pendlingsafstand pr. indbygger",
    "urbanisation": "Urbaniseringsgrad",
}


def danish_term(term: str) -> str:
    """Danish label of a model term (e.g. ``education[gymnasial]`` → ``Uddannelse: gymnasial``)."""
    if term == "const":
        return "Konstant"
    if term in _LOCAL_LABELS:
        return _LOCAL_LABELS[term]
    if term.startswith("x_"):
        return term[2:].replace("_", " ").capitalize()
    if "[" not in term:
        return term
    var, level = term[:-1].split("[", 1)
    if var == "age_sex":
        age, sex = level.split(":")
        return f"Alder {age} år, {sex}"
    if var == "prior":
        return f"Offentligt forsørget {level} af de forrige 5 år"
    if var == "year":
        return f"År {level}"
    return f"{_VAR_LABELS.get(var, var)}: {_LEVEL_LABELS.get(level, level)}"


def _ro(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr


class ExpectedCaseloadResults:
    """Results of :func:`analysis.model.fit` for one benefit set.

    All municipality-level properties are :class:`pandas.Series` indexed by municipality
    ``code``; the object cannot be modified after construction.

    Sign convention: ``difference = actual − expected`` (full-time persons);
    ``difference_pp = 100 · difference / population``; negative means fewer on benefits than
    expected (good). ``rank`` 1 is the most negative ``difference_pp``.
    """

    __slots__ = (
        "_benefit_set",
        "_cov",
        "_cov_type",
        "_debiased",
        "_decomp",
        "_df_resid",
        "_draws",
        "_estimator",
        "_g",
        "_groups",
        "_level",
        "_meta",
        "_n_clusters",
        "_names",
        "_nobs",
        "_notes",
        "_params",
        "_gap_draws",
        "_seed",
        "_se_within",
        "_series",
        "_spec",
        "_synthetic",
        "_terms",
        "_frozen",
        "_cache",
    )

    def __init__(
        self,
        *,
        params: np.ndarray,
        cov: np.ndarray,
        terms: tuple[str, ...],
        slope_index: np.ndarray,
        codes: np.ndarray,
        population: np.ndarray,
        actual: np.ndarray,
        expected: np.ndarray,
        se_within_pp: np.ndarray,
        g: np.ndarray,
        decomposition: pd.DataFrame,
        benefit_set: str,
        groups: tuple[str, ...],
        spec: str,
        cov_type: str,
        debiased: bool,
        nobs: int,
        df_resid: int,
        n_clusters: int,
        names: Mapping[int, str],
        synthetic: bool,
        notes: tuple[str, ...],
        level: float,
        draws: int,
        seed: int,
        estimator: str,
        meta: Mapping[str, Any],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "_frozen", False)
        set_(self, "_cache", {})
        idx = pd.Index(np.asarray(codes, dtype=np.int64), name="code")
        set_(self, "_terms", tuple(terms))
        set_(self, "_params", _ro(params))
        set_(self, "_cov", _ro(cov))
        pop = _ro(population)
        act = _ro(actual)
        exp_ = _ro(expected)
        series = {"population": pop, "actual": act, "expected": exp_}
        set_(self, "_series", series)
        set_(self, "_se_within", _ro(se_within_pp))
        sl = np.asarray(slope_index, dtype=np.int64)
        # g_m in percentage points per unit of each slope; V_beta is the slope block of cov
        set_(self, "_g", (_ro(100.0 * g), sl))
        set_(self, "_decomp", decomposition.copy())
        set_(self, "_benefit_set", benefit_set)
        set_(self, "_groups", tuple(groups))
        set_(self, "_spec", spec)
        set_(self, "_cov_type", cov_type)
        set_(self, "_debiased", bool(debiased))
        set_(self, "_nobs", int(nobs))
        set_(self, "_df_resid", int(df_resid))
        set_(self, "_n_clusters", int(n_clusters))
        set_(self, "_names", {int(c): names.get(int(c), str(int(c))) for c in idx})
        set_(self, "_synthetic", bool(synthetic))
        set_(self, "_notes", tuple(notes))
        set_(self, "_level", float(level))
        set_(self, "_draws", int(draws))
        set_(self, "_seed", int(seed))
        set_(self, "_estimator", estimator)
        set_(self, "_meta", dict(meta))
        self._series["index"] = idx
        gmat, sl = self._g
        v_beta = self._cov[np.ix_(sl, sl)]
        d = self.difference_pp.to_numpy()
        t0 = time.perf_counter()
        gd = draw_gaps(d, self._se_within, gmat, v_beta, draws=self._draws, seed=self._seed)
        gd.setflags(write=False)
        self._meta["draw_seconds"] = time.perf_counter() - t0
        set_(self, "_gap_draws", gd)
        set_(self, "_frozen", True)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    # Pickling (the shared model fit of a report run is stored once and loaded by every
    # report): the state is the slot values, including the computed tidy frame so that
    # reports do not recompute rank sets; restoring goes around the immutability guard and
    # marks arrays read-only again.
    def __getstate__(self) -> dict[str, Any]:
        return {k: object.__getattribute__(self, k) for k in self.__slots__}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for k, v in state.items():
            if isinstance(v, np.ndarray):
                v = v.copy()
                v.setflags(write=False)
            object.__setattr__(self, k, v)
        if "_cache" not in state:
            object.__setattr__(self, "_cache", {})

    # ------------------------------------------------------------------ coefficients
    def _s(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(np.array(values), index=self._series["index"].copy(), name=name)

    @property
    def params(self) -> pd.Series:
        """Estimated coefficients (share of the year, 0–1 scale)."""
        return pd.Series(np.array(self._params), index=list(self._terms), name="parameter")

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of :attr:`params` (``cov_type``, small-sample convention of linearmodels)."""
        t = list(self._terms)
        return pd.DataFrame(np.array(self._cov), index=t, columns=t)

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self._cov)), index=list(self._terms), name="std_error")

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("tstat")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values: Student t with ``df_resid`` if debiased, else normal (as linearmodels)."""
        t = np.abs(self.tstats.to_numpy())
        p = 2 * (stats.t.sf(t, self._df_resid) if self._debiased else stats.norm.sf(t))
        return pd.Series(p, index=list(self._terms), name="pvalue")

    @property
    def nobs(self) -> int:
        """Number of observations (persons, or municipality-years for aggregates)."""
        return self._nobs

    @property
    def df_resid(self) -> int:
        return self._df_resid

    @property
    def cov_type(self) -> str:
        return self._cov_type

    @property
    def spec(self) -> str:
        return self._spec

    @property
    def benefit_set(self) -> str:
        return self._benefit_set

    @property
    def groups(self) -> tuple[str, ...]:
        return self._groups

    @property
    def synthetic(self) -> bool:
        return self._synthetic

    @property
    def notes(self) -> tuple[str, ...]:
        return self._notes

    @property
    def meta(self) -> dict[str, Any]:
        """Fit settings and diagnostics (years, R², dropped terms, draws, seed)."""
        return dict(self._meta)

    # ------------------------------------------------------------------ municipality level
    @property
    def population(self) -> pd.Series:
        """Persons 16–66 (person-years when several years are pooled)."""
        return self._s(self._series["population"], "population")

    @property
    def actual(self) -> pd.Series:
        """Actual full-time persons on the benefit set."""
        return self._s(self._series["actual"], "actual")

    @property
    def expected(self) -> pd.Series:
        """Expected full-time persons given the rammevilkår."""
        return self._s(self._series["expected"], "expected")

    @property
    def difference(self) -> pd.Series:
        """``actual − expected`` in full-time persons."""
        return (self.actual - self.expected).rename("difference")

    @property
    def difference_pp(self) -> pd.Series:
        """``100 · difference / population`` (percentage points of the population 16–66)."""
        return (100.0 * self.difference / self.population).rename("difference_pp")

    @property
    def oe(self) -> pd.Series:
        """Observed / expected ratio."""
        return (self.actual / self.expected).rename("oe")

    @property
    def cov_difference_pp(self) -> pd.DataFrame:
        """Joint covariance of ``difference_pp``: diag(within) + G V_β G' (see :mod:`.bootstrap`)."""
        gmat, sl = self._g
        v = np.diag(self._se_within**2) + gmat @ self._cov[np.ix_(sl, sl)] @ gmat.T
        idx = self._series["index"]
        return pd.DataFrame(v, index=idx.copy(), columns=idx.copy())

    @property
    def se_pp(self) -> pd.Series:
        """Standard error of ``difference_pp`` (within-municipality and coefficient uncertainty)."""
        return self._s(np.sqrt(np.diag(self.cov_difference_pp.to_numpy())), "se_pp")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Normal confidence interval of ``difference_pp`` (columns ``lower``, ``upper``)."""
        level = self._level if level is None else float(level)
        if not 0 < level < 1:
            raise ValueError(f"level: must be in (0, 1), got {level}")
        z = stats.norm.ppf(0.5 + level / 2)
        d, se = self.difference_pp, self.se_pp
        return pd.DataFrame({"lower": d - z * se, "upper": d + z * se})

    @property
    def rank(self) -> pd.Series:
        """Rank on ``difference_pp``: 1 = most negative; ties share the lowest rank ("min")."""
        r = stats.rankdata(self.difference_pp.to_numpy(), method="min")
        return self._s(r, "rank").astype("int64")

    def rank_interval(self, level: float | None = None) -> pd.DataFrame:
        """Marginal rank interval from the joint draws (columns ``lower``, ``upper``).

        Equal-tailed percentile interval of each municipality's rank over the draws
        (:mod:`analysis.inference.draws`), lower quantile rounded down and upper rounded up.
        """
        from analysis.inference.ranks import bootstrap_rank_interval

        level = self._level if level is None else float(level)
        idx = self._series["index"]
        out = bootstrap_rank_interval(
            pd.DataFrame(self._gap_draws, columns=idx), level=level, descending=False
        )
        return out[["lower", "upper"]].rename_axis("code")

    @property
    def gap_draws(self) -> pd.DataFrame:
        """Joint draws of ``difference_pp`` (draws × municipalities)."""
        return pd.DataFrame(np.array(self._gap_draws), columns=self._series["index"].copy())

    def rank_sets(self, level: float | None = None, *, simul: bool = True):
        """Confidence sets for ranks (Mogstad et al. 2024) via :func:`analysis.inference.ranks.csranks`.

        Uses ``difference_pp`` and its joint covariance :attr:`cov_difference_pp`; rank 1 is the
        most negative gap. ``simul=True`` gives sets that cover all ranks jointly.
        """
        from analysis.inference.ranks import csranks

        level = self._level if level is None else float(level)
        return csranks(
            self.difference_pp,
            self.cov_difference_pp,
            coverage=level,
            simul=simul,
            descending=False,
            R=1000,
            seed=self._seed,
        )

    def decomposition(self) -> pd.DataFrame:
        """Contribution of each rammevilkår block to expected share − national mean share.

        In percentage points; per block :math:`100\\sum_{k\\in b}\\hat\\beta_k(\\bar x_{mk} -
        \\bar x_k)`. The column ``total`` is their sum, which equals
        ``100 · (expected / population − national mean share)``.
        """
        return self._decomp.copy()

    # ------------------------------------------------------------------ tables
    def coef_table(self, level: float | None = None) -> pd.DataFrame:
        """Coefficient table with Danish-labelled terms (shares of the year, 0–1 scale)."""
        level = self._level if level is None else float(level)
        se = self.std_errors
        q = (
            stats.t.ppf(0.5 + level / 2, self._df_resid)
            if self._debiased
            else stats.norm.ppf(0.5 + level / 2)
        )
        tab = pd.DataFrame(
            {
                "term": [danish_term(t) for t in self._terms],
                "estimate": self.params,
                "std_error": se,
                "tstat": self.tstats,
                "pvalue": self.pvalues,
                "ci_lower": self.params - q * se,
                "ci_upper": self.params + q * se,
            }
        )
        tab.index.name = "key"
        return tab

    def tidy(self) -> pd.DataFrame:
        """One row per municipality: the single source of truth for tables and figures.

        Columns: ``code, name, year, benefit_set, spec, population, actual, expected,
        difference, difference_pp, oe, se_pp, ci_lower_pp, ci_upper_pp, rank, rank_lower,
        rank_upper, rank_cs_lower, rank_cs_upper, funnel_*, eb_difference_pp, eb_se_pp,
        contrib_<block>``. ``year`` is the last year in the data (several years are pooled per
        municipality; see :attr:`notes`). ``rank_lower/upper`` are marginal intervals from the joint draws
        (:mod:`analysis.inference.draws`); ``rank_cs_*`` are simultaneous rank confidence sets
        (Mogstad et al. 2024, :mod:`analysis.inference.ranks`). ``attrs["synthetic"]`` marks synthetic data.
        """
        cached = self._cache.get("tidy")
        if cached is None:
            cached = self._cache["tidy"] = self._tidy()
        out = cached.copy()
        out.attrs = {"synthetic": self._synthetic, "notes": list(self._notes)}
        return out

    def _tidy(self) -> pd.DataFrame:
        from analysis.model.extras import add_extras

        idx = self._series["index"]
        ci = self.conf_int()
        ri = self.rank_interval()
        years = self._meta.get("years", [])
        out = pd.DataFrame(
            {
                "code": idx.to_numpy(),
                "name": [self._names[int(c)] for c in idx],
                "year": int(max(years)) if years else pd.NA,
                "benefit_set": self._benefit_set,
                "spec": self._spec,
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
        out = add_extras(out, self)
        dec = self._decomp.drop(columns="total")
        for b in dec.columns:
            out[f"contrib_{b}"] = dec[b].to_numpy()
        out.attrs["synthetic"] = self._synthetic
        out.attrs["notes"] = list(self._notes)
        return out

    @property
    def summary(self) -> str:
        """Printable summary: model, fit settings, notes and the coefficient table."""
        tab = self.coef_table()
        head = [
            "Forventet antal offentligt forsørgede (lineær sandsynlighedsmodel, OLS)",
            "=" * 72,
            f"Ydelser:        {self._benefit_set} — {benefit_label(self._benefit_set)}",
            f"Specifikation:  {self._spec} ({self._estimator})",
            f"Observationer:  {self._nobs:,}".replace(",", "."),
            f"Kommuner:       {len(self._series['index'])}",
            f"Kovarians:      {self._cov_type} (debiased={self._debiased})",
            f"R²:             {self._meta.get('r2', float('nan')):.4f}",
        ]
        if self._synthetic:
            head.append("Data:           SYNTETISKE DATA (Syntetisk Danmark)")
        lines = [*head, "-" * 72]
        lines.append(f"{'term':<46}{'estimat':>10}{'std.fejl':>10}{'t':>8}")
        for _, row in tab.iterrows():
            lines.append(
                f"{row['term'][:45]:<46}{row['estimate']:>10.5f}{row['std_error']:>10.5f}{row['tstat']:>8.2f}"
            )
        lines.append("-" * 72)
        lines += [f"Note: {n}" for n in self._notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def __repr__(self) -> str:
        syn = ", synthetic" if self._synthetic else ""
        return (
            f"<ExpectedCaseloadResults {self._benefit_set} spec={self._spec} cov={self._cov_type} "
            f"nobs={self._nobs} municipalities={len(self._series['index'])}{syn}>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<pre>{html.escape(self.summary.split(chr(10) + '-' * 72)[0])}</pre>"
            + self.coef_table().to_html(float_format=lambda v: f"{v:.5f}")
        )
