"""Benefit groups (ydelsesgrupper) and the named benefit sets.

Column names in the person register and in aggregates use the ASCII keys below; their Danish
labels live in :mod:`analysis.report.labels`, and a set is parsed by
:meth:`analysis.core.params.BenefitSet.parse`.

Sets
----
``bm2018``  the Ministry's first benchmark (2018): dagpenge, kontanthjælp and sygedagpenge areas.
``bm2019``  from May 2019: ``bm2018`` plus ledighedsydelse and ressourceforløb.
``all``     every group, adding førtidspension and fleksjob (KL's all-benefits reading).
A comma-separated list of keys (``"kontanthjaelp,foertidspension"``) is a user-given set.
"""

from __future__ import annotations

GROUPS: tuple[str, ...] = (
    "dagpenge",
    "kontanthjaelp",
    "sygedagpenge",
    "foertidspension",
    "fleksjob",
    "ledighedsydelse",
    "ressourceforloeb",
)

SETS: dict[str, tuple[str, ...]] = {
    "bm2018": ("dagpenge", "kontanthjaelp", "sygedagpenge"),
    "bm2019": ("dagpenge", "kontanthjaelp", "sygedagpenge", "ledighedsydelse", "ressourceforloeb"),
    "all": GROUPS,
}
