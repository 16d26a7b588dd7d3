"""Comparison groups: never own peer, determinism, tie-breaking by code, k bounds, DEA peers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.yardsticks.frontier import dea
from analysis.yardsticks.peers import (
    comparison_group,
    comparison_groups,
    contiguous_clusters,
    dea_peers,
    expected_share_groups,
)


def main(argv: list[str]) -> int:
    """``kommunebench peers ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["peers", *argv])


def _features(n: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "code": np.arange(101, 101 + 2 * n, 2),
            "unemployment_rate": rng.uniform(2, 7, size=n),
            "jobs_per_resident": rng.uniform(0.5, 1.2, size=n),
            "urbanisation": rng.uniform(0.1, 0.9, size=n),
        }
    )


def test_never_own_peer_and_k_rows():
    out = comparison_groups(_features(), k=7)
    assert (out["code"] != out["peer"]).all()
    assert (out.groupby("code").size() == 7).all()
    assert (
        out.groupby("code")["rank"].apply(list)
        == pd.Series([list(range(1, 8))] * 20, index=sorted(out["code"].unique()))
    ).all()
    # within a group, distances are non-decreasing in rank
    assert (out.groupby("code")["distance"].diff().fillna(0) >= 0).all()
    assert not out.duplicated(["code", "peer"]).any()


def test_distance_matches_independent_zscore_computation():
    f = _features(n=12, seed=3).set_index("code")
    z = (f - f.mean()) / f.std(ddof=0)
    from scipy.spatial.distance import cdist

    d = pd.DataFrame(cdist(z, z), index=f.index, columns=f.index)
    out = comparison_groups(f, k=3)
    for row in out.itertuples():
        # scipy's Euclidean distance on the same z-scores; floating-point agreement
        assert row.distance == pytest.approx(d.loc[row.code, row.peer], abs=1e-12)
    # the 3 nearest by scipy are the chosen peers
    for c in f.index:
        best = d.loc[c].drop(c).sort_values(kind="stable").index[:3].tolist()
        assert out.loc[out["code"] == c, "peer"].tolist() == best


def test_deterministic_and_order_invariant():
    f = _features()
    a = comparison_groups(f, k=5)
    b = comparison_groups(f.sample(frac=1.0, random_state=1), k=5)
    pd.testing.assert_frame_equal(
        a.sort_values(["code", "rank"]).reset_index(drop=True),
        b.sort_values(["code", "rank"]).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(a, comparison_groups(f, k=5))


def test_symmetric_ties_resolved_by_code():
    # 147 sits exactly between 101 and 151 (0.1 is not exact in binary: the rounding rule matters)
    s = pd.Series({151: 0.3, 101: 0.1, 147: 0.2, 153: 0.9})
    out = expected_share_groups(s, k=2)
    assert out.loc[out["code"] == 147, "peer"].tolist() == [101, 151]
    # two-dimensional symmetric tie: four points on a circle around the centre 200
    f = pd.DataFrame(
        {"a": [0.0, 1.0, -1.0, 0.0, 0.0], "b": [0.0, 0.0, 0.0, 1.0, -1.0]}, index=[200, 160, 170, 150, 180]
    )
    g = comparison_group(f, 200, k=4, standardise=False)
    assert g["peer"].tolist() == [150, 160, 170, 180]
    assert np.allclose(g["distance"], 1.0)


def test_expected_share_from_tidy_frame():
    tidy = pd.DataFrame(
        {"code": [101, 147, 151], "expected": [10.0, 30.0, 12.0], "population": [100.0, 100.0, 100.0]}
    )
    out = expected_share_groups(tidy, k=1)
    assert out.set_index("code")["peer"].to_dict() == {101: 151, 147: 151, 151: 101}
    assert out.set_index("code").loc[147, "distance"] == pytest.approx(0.18)


@pytest.mark.parametrize("k", [0, 20, -1, 2.5, True])
def test_k_bounds(k):
    with pytest.raises(ValueError, match="k: expected an integer between 1 and 19"):
        comparison_groups(_features(), k=k)


def test_bad_features():
    f = _features()
    f.loc[3, "urbanisation"] = np.nan
    with pytest.raises(ValueError, match=r"'urbanisation'.*\[107\]"):
        comparison_groups(f)
    f = _features().assign(constant=1.0)
    with pytest.raises(ValueError, match="constant"):
        comparison_groups(f)
    with pytest.raises(ValueError, match="missing column"):
        comparison_groups(_features(), columns=["nope"])
    with pytest.raises(ValueError, match="code: 999"):
        comparison_group(_features(), 999)


def test_contiguous_clusters():
    s = pd.Series(np.linspace(0, 1, 21), index=range(101, 122))
    cl = contiguous_clusters(s, size=7)
    assert sorted(cl.unique()) == [1, 2, 3]
    assert cl.value_counts().tolist() == [7, 7, 7]
    # contiguous: clusters increase with the index
    assert cl.loc[s.sort_values().index].is_monotonic_increasing


def test_dea_peers_are_frontier_units():
    rng = np.random.default_rng(0)
    idx = pd.Index(range(101, 113), name="code")
    x = pd.DataFrame({"cost": rng.uniform(1, 5, 12)}, index=idx)
    y = pd.DataFrame({"a": rng.uniform(1, 5, 12), "b": rng.uniform(1, 5, 12)}, index=idx)
    res = dea(x, y)
    peers = dea_peers(res)
    assert set(peers["peer"]) <= set(res.frontier_units)
    assert set(peers["code"]) == set(idx)
    assert (peers["lambda"] > 0).all()


def test_peers_command(tmp_path, capsys):
    from analysis.core.io import read_parquet_metadata
    from analysis.data.synth import write_register

    folder = write_register(tmp_path / "register", n_persons=4_000, seed=4)
    out = tmp_path / "peers.parquet"
    assert main(["--data", str(folder), "--k", "5", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert len(table) == 98 * 5
    assert (table["code"] != table["peer"]).all()
    assert read_parquet_metadata(out)["synthetic"] is True
    assert "SYNTHETIC" in capsys.readouterr().out
    out2 = tmp_path / "peers2.parquet"
    assert main(["--data", str(folder), "--method", "expected", "--out", str(out2)]) == 0
    assert len(pd.read_parquet(out2)) == 98 * 7
    rc = main(["--data", str(folder), "--k", "98", "--out", str(tmp_path / "x.parquet")])
    assert rc == 2
    assert "k: expected an integer between 1 and 97" in capsys.readouterr().err
