"""Benefit groups (ydelsesgrupper) and the named benefit sets.

Column names in the person register and in aggregates use the ASCII keys below; Danish labels
are for display.

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

LABELS: dict[str, str] = {
    "dagpenge": "A-dagpenge mv.",
    "kontanthjaelp": "Kontanthjælp mv.",
    "sygedagpenge": "Sygedagpenge mv.",
    "foertidspension": "Førtidspension",
    "fleksjob": "Fleksjob",
    "ledighedsydelse": "Ledighedsydelse",
    "ressourceforloeb": "Ressourceforløb",
}

SETS: dict[str, tuple[str, ...]] = {
    "bm2018": ("dagpenge", "kontanthjaelp", "sygedagpenge"),
    "bm2019": ("dagpenge", "kontanthjaelp", "sygedagpenge", "ledighedsydelse", "ressourceforloeb"),
    "all": GROUPS,
}

SET_LABELS: dict[str, str] = {
    "bm2018": "Beskæftigelsesministeriets benchmark 2018 (dagpenge, kontanthjælp, sygedagpenge)",
    "bm2019": "Benchmark fra 2019 (+ ledighedsydelse og ressourceforløb)",
    "all": "Alle ydelsesgrupper (inkl. førtidspension og fleksjob)",
}


def resolve(benefits: str | list[str] | tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Resolve a set name or a list of group keys to ``(name, groups)``.

    Raises
    ------
    ValueError
        Naming the unknown entry and the valid choices.
    """
    if isinstance(benefits, str):
        key = benefits.strip()
        if key in SETS:
            return key, SETS[key]
        parts = [p.strip() for p in key.split(",") if p.strip()]
    else:
        parts = [str(p).strip() for p in benefits]
    if not parts:
        raise ValueError("benefits: empty benefit set; give bm2018, bm2019, all or a,b,c")
    unknown = [p for p in parts if p not in GROUPS]
    if unknown:
        raise ValueError(
            f"benefits: unknown benefit group(s) {unknown}; expected a set "
            f"({', '.join(SETS)}) or comma-separated groups from {', '.join(GROUPS)}"
        )
    if len(set(parts)) != len(parts):
        raise ValueError(f"benefits: duplicated group in {parts}")
    groups = tuple(g for g in GROUPS if g in parts)  # canonical order
    for name, members in SETS.items():
        if members == groups:
            return name, groups
    if len(groups) == 1:
        return groups[0], groups
    return "+".join(groups), groups


def label(set_or_group: str) -> str:
    """Danish label of a group or set name."""
    return LABELS.get(set_or_group) or SET_LABELS.get(set_or_group) or set_or_group
