"""Aggregates of a register: sums, shares and the file written by the command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core.benefits import GROUPS
from analysis.core.io import read_parquet_metadata
from analysis.core.validate import CATEGORIES, LOCAL_COLUMNS, InputError
from analysis.data.aggregate import aggregate_register, covariate_column, covariate_columns
from analysis.data.synth import generate


def main(argv: list[str]) -> int:
    """``kommunebench aggregate ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["aggregate", *argv])


@pytest.fixture(scope="module")
def agg(small_register):
    return aggregate_register(small_register[0], small_register[1])


def test_columns_and_keys(agg, small_register):
    assert list(agg.columns) == [
        "code",
        "year",
        "name",
        "population",
        *(f"ft_{g}" for g in GROUPS),
        *covariate_columns(),
    ]
    assert {"x_age_25_29", "x_sex_kvinde", "x_origin_ikke_vestlig", "x_prior_mean"} <= set(agg.columns)
    # one reference level per covariate is left out
    assert "x_age_16_24" not in agg.columns
    assert "x_sex_mand" not in agg.columns
    assert len(agg) == 98
    assert agg["code"].is_monotonic_increasing
    assert agg.attrs["synthetic"] is True


def test_population_and_local_columns(agg, small_register):
    persons, mun, _ = small_register
    counts = persons.groupby("code").size()
    assert (agg.set_index("code")["population"] == counts.reindex(agg["code"]).to_numpy()).all()
    m = mun.set_index("code").reindex(agg["code"])
    for c in LOCAL_COLUMNS:
        np.testing.assert_array_equal(agg[f"x_{c}"].to_numpy(), m[c].to_numpy())


def test_full_time_sums_exact_with_dyadic_shares(small_register):
    """Quarter-year shares are exact binary fractions, so any summation order gives the same sum."""
    persons, mun, _ = small_register
    p = persons.copy()
    for g in GROUPS:
        p[g] = np.ceil(p[g] * 4) / 4  # rounding up keeps persons with a benefit on it
    out = aggregate_register(p, mun)
    ref = p.groupby("code")[list(GROUPS)].sum()
    for g in GROUPS:
        assert (out.set_index("code")[f"ft_{g}"] == ref[g].reindex(out["code"]).to_numpy()).all(), g
        assert out[f"ft_{g}"].sum() == p[g].sum()


def test_full_time_sums_match_persons(agg, small_register):
    """Twelfths are not exact in binary; sums of 20,000 terms agree to rounding (1e-12 relative)."""
    persons = small_register[0]
    for g in GROUPS:
        assert agg[f"ft_{g}"].sum() == pytest.approx(persons[g].sum(), rel=1e-12)


def test_covariate_shares(agg, small_register):
    persons = small_register[0]
    a = agg.set_index("code")
    for cov, levels in CATEGORIES.items():
        ref = pd.crosstab(persons["code"], persons[cov], normalize="index").reindex(a.index)
        cols = [covariate_column(cov, lv) for lv in levels[1:]]
        # independent shares by crosstab; 1e-12 covers the different division order
        np.testing.assert_allclose(a[cols].to_numpy(), ref[list(levels[1:])].to_numpy(), rtol=0, atol=1e-12)
        # with the reference level the shares of each covariate sum to one
        np.testing.assert_allclose(a[cols].sum(axis=1) + ref[levels[0]], 1.0, rtol=0, atol=1e-12)
        assert ((a[cols] >= 0) & (a[cols] <= 1)).all().all()
    prior = persons.groupby("code")["prior"].mean().reindex(a.index)
    np.testing.assert_allclose(a["x_prior_mean"], prior, rtol=1e-12)


def test_several_years_and_determinism():
    reg = generate(n_persons=3_000, seed=2, years=(2023, 2024))
    a = aggregate_register(reg.persons, reg.municipalities)
    b = aggregate_register(reg.persons, reg.municipalities)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 196
    assert a.groupby("year")["code"].nunique().tolist() == [98, 98]
    assert a["population"].sum() == 6_000


def test_missing_municipality_rows_rejected(small_register):
    persons, mun, _ = small_register
    with pytest.raises(InputError, match=r"825"):
        aggregate_register(persons, mun[mun["code"] != 825])
    with pytest.raises(InputError, match=r"no persons for 1 municipality-year"):
        aggregate_register(persons[persons["code"] != 825], mun, validate=False)


def test_cli_writes_aggregates(tmp_path, small_register_dir, agg, capsys):
    out = tmp_path / "agg.parquet"
    assert main(["--data", str(small_register_dir), "--out", str(out)]) == 0
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, agg, check_dtype=False)
    assert read_parquet_metadata(out)["synthetic"] is True
    assert "SYNTHETIC" in capsys.readouterr().out
    assert main(["--data", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err
