"""Every bad-input case is rejected with a message naming the source, the column and the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core.benefits import GROUPS
from analysis.core.validate import (
    InputError,
    validate_aggregates,
    validate_municipalities,
    validate_persons,
    validate_register,
    validate_truth,
)

SRC = "test.parquet"


@pytest.fixture
def persons(small_register):
    return small_register[0].head(2_000).copy()


@pytest.fixture
def mun(small_register):
    return small_register[1].copy()


@pytest.fixture
def truth(small_register):
    return small_register[2].copy()


@pytest.fixture
def agg(small_register):
    from analysis.data.aggregate import aggregate_register

    return aggregate_register(small_register[0], small_register[1])


def _fails(func, df, *patterns):
    with pytest.raises(InputError) as info:
        func(df, source=SRC)
    msg = str(info.value)
    assert SRC in msg
    for pat in patterns:
        assert pat in msg, (pat, msg)
    return msg


def test_valid_tables_pass_unchanged(persons, mun, truth, agg):
    assert validate_persons(persons, source=SRC) is persons
    assert validate_municipalities(mun, source=SRC) is mun
    assert validate_truth(truth, source=SRC) is truth
    assert validate_aggregates(agg, source=SRC) is agg


# --- persons -------------------------------------------------------------------------------


def test_persons_missing_column(persons):
    _fails(
        validate_persons,
        persons.drop(columns=["sygedagpenge", "prior"]),
        "missing column(s) ['prior', 'sygedagpenge']",
    )


def test_persons_unknown_code(persons):
    persons.loc[[4, 9], "code"] = np.int16(999)
    _fails(
        validate_persons, persons, "column 'code'", "unknown municipality code(s) [999]", "first rows [4, 9]"
    )


def test_persons_nan_share(persons):
    persons.loc[7, "dagpenge"] = np.nan
    _fails(validate_persons, persons, "column 'dagpenge'", "expected finite numbers", "first rows [7]")


def test_persons_share_outside_unit_interval(persons):
    persons.loc[2, "kontanthjaelp"] = 1.5
    persons.loc[5, "fleksjob"] = -0.25
    msg = _fails(validate_persons, persons, "column 'kontanthjaelp'", "shares of the year in [0, 1]", "[1.5]")
    assert "column 'fleksjob'" in msg
    assert "first rows [5]" in msg


def test_persons_row_sum_above_one(persons):
    persons.loc[11, list(GROUPS)] = 0.0
    persons.loc[11, ["dagpenge", "sygedagpenge"]] = [0.75, 0.5]
    _fails(validate_persons, persons, "sum to at most 1", "[1.25]", "first rows [11]")


def test_persons_wrong_dtypes(persons):
    persons["age"] = persons["age"].astype(str)
    persons["prior"] = persons["prior"].astype(float)
    persons["exited"] = persons["exited"].astype(int)
    msg = _fails(
        validate_persons,
        persons,
        "column 'age': expected dtype category",
        "column 'prior': expected an integer dtype",
    )
    assert "column 'exited': expected dtype bool" in msg


def test_persons_unknown_category(persons):
    persons["education"] = persons["education"].cat.add_categories(["phd"])
    persons.loc[3, "education"] = "phd"
    _fails(
        validate_persons, persons, "column 'education'", "unknown categor(y/ies) ['phd']", "first rows [3]"
    )


def test_persons_categories_out_of_order(persons):
    persons["sex"] = persons["sex"].cat.reorder_categories(["kvinde", "mand"])
    _fails(validate_persons, persons, "column 'sex'", "not the contract levels in order ['mand', 'kvinde']")


def test_persons_missing_category_value(persons):
    persons.loc[6, "family"] = np.nan
    _fails(validate_persons, persons, "column 'family'", "missing values", "first rows [6]")


def test_persons_prior_out_of_range_and_negative_spell(persons):
    persons.loc[1, "prior"] = 6
    persons.loc[8, "spell_months"] = -2
    msg = _fails(validate_persons, persons, "column 'prior'", "[0, 5]", "first rows [1]")
    assert "column 'spell_months'" in msg
    assert "first rows [8]" in msg


def test_persons_employed_without_exit(persons):
    row = int(np.flatnonzero(~persons["exited"].to_numpy())[0])
    persons.loc[row, "employed_3m"] = True
    _fails(
        validate_persons,
        persons,
        "column 'employed_3m'",
        "False when 'exited' is False",
        f"first rows [{row}]",
    )


def test_persons_exit_without_benefit(persons):
    row = int(np.flatnonzero(persons[list(GROUPS)].sum(axis=1).to_numpy() == 0)[0])
    persons.loc[row, "exited"] = True
    _fails(validate_persons, persons, "column 'exited'", "no benefit", f"first rows [{row}]")


def test_persons_lists_every_problem(persons):
    persons.loc[0, "code"] = np.int16(1)
    persons.loc[0, "dagpenge"] = np.nan
    msg = _fails(validate_persons, persons, "2 problems")
    assert msg.count("\n  - ") == 2


def test_not_a_frame():
    with pytest.raises(InputError, match=r"test\.parquet: expected a pandas DataFrame, got list"):
        validate_persons([1, 2], source=SRC)


# --- municipalities ------------------------------------------------------------------------


def test_municipalities_missing_municipality(mun):
    _fails(
        validate_municipalities, mun[mun["code"] != 825], "1 municipality code(s) missing in year 2024: [825]"
    )


def test_municipalities_duplicated_key(mun):
    dup = pd.concat([mun, mun[mun["code"] == 450]], ignore_index=True)
    _fails(
        validate_municipalities,
        dup,
        "duplicated key(s) [(450, 2024)]",
        "rows [",
        "one row per municipality and year",
    )


def test_municipalities_unknown_code(mun):
    mun.loc[0, "code"] = np.int16(411)  # Christiansø is not a municipality
    msg = _fails(validate_municipalities, mun, "unknown municipality code(s) [411]")
    assert "missing in year 2024: [101]" in msg


def test_municipalities_nan_negative_and_share(mun):
    mun.loc[mun["code"] == 101, "unemployment_rate"] = np.nan
    mun.loc[mun["code"] == 147, "expenditure"] = -1.0
    mun.loc[mun["code"] == 151, "no_offer_share"] = 1.2
    msg = _fails(validate_municipalities, mun, "column 'unemployment_rate'", "NaN", "codes [101]")
    assert "column 'expenditure'" in msg
    assert "codes [147]" in msg
    assert "column 'no_offer_share'" in msg
    assert "a share in [0, 1]" in msg
    assert "codes [151]" in msg


def test_municipalities_population_and_counts(mun):
    mun.loc[mun["code"] == 461, "population"] = 0
    mun["exits_to_work"] = mun["exits_to_work"].astype(float)
    mun.loc[mun["code"] == 751, "exits_to_work"] = 2.5
    msg = _fails(validate_municipalities, mun, "column 'population'", "positive number", "codes [461]")
    assert "column 'exits_to_work'" in msg
    assert "whole numbers" in msg
    assert "codes [751]" in msg


def test_municipalities_name_mismatch(mun):
    mun.loc[mun["code"] == 450, "name"] = "Aarhus"
    _fails(validate_municipalities, mun, "column 'name'", "450: 'Aarhus' (registry 'Nyborg')")


def test_municipalities_wrong_dtype(mun):
    mun["code"] = mun["code"].astype(str)
    mun["urbanisation"] = mun["urbanisation"].astype(str)
    msg = _fails(validate_municipalities, mun, "column 'code': expected an integer dtype")
    assert "column 'urbanisation': expected a numeric" in msg


def test_register_population_must_match(persons, mun):
    with pytest.raises(InputError, match=r"population.*does not equal the number of person rows"):
        validate_register(persons, mun, source="reg")


# --- truth ---------------------------------------------------------------------------------


def test_truth_problems(truth):
    truth["benefit"] = truth["benefit"].astype(str)
    truth.loc[0, "benefit"] = "boligstoette"
    truth.loc[1, "effect"] = np.nan
    msg = _fails(
        validate_truth,
        truth,
        "unknown benefit group(s) ['boligstoette']",
        "column 'effect'",
        "first rows [1]",
    )
    assert "first rows [0]" in msg


def test_truth_missing_municipality_and_duplicate(truth):
    _fails(validate_truth, truth[truth["code"] != 101], "1 municipality code(s) missing: [101]")
    dup = pd.concat([truth, truth.head(1)], ignore_index=True)
    _fails(validate_truth, dup, "duplicated key(s)", "codes [101]")


def test_truth_incomplete_groups(truth):
    bad = truth.drop(index=truth.index[(truth["code"] == 450) & (truth["benefit"] == "fleksjob")])
    _fails(validate_truth, bad, "code(s) [450] lack some of the 7 benefit groups")


# --- aggregates ----------------------------------------------------------------------------


def test_aggregates_missing_municipality_and_duplicate(agg):
    _fails(validate_aggregates, agg[agg["code"] != 101], "missing in year 2024: [101]")
    dup = pd.concat([agg, agg.tail(1)], ignore_index=True)
    _fails(validate_aggregates, dup, "duplicated key(s) [(860, 2024)]")


def test_aggregates_negative_nan_and_too_many(agg):
    agg.loc[agg["code"] == 101, "ft_dagpenge"] = -1.0
    agg.loc[agg["code"] == 147, "x_urbanisation"] = np.nan
    agg.loc[agg["code"] == 825, "ft_kontanthjaelp"] = 1e6
    msg = _fails(validate_aggregates, agg, "column 'ft_dagpenge'", "non-negative", "codes [101]")
    assert "column 'x_urbanisation'" in msg
    assert "codes [147]" in msg
    assert "column 'ft_kontanthjaelp': full-time persons exceed the population" in msg
    assert "codes [825]" in msg


def test_aggregates_unknown_group_and_no_ft(agg):
    _fails(
        validate_aggregates,
        agg.rename(columns={"ft_dagpenge": "ft_boligstoette"}),
        "['ft_boligstoette']",
        "unknown benefit group",
    )
    _fails(validate_aggregates, agg.drop(columns=[f"ft_{g}" for g in GROUPS]), "no ft_<group> column")


def test_aggregates_zero_population_and_missing_column(agg):
    agg.loc[agg["code"] == 450, "population"] = 0
    _fails(validate_aggregates, agg, "column 'population'", "found 0", "codes [450]")
    _fails(validate_aggregates, agg.drop(columns=["population"]), "missing column(s) ['population']")


def test_aggregates_wrong_dtype(agg):
    agg["x_sex_kvinde"] = agg["x_sex_kvinde"].astype(str)
    _fails(validate_aggregates, agg, "column 'x_sex_kvinde': expected a numeric")
