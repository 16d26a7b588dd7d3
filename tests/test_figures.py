"""Figures draw what the tidy frames hold (checked on the artists), and reject frames that lack columns."""

import numpy as np
import pandas as pd
import pytest

from analysis.core.municipalities import registry
from analysis.report import figures
from analysis.report.theme import ACCENT


@pytest.fixture(scope="module")
def tidy():
    rng = np.random.default_rng(0)
    reg = registry()
    n = len(reg)
    d = rng.normal(0, 1, n)
    se = rng.uniform(0.2, 0.6, n)
    df = pd.DataFrame(
        {
            "code": reg["code"].to_numpy(),
            "name": reg["name"].to_numpy(),
            "population": reg["population_total"].to_numpy() * 0.63,
            "difference_pp": d,
            "ci_lower_pp": d - 1.96 * se,
            "ci_upper_pp": d + 1.96 * se,
        }
    )
    df["rank"] = df["difference_pp"].rank(method="first").astype(int)
    df["rank_lower"] = (df["rank"] - 5).clip(lower=1)
    df["rank_upper"] = (df["rank"] + 5).clip(upper=n)
    df["rank_cs_lower"] = (df["rank"] - 9).clip(lower=1)
    df["rank_cs_upper"] = (df["rank"] + 9).clip(upper=n)
    for lvl, z in (("95", 1.96), ("998", 3.09)):
        df[f"funnel_lower{lvl}"] = -z * se
        df[f"funnel_upper{lvl}"] = z * se
    return df


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_caterpillar_highlights_case_only(tidy):
    fig = figures.caterpillar(tidy, highlight=450)
    ax = fig.axes[0]
    assert "Nyborg" in _texts(fig)
    pts = ax.collections[-1]
    faces = pts.get_facecolors()
    accent = np.array([int(ACCENT[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    n_accent = int(np.sum(np.all(np.isclose(faces[:, :3], accent), axis=1)))
    assert n_accent == 1
    assert len(pts.get_offsets()) == 98


def test_caterpillar_pp_plots_differences(tidy):
    fig = figures.caterpillar(tidy, interval="pp")
    y = np.asarray(fig.axes[0].collections[-1].get_offsets())[:, 1]
    np.testing.assert_allclose(y, tidy.sort_values("rank")["difference_pp"].to_numpy())


def test_funnel_plot_points_and_case(tidy):
    fig = figures.funnel_plot(tidy, highlight=101)
    pts = np.asarray(fig.axes[0].collections[-1].get_offsets())
    assert len(pts) == 98
    assert "København" in _texts(fig)


def test_missing_columns_are_named(tidy):
    with pytest.raises(ValueError, match=r"caterpillar: the frame lacks column\(s\) \['rank_lower'"):
        figures.caterpillar(tidy.drop(columns=["rank_lower"]))
    with pytest.raises(ValueError, match="interval"):
        figures.caterpillar(tidy, interval="bogus")


def test_slope_and_quadrant(tidy):
    table = tidy[["code", "name"]].assign(
        rank_bm2018=tidy["rank"],
        rank_all=tidy["rank"].sample(frac=1, random_state=1).to_numpy(),
        resid_kontanthjaelp=tidy["difference_pp"],
        resid_foertidspension=-tidy["difference_pp"] + 0.1,
    )
    fig = figures.slope_chart(table, highlight=[450])
    assert "Nyborg" in _texts(fig)
    fig = figures.quadrant(table, highlight=[450, 101])
    assert {"Nyborg", "København"} <= set(_texts(fig))


def test_decomposition_bars_values():
    decomp = pd.DataFrame({"demography": [0.5], "education": [-0.25], "total": [0.25]}, index=[450])
    fig = figures.decomposition_bars(decomp, 450)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == [0.5, -0.25, 0.25]  # the blocks, then their total
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["demography", "education", "I alt"]
    with pytest.raises(ValueError, match="not in the decomposition"):
        figures.decomposition_bars(decomp, 101)
