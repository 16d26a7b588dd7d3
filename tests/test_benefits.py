import pytest

from analysis.core.benefits import GROUPS, SETS, resolve


def test_sets_nest():
    assert set(SETS["bm2018"]) < set(SETS["bm2019"]) < set(SETS["all"]) == set(GROUPS)
    assert "foertidspension" not in SETS["bm2019"]


def test_resolve_names_and_lists():
    assert resolve("bm2018") == ("bm2018", SETS["bm2018"])
    assert resolve("sygedagpenge,kontanthjaelp,dagpenge") == ("bm2018", SETS["bm2018"])
    assert resolve(["foertidspension"]) == ("foertidspension", ("foertidspension",))
    assert resolve("kontanthjaelp,foertidspension")[0] == "kontanthjaelp+foertidspension"


@pytest.mark.parametrize(
    ("bad", "msg"), [("bm2017", "unknown benefit group"), ("", "empty"), ("dagpenge,dagpenge", "duplicated")]
)
def test_resolve_errors(bad, msg):
    with pytest.raises(ValueError, match=msg):
        resolve(bad)
