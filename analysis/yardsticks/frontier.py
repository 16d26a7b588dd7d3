"""Data envelopment analysis (DEA) of job-centre efficiency, in the style of Rigsrevisionen 5/2018.

The National Audit Office's report on job-centre efficiency (beretning 5/2018, with the
background analysis by Wittrup, Bolvig & Houlberg 2018) placed a DEA frontier on top of the
expected-caseload benchmark: 91 job-centre units, outputs the ratio of expected to observed
benefit rates (E/O) per benefit area, input the administrative expenditure per full-time
person. Its headline "potential" (18.000 more persons in work or education, or DKK 1,45 bn a
year) is the sum over units of the distance to the frontier. This module reproduces the
frontier, both potentials and KL's objections as numbers (:func:`sensitivity`).

Everything is solved as linear programmes with :func:`scipy.optimize.linprog` (HiGHS):
:func:`dea` uses the envelopment form (input or output orientation, CRS or VRS,
super-efficiency, second-stage slacks, non-discretionary environment variables),
:func:`dea_multiplier` the dual multiplier form (the two agree to solver precision, which the
tests check). :func:`dea_bootstrap` gives Simar–Wilson bias-corrected scores and intervals;
:func:`potential` the national potential; :func:`jobcentre_units` builds the 91 units;
:func:`sensitivity` and :func:`efficiency_table` put the numbers together.

Examples
--------
>>> import pandas as pd
>>> x = pd.DataFrame({"cost": [2.0, 4.0, 5.0]}, index=pd.Index([101, 147, 151], name="code"))
>>> y = pd.DataFrame({"out": [2.0, 3.0, 2.5]}, index=x.index)
>>> res = dea(x, y)
>>> res.efficiency.round(3).tolist()
[1.0, 0.75, 0.5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.core.params import check_choice
from analysis.core.validate import keyed_by_code

Orientation = Literal["input", "output"]
RTS = Literal["crs", "vrs"]
ORIENTATIONS: tuple[str, ...] = ("input", "output")
RTS_CHOICES: tuple[str, ...] = ("crs", "vrs")
InputKind = Literal["expenditure", "expenditure_per_fulltime"]
INPUT_KINDS: tuple[str, ...] = ("expenditure", "expenditure_per_fulltime")
OutputKind = Literal["eo", "exits", "both"]
OUTPUT_KINDS: tuple[str, ...] = ("eo", "exits", "both")

#: The benefit areas of Rigsrevisionen's outputs (E/O per area).
AREAS: tuple[str, ...] = ("dagpenge", "kontanthjaelp", "sygedagpenge")
#: Ærø, Samsø and Langeland: left out by Rigsrevisionen "på grund af for få observationer".
EXCLUDED_SMALL: tuple[int, ...] = (492, 741, 482)
#: λ below this counts as zero when listing peers.
LAMBDA_TOL = 1e-9

_HIGHS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def _keyed(df: pd.DataFrame, what: str) -> pd.DataFrame:
    """Return ``df`` indexed by its municipality or job-centre unit ``code`` (column or index)."""
    return keyed_by_code(df, what, unit="unit")


def _numeric(df: pd.DataFrame, what: str, *, positive: bool) -> np.ndarray:
    if df.shape[1] == 0:
        raise ValueError(f"{what}: no columns; expected at least one numeric column")
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise TypeError(f"{what}: column {col!r} is {df[col].dtype}; expected numbers")
    arr = df.to_numpy(dtype=np.float64)
    for j, col in enumerate(df.columns):
        bad = ~np.isfinite(arr[:, j])
        if bad.any():
            raise ValueError(
                f"{what}: column {col!r} has missing or infinite values for code(s) {df.index[bad].tolist()}"
            )
        bad = arr[:, j] <= 0 if positive else arr[:, j] < 0
        if bad.any():
            need = "> 0" if positive else ">= 0"
            raise ValueError(
                f"{what}: column {col!r} must be {need}; offending code(s) {df.index[bad].tolist()}"
            )
    return arr


def _prepare(
    inputs: pd.DataFrame, outputs: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    x_df = _keyed(inputs, "inputs")
    y_df = _keyed(outputs, "outputs")
    if set(x_df.index) != set(y_df.index):
        only_x = sorted(set(x_df.index) - set(y_df.index))
        only_y = sorted(set(y_df.index) - set(x_df.index))
        raise ValueError(
            f"inputs and outputs must have the same codes; only in inputs: {only_x}, only in outputs: {only_y}"
        )
    y_df = y_df.loc[x_df.index]
    if len(x_df) < 2:
        raise ValueError(f"inputs: DEA needs at least 2 units, got {len(x_df)}")
    x = _numeric(x_df, "inputs", positive=True)
    y = _numeric(y_df, "outputs", positive=False)
    if not (y > 0).any(axis=0).all():
        zero = [c for c, ok in zip(y_df.columns, (y > 0).any(axis=0), strict=True) if not ok]
        raise ValueError(f"outputs: column(s) {zero} are zero for every unit")
    # Scale every column by its mean: θ and φ are invariant to units of measurement, and the
    # LP is better conditioned when all coefficients are of order one.
    return x_df, y_df, x / x.mean(axis=0), y / y.mean(axis=0)


def _environment(environment: pd.DataFrame | None, index: pd.Index) -> tuple[pd.DataFrame | None, np.ndarray]:
    """Validate non-discretionary inputs and scale them like the inputs (n × q, q may be 0)."""
    if environment is None:
        return None, np.zeros((len(index), 0))
    e_df = _keyed(environment, "environment")
    missing = sorted(set(index) - set(e_df.index))
    extra = sorted(set(e_df.index) - set(index))
    if missing or extra:
        raise ValueError(f"environment: codes differ from inputs; missing {missing}, extra {extra}")
    e_df = e_df.loc[index]
    e = _numeric(e_df, "environment", positive=True)
    return e_df, e / e.mean(axis=0)


def _solve(c, a_ub, b_ub, a_eq, b_eq, bounds) -> optimize.OptimizeResult:
    return optimize.linprog(
        c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs", options=_HIGHS
    )


class DEAResult:
    """Result of :func:`dea` (immutable; every property returns a copy).

    Attributes
    ----------
    scores : DataFrame
        Indexed by ``code``. Input orientation: ``theta`` (the radial input contraction
        θ ≤ 1) and ``efficiency`` (= θ). Output orientation: ``phi`` (the radial output
        expansion φ ≥ 1) and ``efficiency`` (= 1/φ). With super-efficiency, frontier units may
        have θ > 1 (φ < 1); an infeasible super-efficiency programme gives NaN.
    lambdas : DataFrame
        Units × peers, the intensity weights λ of the optimal solution (zeros where unused).
    peers : Series
        ``code`` → tuple of peer codes with λ > ``LAMBDA_TOL``, largest λ first.
    slacks : DataFrame or None
        Second-stage input slacks ``s_in_<input>`` and output slacks ``s_out_<output>`` (in the
        original units) when requested.
    """

    __slots__ = ("_d",)

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_d", kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("DEAResult is immutable")

    @property
    def orientation(self) -> str:
        return self._d["orientation"]

    @property
    def rts(self) -> str:
        return self._d["rts"]

    @property
    def super_efficiency(self) -> bool:
        return self._d["super_efficiency"]

    @property
    def inputs(self) -> pd.DataFrame:
        return self._d["inputs"].copy()

    @property
    def outputs(self) -> pd.DataFrame:
        return self._d["outputs"].copy()

    @property
    def environment(self) -> pd.DataFrame | None:
        e = self._d["environment"]
        return None if e is None else e.copy()

    @property
    def scores(self) -> pd.DataFrame:
        return self._d["scores"].copy()

    @property
    def efficiency(self) -> pd.Series:
        """Efficiency in (0, 1] (θ or 1/φ); 1 on the frontier."""
        return self._d["scores"]["efficiency"].copy()

    @property
    def lambdas(self) -> pd.DataFrame:
        return self._d["lambdas"].copy()

    @property
    def peers(self) -> pd.Series:
        return self._d["peers"].copy()

    @property
    def slacks(self) -> pd.DataFrame | None:
        s = self._d["slacks"]
        return None if s is None else s.copy()

    @property
    def frontier_units(self) -> tuple[int, ...]:
        """Codes with efficiency 1 (to 1e-9), ascending."""
        eff = self._d["scores"]["efficiency"]
        return tuple(int(c) for c in sorted(eff.index[np.abs(eff.to_numpy() - 1.0) <= 1e-9]))

    def tidy(self) -> pd.DataFrame:
        """One row per unit: ``code``, the score columns, ``peers`` (comma-separated codes)."""
        out = self._d["scores"].copy()
        out["peers"] = [",".join(map(str, p)) for p in self._d["peers"]]
        out["orientation"] = self.orientation
        out["rts"] = self.rts
        out["super_efficiency"] = self.super_efficiency
        return out.reset_index()

    def __repr__(self) -> str:
        eff = self._d["scores"]["efficiency"]
        return (
            f"DEAResult(orientation={self.orientation!r}, rts={self.rts!r}, super_efficiency={self.super_efficiency}, "
            f"units={len(eff)}, frontier={len(self.frontier_units)}, mean_efficiency={np.nanmean(eff):.4f})"
        )


def dea(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    orientation: Orientation = "input",
    rts: RTS = "crs",
    super_efficiency: bool = False,
    slacks: bool = False,
    environment: pd.DataFrame | None = None,
) -> DEAResult:
    r"""Radial DEA efficiency scores in envelopment form.

    Parameters
    ----------
    inputs, outputs : DataFrame
        One row per unit keyed by ``code`` (a column or the index), one numeric column per input
        (strictly positive) and per output (non-negative; every output positive for some unit).
    orientation : {"input", "output"}
        Contract inputs at given outputs, or expand outputs at given inputs.
    rts : {"crs", "vrs"}
        Constant returns to scale (CCR) or variable returns to scale (BCC, adds Σλ = 1).
    super_efficiency : bool
        Leave each unit out of its own reference set (Andersen & Petersen 1993), so frontier
        units are ranked; infeasible programmes (possible under VRS) give NaN.
    slacks : bool
        Also solve the second stage (maximum sum of slacks at the optimal radial score).
    environment : DataFrame, optional
        Non-discretionary inputs (Banker & Morey 1986; Rigsrevisionen's "omgivelsesvariabel"),
        keyed by code, strictly positive and oriented like an input (a larger value is a more
        favourable environment). A unit is compared only with combinations of units whose
        environment is no more favourable; the environment is never contracted.

    Returns
    -------
    DEAResult

    Notes
    -----
    For unit :math:`o` with inputs :math:`x_o\in\mathbb R^m` and outputs :math:`y_o\in\mathbb R^s`,
    input orientation solves

    .. math:: \theta_o = \min_{\theta,\lambda\ge 0}\ \theta \quad\text{s.t.}\quad
              \sum_k \lambda_k x_k \le \theta x_o,\ \ \sum_k \lambda_k y_k \ge y_o,

    and output orientation

    .. math:: \phi_o = \max_{\phi,\lambda\ge 0}\ \phi \quad\text{s.t.}\quad
              \sum_k \lambda_k x_k \le x_o,\ \ \sum_k \lambda_k y_k \ge \phi y_o,

    with :math:`\sum_k\lambda_k = 1` added under VRS and
    :math:`\sum_k \lambda_k z_k \le z_o` for non-discretionary inputs :math:`z`. Under CRS, :math:`\theta_o = 1/\phi_o`.
    Each column is divided by its mean before solving (scores are unit-free). DEA is
    deterministic: all noise is read as inefficiency, and with few units and several outputs
    many units sit on the frontier.

    References
    ----------
    Charnes, A., Cooper, W. W. and Rhodes, E. (1978). Measuring the efficiency of decision
    making units. *European Journal of Operational Research* 2(6), 429–444.
    Banker, R. D., Charnes, A. and Cooper, W. W. (1984). Some models for estimating technical and
    scale inefficiencies in data envelopment analysis. *Management Science* 30(9), 1078–1092.
    Andersen, P. and Petersen, N. C. (1993). A procedure for ranking efficient units in data
    envelopment analysis. *Management Science* 39(10), 1261–1264.
    Banker, R. D. and Morey, R. C. (1986). Efficiency analysis for exogenously fixed inputs and
    outputs. *Operations Research* 34(4), 513–521.
    Rigsrevisionen (2018). *Beretning om jobcentrenes effektivitet* (5/2018).

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"code": [1, 2], "cost": [1.0, 2.0]})
    >>> y = pd.DataFrame({"code": [1, 2], "out": [1.0, 1.0]})
    >>> dea(x, y, orientation="output").scores["phi"].tolist()
    [1.0, 2.0]
    """
    check_choice("orientation", orientation, ORIENTATIONS)
    check_choice("rts", rts, RTS_CHOICES)
    x_df, y_df, x, y = _prepare(inputs, outputs)
    e_df, e = _environment(environment, x_df.index)
    n, m = x.shape
    s = y.shape[1]
    q = e.shape[1]
    if orientation == "output" and not super_efficiency:
        zero = (y <= 0).all(axis=1)
        if zero.any():
            raise ValueError(
                f"outputs: unit(s) {x_df.index[zero].tolist()} produce nothing; output-oriented φ is unbounded"
            )
    codes = x_df.index
    score = np.full(n, np.nan)
    lam = np.zeros((n, n))
    a_eq = np.r_[0.0, np.ones(n)][None, :] if rts == "vrs" else None
    b_eq = np.array([1.0]) if rts == "vrs" else None
    for o in range(n):
        if orientation == "input":
            c = np.r_[1.0, np.zeros(n)]
            a_ub = np.vstack([np.c_[-x[o][:, None], x.T], np.c_[np.zeros((s, 1)), -y.T]])
            b_ub = np.r_[np.zeros(m), -y[o]]
        else:
            c = np.r_[-1.0, np.zeros(n)]
            a_ub = np.vstack([np.c_[np.zeros((m, 1)), x.T], np.c_[y[o][:, None], -y.T]])
            b_ub = np.r_[x[o], np.zeros(s)]
        if q:
            a_ub = np.vstack([a_ub, np.c_[np.zeros((q, 1)), e.T]])
            b_ub = np.r_[b_ub, e[o]]
        bounds = [(None, None)] + [
            (0.0, 0.0) if (super_efficiency and k == o) else (0.0, None) for k in range(n)
        ]
        res = _solve(c, a_ub, b_ub, a_eq, b_eq, bounds)
        if res.status == 0:
            score[o] = res.x[0]
            lam[o] = np.where(res.x[1:] > LAMBDA_TOL, res.x[1:], 0.0)
        elif res.status in (2, 3) and super_efficiency:
            score[o] = np.nan if res.status == 2 else np.inf
        else:  # pragma: no cover - validated input makes other outcomes impossible
            raise RuntimeError(f"DEA programme for unit {codes[o]} failed: {res.message}")
    if orientation == "input":
        scores = pd.DataFrame({"theta": score, "efficiency": score}, index=codes)
    else:
        with np.errstate(divide="ignore"):
            scores = pd.DataFrame({"phi": score, "efficiency": 1.0 / score}, index=codes)
    lambdas = pd.DataFrame(lam, index=codes, columns=pd.Index(codes, name="peer"))
    peers = pd.Series(
        [tuple(int(codes[k]) for k in np.argsort(-lam[o], kind="stable") if lam[o, k] > 0) for o in range(n)],
        index=codes,
        name="peers",
        dtype=object,
    )
    slack_df = None
    if slacks:
        slack_df = _slacks(
            x, y, e, score, orientation=orientation, rts=rts, super_efficiency=super_efficiency
        )
        scale = np.r_[x_df.to_numpy(float).mean(axis=0), y_df.to_numpy(float).mean(axis=0)]
        slack_df = pd.DataFrame(
            slack_df * scale,
            index=codes,
            columns=[f"s_in_{c}" for c in x_df.columns] + [f"s_out_{c}" for c in y_df.columns],
        )
    return DEAResult(
        orientation=orientation,
        rts=rts,
        super_efficiency=bool(super_efficiency),
        inputs=x_df,
        outputs=y_df,
        environment=e_df,
        scores=scores,
        lambdas=lambdas,
        peers=peers,
        slacks=slack_df,
    )


def _slacks(x, y, e, score, *, orientation, rts, super_efficiency) -> np.ndarray:
    """Second stage: max Σ s⁻ + Σ s⁺ with the radial score fixed at its optimum."""
    n, m = x.shape
    s = y.shape[1]
    out = np.full((n, m + s), np.nan)
    for o in range(n):
        if not np.isfinite(score[o]):
            continue
        # variables: λ (n), s_in (m), s_out (s)
        c = np.r_[np.zeros(n), -np.ones(m + s)]
        a_eq = np.vstack(
            [
                np.c_[x.T, np.eye(m), np.zeros((m, s))],
                np.c_[y.T, np.zeros((s, m)), -np.eye(s)],
            ]
        )
        if orientation == "input":
            b_eq = np.r_[score[o] * x[o], y[o]]
        else:
            b_eq = np.r_[x[o], score[o] * y[o]]
        if rts == "vrs":
            a_eq = np.vstack([a_eq, np.r_[np.ones(n), np.zeros(m + s)]])
            b_eq = np.r_[b_eq, 1.0]
        bounds = [(0.0, 0.0) if (super_efficiency and k == o) else (0.0, None) for k in range(n)]
        bounds += [(0.0, None)] * (m + s)
        a_ub = np.c_[e.T, np.zeros((e.shape[1], m + s))] if e.shape[1] else None
        b_ub = e[o] if e.shape[1] else None
        res = _solve(c, a_ub, b_ub, a_eq, b_eq, bounds)
        if res.status == 0:
            out[o] = np.maximum(res.x[n:], 0.0)
    return out


def dea_multiplier(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    orientation: Orientation = "input",
    rts: RTS = "crs",
    super_efficiency: bool = False,
    environment: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""DEA scores from the multiplier (dual) form, with the optimal weights.

    Parameters
    ----------
    inputs, outputs, orientation, rts, super_efficiency, environment
        As in :func:`dea`.

    Returns
    -------
    DataFrame
        Indexed by ``code``: the score columns of :func:`dea` (``theta``/``phi`` and
        ``efficiency``), the weights ``v_<input>``, ``u_<output>`` and ``w_<environment>`` in the
        original units, and ``free`` (the VRS scale term; 0 under CRS).

    Notes
    -----
    Input orientation: :math:`\theta_o = \max_{u,v,w\ge 0,u_0} u'y_o - w'z_o + u_0` s.t.
    :math:`v'x_o = 1` and :math:`u'y_k - v'x_k - w'z_k + u_0 \le 0` for all :math:`k`. Output
    orientation: :math:`\phi_o = \min_{u,v,w\ge0,v_0} v'x_o + w'z_o + v_0` s.t. :math:`u'y_o = 1`
    and :math:`u'y_k - v'x_k - w'z_k - v_0 \le 0`. Without an environment :math:`w` is absent. The free term is fixed at 0 under CRS; with
    super-efficiency the constraint of unit :math:`o` itself is dropped. By LP duality the
    optimum equals the envelopment score of :func:`dea`.

    References
    ----------
    Cooper, W. W., Seiford, L. M. and Tone, K. (2007). *Data Envelopment Analysis*, 2nd ed.
    Springer, ch. 2–4.
    """
    check_choice("orientation", orientation, ORIENTATIONS)
    check_choice("rts", rts, RTS_CHOICES)
    x_df, y_df, x, y = _prepare(inputs, outputs)
    e_df, e = _environment(environment, x_df.index)
    n, m = x.shape
    s = y.shape[1]
    q = e.shape[1]
    score = np.full(n, np.nan)
    weights = np.full((n, m + s + q + 1), np.nan)
    free_bound = (None, None) if rts == "vrs" else (0.0, 0.0)
    for o in range(n):
        keep = [k for k in range(n) if not (super_efficiency and k == o)]
        # variables: v (m), u (s), w (q), free (1)
        if orientation == "input":
            c = -np.r_[np.zeros(m), y[o], -e[o], 1.0]
            a_ub = np.c_[-x[keep], y[keep], -e[keep], np.ones(len(keep))]
            a_eq = np.r_[x[o], np.zeros(s + q), 0.0][None, :]
        else:
            c = np.r_[x[o], np.zeros(s), e[o], 1.0]
            a_ub = np.c_[-x[keep], y[keep], -e[keep], -np.ones(len(keep))]
            a_eq = np.r_[np.zeros(m), y[o], np.zeros(q), 0.0][None, :]
        bounds = [(0.0, None)] * (m + s + q) + [free_bound]
        res = _solve(c, a_ub, np.zeros(len(keep)), a_eq, np.array([1.0]), bounds)
        if res.status == 0:
            score[o] = -res.fun if orientation == "input" else res.fun
            weights[o] = res.x
        elif super_efficiency and res.status in (2, 3):
            score[o] = np.nan if res.status == 3 else np.inf
        else:  # pragma: no cover
            raise RuntimeError(f"DEA multiplier programme for unit {x_df.index[o]} failed: {res.message}")
    scale = np.r_[x_df.to_numpy(float).mean(axis=0), y_df.to_numpy(float).mean(axis=0)]
    if orientation == "input":
        out = pd.DataFrame({"theta": score, "efficiency": score}, index=x_df.index)
    else:
        with np.errstate(divide="ignore"):
            out = pd.DataFrame({"phi": score, "efficiency": 1.0 / score}, index=x_df.index)
    for j, col in enumerate(x_df.columns):
        out[f"v_{col}"] = weights[:, j] / scale[j]
    for r, col in enumerate(y_df.columns):
        out[f"u_{col}"] = weights[:, m + r] / scale[m + r]
    if e_df is not None:
        e_scale = e_df.to_numpy(float).mean(axis=0)
        for t, col in enumerate(e_df.columns):
            out[f"w_{col}"] = weights[:, m + s + t] / e_scale[t]
    out["free"] = weights[:, -1]
    return out


def _radial(x_o, y_o, xr, yr, *, orientation: str, rts: str) -> float:
    """Radial score of the point (x_o, y_o) against the reference set (xr, yr); NaN if infeasible."""
    n, m = xr.shape
    s = yr.shape[1]
    if orientation == "input":
        c = np.r_[1.0, np.zeros(n)]
        a_ub = np.vstack([np.c_[-x_o[:, None], xr.T], np.c_[np.zeros((s, 1)), -yr.T]])
        b_ub = np.r_[np.zeros(m), -y_o]
    else:
        c = np.r_[-1.0, np.zeros(n)]
        a_ub = np.vstack([np.c_[np.zeros((m, 1)), xr.T], np.c_[y_o[:, None], -yr.T]])
        b_ub = np.r_[x_o, np.zeros(s)]
    a_eq = np.r_[0.0, np.ones(n)][None, :] if rts == "vrs" else None
    b_eq = np.array([1.0]) if rts == "vrs" else None
    res = _solve(c, a_ub, b_ub, a_eq, b_eq, [(None, None)] + [(0.0, None)] * n)
    return float(res.x[0]) if res.status == 0 else float("nan")


def dea_bootstrap(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    orientation: Orientation = "input",
    rts: RTS = "crs",
    replicates: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Bias-corrected DEA scores and confidence intervals by the smoothed bootstrap.

    Parameters
    ----------
    inputs, outputs, orientation, rts
        As in :func:`dea`.
    replicates : int
        Bootstrap replicates (each solves one programme per unit; ≥ 20).
    level : float
        Confidence level of the percentile intervals, in (0, 1).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same numbers.

    Returns
    -------
    DataFrame
        Indexed by ``code``: ``efficiency`` (the DEA estimate), ``bias``,
        ``efficiency_bc`` (bias-corrected), ``lower`` and ``upper``, all on the efficiency
        scale (θ, or 1/φ), plus ``bandwidth`` and ``replicates``.

    Notes
    -----
    Simar & Wilson's (1998) homogeneous smoothed bootstrap on the distance
    :math:`\delta_j = 1/\theta_j` (input) or :math:`\delta_j = \phi_j` (output), both
    :math:`\ge 1`. Draw :math:`\beta^*` from the reflected sample
    :math:`\{\hat\delta_j, 2-\hat\delta_j\}`, add :math:`h\varepsilon` with
    :math:`\varepsilon\sim N(0,1)` and Silverman's bandwidth
    :math:`h = 0.9\min(\hat\sigma, \mathrm{IQR}/1.34)(2n)^{-1/5}` on the reflected sample,
    rescale to the reflected sample's variance, reflect values below 1 and build pseudo-data on
    the estimated frontier, :math:`x^*_j = \hat\theta_j x_j \delta^*_j` (input) or
    :math:`y^*_j = \hat\phi_j y_j / \delta^*_j` (output). Each original unit is scored
    against the pseudo-data. The bias is :math:`\overline{\delta^*} - \hat\delta`, the
    corrected distance :math:`2\hat\delta - \overline{\delta^*}`, and the interval for
    :math:`\delta` is :math:`[\hat\delta - q_{1-a/2}, \hat\delta - q_{a/2}]` with
    :math:`q` the quantiles of :math:`\delta^*-\hat\delta`; all are reported on the
    efficiency scale :math:`1/\delta`.

    References
    ----------
    Simar, L. and Wilson, P. W. (1998). Sensitivity analysis of efficiency scores: how to
    bootstrap in nonparametric frontier models. *Management Science* 44(1), 49–61.
    """
    check_choice("orientation", orientation, ORIENTATIONS)
    check_choice("rts", rts, RTS_CHOICES)
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 20:
        raise ValueError(f"replicates: expected an integer >= 20, got {replicates!r}")
    if not 0 < level < 1:
        raise ValueError(f"level: expected a number in (0, 1), got {level!r}")
    base = dea(inputs, outputs, orientation=orientation, rts=rts)
    x_df, y_df, x, y = _prepare(inputs, outputs)
    n = len(x)
    score = base.scores["theta" if orientation == "input" else "phi"].to_numpy()
    delta = 1.0 / score if orientation == "input" else score.copy()
    delta = np.maximum(delta, 1.0)  # solver noise below 1 would break the reflection
    refl = np.r_[delta, 2.0 - delta]
    sd = refl.std(ddof=1)
    iqr = np.subtract(*np.percentile(refl, [75, 25]))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    h = 0.9 * spread * (2 * n) ** (-0.2)
    if not h > 0:  # every unit on the frontier: no inefficiency to resample
        h = 0.0
    rng = np.random.default_rng(seed)
    draws = np.empty((replicates, n))
    for b in range(replicates):
        beta = rng.choice(refl, size=n, replace=True)
        tilde = beta + h * rng.standard_normal(n)
        star = beta.mean() + (tilde - beta.mean()) / np.sqrt(1.0 + h**2 / sd**2) if sd > 0 else tilde
        star = np.where(star < 1.0, 2.0 - star, star)
        if orientation == "input":
            xr, yr = x / delta[:, None] * star[:, None], y
        else:
            xr, yr = x, y * delta[:, None] / star[:, None]
        for j in range(n):
            val = _radial(x[j], y[j], xr, yr, orientation=orientation, rts=rts)
            draws[b, j] = 1.0 / val if orientation == "input" else val
    mean_star = np.nanmean(draws, axis=0)
    bias = mean_star - delta
    alpha = 1.0 - level
    diff = draws - delta
    q_lo, q_hi = np.nanquantile(diff, [alpha / 2, 1 - alpha / 2], axis=0)
    d_bc = delta - bias
    d_lo, d_hi = delta - q_hi, delta - q_lo
    with np.errstate(divide="ignore"):
        out = pd.DataFrame(
            {
                "efficiency": 1.0 / delta,
                "bias": 1.0 / delta - 1.0 / d_bc,
                "efficiency_bc": 1.0 / d_bc,
                "lower": 1.0 / d_hi,
                "upper": 1.0 / d_lo,
                "bandwidth": h,
                "replicates": int(replicates),
            },
            index=x_df.index,
        )
    return out


def potential(
    result: DEAResult, *, base: pd.Series | pd.DataFrame | None = None, by_unit: bool = False
) -> pd.Series | pd.DataFrame:
    r"""The national "potential" of moving every unit to the frontier.

    Parameters
    ----------
    result : DEAResult
        A result without super-efficiency (super-efficient scores would count frontier units'
        lead as negative potential).
    base : Series or DataFrame, optional
        Per-unit quantities (keyed by ``code``) to scale instead of the DEA inputs/outputs:
        e.g. total expenditure in DKK when the DEA input is expenditure per full-time person,
        or persons leaving for work when the outputs are ratios.
    by_unit : bool
        Return each unit's contribution instead of the national sum.

    Returns
    -------
    Series or DataFrame
        Sum (or per-unit values) for each column of the base quantity.

    Notes
    -----
    Input orientation: :math:`P = \sum_j (1-\theta_j)\,x_j` (e.g. DKK that could be saved at
    the same results). Output orientation: :math:`P = \sum_j (\phi_j - 1)\,y_j` (e.g. more
    persons in work or education at the same expenditure). This is how Rigsrevisionen's 1,45
    mia. kr. and 18.000 persons are read (METHOD-SOURCES §3, an inference; the report does not
    publish the formula).
    """
    if not isinstance(result, DEAResult):
        raise TypeError(f"result: expected a DEAResult, got {type(result).__name__}")
    if result.super_efficiency:
        raise ValueError("result: potential needs ordinary scores; got a super-efficiency result")
    scores = result.scores
    if result.orientation == "input":
        factor = 1.0 - scores["theta"]
        default = result.inputs
    else:
        factor = scores["phi"] - 1.0
        default = result.outputs
    if base is None:
        b = default
    else:
        b = base.to_frame() if isinstance(base, pd.Series) else base.copy()
        b = _keyed(b, "base")
        missing = sorted(set(factor.index) - set(b.index))
        if missing:
            raise ValueError(f"base: no value for unit code(s) {missing}")
        b = b.loc[factor.index]
        _numeric(b, "base", positive=False)
    contrib = b.mul(factor, axis=0)
    return contrib if by_unit else contrib.sum()


# ----------------------------------------------------------------------------- job-centre units


@dataclass(frozen=True)
class JobcentreUnits:
    """DEA units built from municipalities (see :func:`jobcentre_units`).

    ``inputs`` and ``outputs`` are keyed by the unit ``code`` (the job centre's host
    municipality). ``members`` maps unit → tuple of member municipality codes. ``totals`` holds
    per-unit quantities for :func:`potential` (``expenditure_dkk``, ``actual``, ``expected``,
    ``population``, ``exits_to_work``). ``caseload`` is the unit's ``difference_pp`` over all
    areas (actual − expected in pct.-points of the population; negative is good).
    """

    inputs: pd.DataFrame
    outputs: pd.DataFrame
    members: pd.Series
    totals: pd.DataFrame
    caseload: pd.Series
    notes: tuple[str, ...] = field(default_factory=tuple)


def jobcentre_units(
    municipalities: pd.DataFrame,
    tidy: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    exclude: Sequence[int] = EXCLUDED_SMALL,
    input: InputKind = "expenditure_per_fulltime",
    outputs: OutputKind = "eo",
) -> JobcentreUnits:
    """Rigsrevisionen-style DEA units: job centres, with inputs and outputs.

    Parameters
    ----------
    municipalities : DataFrame
        Municipality table (``docs/architecture.md``): ``code``, ``expenditure`` (DKK million),
        ``exits_to_work``, optionally ``year`` and ``jobcenter`` (taken from the registry when
        absent). With several years, each quantity is averaged over the years (Rigsrevisionen
        used 2014–16 expenditure).
    tidy : mapping of str to DataFrame, or DataFrame
        Benefit area → the model's tidy frame for that area (``code``, ``population``,
        ``actual``, ``expected``), e.g. ``{"dagpenge": ..., "kontanthjaelp": ...,
        "sygedagpenge": ...}``; or the tidy frames stacked, with ``benefit_set`` naming the area.
    exclude : sequence of int
        Municipalities left out (default Ærø, Samsø, Langeland, as Rigsrevisionen).
    input : {"expenditure_per_fulltime", "expenditure"}
        DKK per full-time person on the areas' benefits (Rigsrevisionen's main variant), or total
        DKK.
    outputs : {"eo", "exits", "both"}
        ``eo_<area>`` = Σ expected / Σ actual per area (higher is better), ``exits_to_work``, or
        both.

    Returns
    -------
    JobcentreUnits

    Notes
    -----
    The four shared job centres (Esbjerg–Fanø, Frederikshavn–Læsø, Tårnby–Dragør,
    Vallensbæk–Ishøj) are merged by summing persons, expenditure and exits; ratios are formed
    after summing. With all 98 municipalities and the default exclusions this gives 91 units.
    E/O is the ratio of expected to observed full-time persons — Rigsrevisionen's "relative
    ydelsesgrad" — so an output rises when a unit has fewer on benefit than expected.
    """
    check_choice("input", input, INPUT_KINDS)
    check_choice("outputs", outputs, OUTPUT_KINDS)
    if isinstance(tidy, pd.DataFrame):
        if "benefit_set" not in tidy.columns:
            raise ValueError("tidy: a single frame needs a 'benefit_set' column naming each row's area")
        tidy = {str(k): g.drop(columns="benefit_set") for k, g in tidy.groupby("benefit_set", sort=False)}
    if not isinstance(tidy, Mapping) or not tidy:
        raise ValueError("tidy: expected a non-empty mapping of benefit area -> model tidy frame")
    mun = municipalities.copy()
    need = ["code", "expenditure"] + (["exits_to_work"] if outputs != "eo" else [])
    missing = [c for c in need if c not in mun.columns]
    if missing:
        raise ValueError(f"municipalities: missing column(s) {missing}")
    if "jobcenter" not in mun.columns:
        from analysis.core.municipalities import registry

        reg = registry()
        unknown = sorted(set(mun["code"].astype(int)) - set(reg.index))
        if unknown:
            raise ValueError(f"municipalities: unknown code(s) {unknown}; cannot find their jobcenter")
        mun["jobcenter"] = mun["code"].astype(int).map(reg["jobcenter"])
    cols = ["expenditure"] + (["exits_to_work"] if "exits_to_work" in mun.columns else [])
    for c in cols:
        bad = mun[c].isna() | (mun[c] < 0)
        if bad.any():
            raise ValueError(
                f"municipalities: column {c!r} missing or negative for code(s) {mun.loc[bad, 'code'].tolist()}"
            )
    per_mun = mun.groupby("code")[cols].mean()
    per_mun["jobcenter"] = mun.groupby("code")["jobcenter"].first().astype(int)
    per_mun.index = per_mun.index.astype(int)
    per_mun = per_mun.drop(index=[c for c in exclude if c in per_mun.index])

    act = {}
    exp = {}
    pop = None
    for area, frame in tidy.items():
        t = _keyed(frame, f"tidy[{area!r}]")
        miss = [c for c in ("actual", "expected", "population") if c not in t.columns]
        if miss:
            raise ValueError(f"tidy[{area!r}]: missing column(s) {miss}")
        t.index = t.index.astype(int)
        absent = sorted(set(per_mun.index) - set(t.index))
        if absent:
            raise ValueError(f"tidy[{area!r}]: no model result for municipality code(s) {absent}")
        extra = sorted(set(t.index) - set(per_mun.index) - {int(c) for c in exclude})
        if extra:
            raise ValueError(f"tidy[{area!r}]: code(s) {extra} are not in the municipality table")
        act[area] = t["actual"].reindex(per_mun.index)
        exp[area] = t["expected"].reindex(per_mun.index)
        pop = t["population"].reindex(per_mun.index)
    unit = per_mun["jobcenter"]
    g_act = pd.DataFrame(act).groupby(unit).sum()
    g_exp = pd.DataFrame(exp).groupby(unit).sum()
    g_pop = pop.groupby(unit).sum()
    g_mun = per_mun[cols].groupby(unit).sum()
    for frame in (g_act, g_exp, g_mun):
        frame.index = pd.Index(frame.index.astype(int), name="code")
    g_pop.index = g_act.index
    zero = g_act.index[(g_act <= 0).any(axis=1)]
    if len(zero) and outputs != "exits":
        raise ValueError(
            f"tidy: unit(s) {zero.tolist()} have no actual full-time persons in some area; E/O undefined"
        )
    total_act = g_act.sum(axis=1)
    dkk = g_mun["expenditure"] * 1e6
    if input == "expenditure":
        x = pd.DataFrame({"expenditure_dkk": dkk})
    else:
        x = pd.DataFrame({"expenditure_per_fulltime": dkk / total_act})
    y = pd.DataFrame(index=g_act.index)
    if outputs in ("eo", "both"):
        for area in g_act.columns:
            y[f"eo_{area}"] = g_exp[area] / g_act[area]
    if outputs in ("exits", "both"):
        y["exits_to_work"] = g_mun["exits_to_work"]
    members = pd.Series(
        {int(u): tuple(sorted(int(c) for c in grp.index)) for u, grp in per_mun.groupby("jobcenter")},
        name="members",
    )
    members.index.name = "code"
    totals = pd.DataFrame(
        {
            "expenditure_dkk": dkk,
            "actual": total_act,
            "expected": g_exp.sum(axis=1),
            "population": g_pop,
        }
    )
    if "exits_to_work" in g_mun.columns:
        totals["exits_to_work"] = g_mun["exits_to_work"]
    caseload = (100.0 * (totals["actual"] - totals["expected"]) / totals["population"]).rename(
        "difference_pp"
    )
    notes = (
        f"{len(x)} enheder (jobcentre); fælles jobcentre lagt sammen; udeladt: {sorted(exclude)}",
        f"input: {input}; output: {', '.join(y.columns)}",
    )
    return JobcentreUnits(inputs=x, outputs=y, members=members, totals=totals, caseload=caseload, notes=notes)


# ----------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class Sensitivity:
    """KL's critique of the DEA potential, as numbers (see :func:`sensitivity`).

    ``scenarios``: one row per scenario with ``potential`` (per base column), ``units`` and
    ``frontier_units``. ``correlation``: Spearman and Kendall rank correlation (with p-values)
    between DEA efficiency and the expected-caseload result. ``disagreement``: one row per unit.
    ``left_out`` is the unit dropped in ``without_best``, ``shifted`` the re-booked units,
    ``baseline`` the DEA on the data as given and ``super_scores`` its super-efficiency scores.
    """

    scenarios: pd.DataFrame
    correlation: pd.DataFrame
    disagreement: pd.DataFrame
    left_out: int
    shifted: tuple[int, ...]
    baseline: DEAResult
    super_scores: pd.Series


def sensitivity(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    *,
    caseload: pd.Series,
    orientation: Orientation = "input",
    rts: RTS = "crs",
    base: pd.Series | pd.DataFrame | None = None,
    shift: float = 0.10,
    shifted: Sequence[int] | None = None,
    seed: int = 0,
) -> Sensitivity:
    """How much the DEA potential and ranking depend on choices KL objected to.

    Parameters
    ----------
    inputs, outputs, orientation, rts
        As in :func:`dea`.
    caseload : Series
        The expected-caseload result per unit (``difference_pp``: actual − expected in
        pct.-points; negative is good), keyed by code.
    base : Series or DataFrame, optional
        Quantities for :func:`potential`. For input orientation a base that is itself the
        input is shifted with it.
    shift : float
        Relative change of the booked expenditure (inputs) for half the units (KL: expenditure
        is booked differently, e.g. mentor support under two laws). Applied as +shift and −shift.
    shifted : sequence of int, optional
        The units whose expenditure is re-booked; default a random half drawn with ``seed``.
    seed : int
        Seed of the random half.

    Returns
    -------
    Sensitivity

    Notes
    -----
    Scenarios: ``baseline``; ``without_best`` — the most efficient unit (highest
    super-efficiency score, ties by code) left out, which can only lower or keep every other
    unit's distance to the frontier and thus the potential; ``booked_plus``/``booked_minus`` —
    inputs of the shifted units multiplied by 1 ± shift. The disagreement table ranks units by
    DEA efficiency (1 = most efficient, ties share the best rank) and by ``caseload`` (1 = most
    negative), and flags units efficient on one yardstick and below the median on the other.
    """
    check_choice("orientation", orientation, ORIENTATIONS)
    check_choice("rts", rts, RTS_CHOICES)
    if not 0 < shift < 1:
        raise ValueError(f"shift: expected a relative change in (0, 1), got {shift!r}")
    x_df = _keyed(inputs, "inputs")
    y_df = _keyed(outputs, "outputs")
    cl = caseload.copy()
    cl.index = cl.index.astype(x_df.index.dtype)
    missing = sorted(set(x_df.index) - set(cl.index))
    if missing or cl.reindex(x_df.index).isna().any():
        raise ValueError(
            f"caseload: missing or NaN for unit code(s) {missing or cl.index[cl.isna()].tolist()}"
        )
    cl = cl.reindex(x_df.index)

    rows = []

    def _row(name: str, res: DEAResult, b) -> None:
        pot = potential(res, base=b)
        row = {"scenario": name, "units": len(res.scores), "frontier_units": len(res.frontier_units)}
        row.update({f"potential_{k}": float(v) for k, v in pot.items()})
        rows.append(row)

    def _base_for(index, factor=None):
        if base is None:
            return None
        b = _keyed(base.to_frame() if isinstance(base, pd.Series) else base, "base").loc[index]
        if factor is not None and orientation == "input":
            b = b.mul(factor.reindex(index), axis=0)
        return b

    res = dea(x_df, y_df, orientation=orientation, rts=rts)
    _row("baseline", res, _base_for(x_df.index))

    super_scores = dea(x_df, y_df, orientation=orientation, rts=rts, super_efficiency=True).efficiency
    sup = super_scores.fillna(np.inf)  # infeasible super-efficiency: the unit is extreme, hence "best"
    order = sorted(sup.index, key=lambda c: (-sup[c], c))
    best = int(order[0])
    keep = x_df.index[x_df.index != best]
    _row(
        "without_best", dea(x_df.loc[keep], y_df.loc[keep], orientation=orientation, rts=rts), _base_for(keep)
    )

    if shifted is None:
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(x_df), size=len(x_df) // 2, replace=False)
        shifted_codes = tuple(sorted(int(c) for c in x_df.index[pick]))
    else:
        shifted_codes = tuple(sorted(int(c) for c in shifted))
        unknown = sorted(set(shifted_codes) - {int(c) for c in x_df.index})
        if unknown:
            raise ValueError(f"shifted: unknown unit code(s) {unknown}")
    is_shifted = pd.Series(x_df.index.isin(list(shifted_codes)), index=x_df.index)
    for name, sign in (("booked_plus", 1.0), ("booked_minus", -1.0)):
        factor = pd.Series(np.where(is_shifted, 1.0 + sign * shift, 1.0), index=x_df.index)
        _row(
            name,
            dea(x_df.mul(factor, axis=0), y_df, orientation=orientation, rts=rts),
            _base_for(x_df.index, factor),
        )
    scenarios = pd.DataFrame(rows)

    eff = res.efficiency
    # higher efficiency is good, lower caseload difference is good: correlate eff with −caseload
    rho, p_rho = stats.spearmanr(eff, -cl)
    tau, p_tau = stats.kendalltau(eff, -cl)
    correlation = pd.DataFrame(
        {"statistic": [float(rho), float(tau)], "pvalue": [float(p_rho), float(p_tau)]},
        index=pd.Index(["spearman", "kendall"], name="measure"),
    )
    dea_rank = eff.rank(ascending=False, method="min").astype(int)
    cl_rank = cl.rank(ascending=True, method="min").astype(int)
    half = len(eff) / 2
    efficient = (eff - 1.0).abs() <= 1e-9
    dis = pd.DataFrame(
        {
            "efficiency": eff,
            "dea_rank": dea_rank,
            "difference_pp": cl,
            "caseload_rank": cl_rank,
            "rank_difference": dea_rank - cl_rank,
            "dea_efficient": efficient,
            "efficient_but_worse_half": efficient & (cl_rank > half),
            "best_half_but_inefficient": (cl_rank <= half) & (dea_rank > half),
        }
    )
    dis["disagree"] = dis["efficient_but_worse_half"] | dis["best_half_but_inefficient"]
    return Sensitivity(
        scenarios=scenarios,
        correlation=correlation,
        disagreement=dis,
        left_out=best,
        shifted=shifted_codes,
        baseline=res,
        super_scores=super_scores,
    )


# ----------------------------------------------------------------------------- command line


def efficiency_table(
    units: JobcentreUnits,
    *,
    orientation: Orientation = "input",
    rts: RTS = "crs",
    shift: float = 0.10,
    seed: int = 0,
    bootstrap: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The tidy unit table written by ``kommunebench efficiency`` and its metadata.

    Columns: ``code`` (unit), ``members``, ``efficiency``, ``theta``/``phi``,
    ``super_efficiency``, ``peers``, ``dea_rank``, ``difference_pp``, ``caseload_rank``,
    ``disagree``, the DEA inputs and outputs and the unit totals (``expenditure_dkk``,
    ``actual``, ``expected``, ``population``, ``exits_to_work``). The potential uses total expenditure (DKK) for
    input orientation and exits to work (persons) for output orientation when available; the
    output orientation adds ``caseload_reduction`` = Σ actual·(1 − 1/φ), the full-time persons
    fewer on benefit if every unit's E/O rose to the frontier at the same expected level.
    With ``bootstrap`` > 0 replicates, :func:`dea_bootstrap` adds ``efficiency_bc``,
    ``efficiency_lower`` and ``efficiency_upper`` (95 % intervals).
    """
    if orientation == "input":
        base = units.totals[["expenditure_dkk"]]
    elif "exits_to_work" in units.totals.columns:
        base = units.totals[["exits_to_work"]]
    else:
        base = None
    sens = sensitivity(
        units.inputs,
        units.outputs,
        caseload=units.caseload,
        orientation=orientation,
        rts=rts,
        base=base,
        shift=shift,
        seed=seed,
    )
    res = sens.baseline
    table = res.scores.copy()
    table["efficient"] = (table["efficiency"] - 1.0).abs() <= 1e-9
    table["super_efficiency"] = sens.super_scores
    table["peers"] = [",".join(map(str, p)) for p in res.peers]
    table["members"] = [",".join(map(str, units.members[c])) for c in table.index]
    for col in ("dea_rank", "difference_pp", "caseload_rank", "disagree"):
        table[col] = sens.disagreement[col]
    table = table.join(units.inputs).join(units.outputs)
    table = table.join(units.totals.drop(columns=[c for c in units.totals.columns if c in table.columns]))
    if bootstrap:
        boot = dea_bootstrap(
            units.inputs, units.outputs, orientation=orientation, rts=rts, replicates=bootstrap, seed=seed
        )
        table["efficiency_bc"] = boot["efficiency_bc"]
        table["efficiency_lower"] = boot["lower"]
        table["efficiency_upper"] = boot["upper"]
    table["orientation"] = orientation
    table["rts"] = rts
    pot = potential(res, base=base)
    if orientation == "output":
        # E/O raised by φ at the same expected level means actual falls to O/φ
        pot["caseload_reduction"] = float((units.totals["actual"] * (1.0 - 1.0 / res.scores["phi"])).sum())
    meta = {
        "orientation": orientation,
        "rts": rts,
        "potential": {str(k): float(v) for k, v in pot.items()},
        "scenarios": sens.scenarios.to_dict(orient="records"),
        "correlation": sens.correlation.reset_index().to_dict(orient="records"),
        "left_out": sens.left_out,
        "shifted": list(sens.shifted),
        "notes": list(units.notes),
        "bootstrap": int(bootstrap),
    }
    return table.reset_index(), meta
