"""Funnel limits as smooth functions of the population size (the funnel plot's lines).

Reference values: a unit whose standard error lies exactly on the fitted curve must get, on the
curve, exactly the limits :func:`funnel_limits` gives it from its own standard error (same
formula, so the tolerance is rounding only, 1e-12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.inference.funnel import funnel_curve_by_size, funnel_limits, se_by_size

N = np.array([900.0, 2_500.0, 8_000.0, 20_000.0, 45_000.0, 120_000.0, 400_000.0])


def test_exact_curve_is_recovered():
    a, b = se_by_size(N, np.sqrt(0.008 + 1_000 / N))
    assert a == pytest.approx(0.008, rel=1e-10)
    assert b == pytest.approx(1_000, rel=1e-10)
    a, b = se_by_size(N, 35 / np.sqrt(N), model="sampling")
    assert a == 0.0
    assert np.sqrt(b) == pytest.approx(35, rel=1e-12)
    # the classical c/√n is the special case a = 0 of the default model
    a, b = se_by_size(N, 35 / np.sqrt(N))
    assert a == pytest.approx(0, abs=1e-14)
    assert np.sqrt(b) == pytest.approx(35, rel=1e-10)


def test_curve_at_each_size_equals_the_units_own_limits():
    se = pd.Series(np.sqrt(0.01 + 700 / N), index=pd.Index(range(101, 108), name="code"))
    own = funnel_limits(pd.Series(np.zeros(len(N)), index=se.index), se, tau2=0.07)
    curve = funnel_curve_by_size(N, se, grid=N, tau2=0.07)
    assert curve["size"].tolist() == N.tolist()
    for col in ("lower95", "upper95", "lower998", "upper998"):
        np.testing.assert_allclose(curve[col].to_numpy(), own[col].to_numpy(), rtol=1e-12)


def test_funnel_narrows_with_size_and_widens_with_tau2():
    rng = np.random.default_rng(4)
    se = np.sqrt(0.005 + 900 / N) * np.exp(rng.normal(0, 0.15, len(N)))
    plain = funnel_curve_by_size(N, se)
    wide = funnel_curve_by_size(N, se, tau2=0.05)
    assert len(plain) == 200
    assert plain["size"].iloc[0] == pytest.approx(N.min())
    assert plain["size"].iloc[-1] == pytest.approx(N.max())
    assert (np.diff(plain["size"]) > 0).all()
    assert (np.diff(plain["upper998"]) <= 0).all()  # a funnel: narrower for larger municipalities
    assert (np.diff(plain["lower998"]) >= 0).all()
    assert (plain["upper998"] > plain["upper95"]).all()
    np.testing.assert_allclose(plain["lower95"], -plain["upper95"], rtol=1e-12)
    assert (wide["upper95"] >= plain["upper95"]).all()
    assert wide.attrs["tau2"] == 0.05
    assert set(wide.attrs) >= {"a", "b", "model", "levels", "target"}


def test_fit_is_relative_so_small_units_count():
    # Sizes span 900 to 400,000, so variances span a factor of about 100. The fit minimises
    # relative errors of the variance, so the large units' small variances are matched as well
    # as the small units' large ones (an absolute fit would leave them off by far more).
    se = np.sqrt(0.004 + 800 / N) * np.array([1.1, 0.9, 1.05, 0.95, 1.1, 0.9, 1.0])
    a, b = se_by_size(N, se)
    ratio = (a + b / N) / se**2
    assert ratio.min() > 0.75
    assert ratio.max() < 1.3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "poisson"}, "model"),
        ({"n_grid": 1}, "n_grid"),
        ({"grid": [0.0, 10.0]}, "grid"),
        ({"tau2": -1.0}, "tau2"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        funnel_curve_by_size(N, 30 / np.sqrt(N), **kwargs)


def test_sizes_and_standard_errors_must_be_positive():
    with pytest.raises(ValueError, match="size"):
        se_by_size(np.array([0.0, 10.0]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="se"):
        se_by_size(np.array([5.0, 10.0]), np.array([1.0, -1.0]))
