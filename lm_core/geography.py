"""The canonical geography: current councils on 2024 codes, and the lineage of retired codes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

LOWER_PREFIXES = ("E06", "E07", "E08", "E09")
UPPER_PREFIXES = ("E06", "E08", "E09", "E10")
ENGLAND_CODE = "E92000001"
VINTAGE = 2024

# ONS gave Barnsley and Sheffield new codes in 2025 after a boundary change; the product keys on
# 2024 codes (the vintage most sources share), so the 2025 codes are read back as these.
CODES_2025_TO_2024: dict[str, str] = {"E08000038": "E08000016", "E08000039": "E08000019"}

# Non-council codes that some publishers use for exactly one current council's ground.
PARTNERSHIP_CODES: dict[str, tuple[str, str, str]] = {
    "E50000009": ("Somerset Waste Partnership", "E06000066",
                  "the partnership served the same ground as Somerset Council"),
}

LINEAGE_COLUMNS = ("old_code", "old_name", "new_code", "new_name", "kind", "effective", "reason")


@dataclass(frozen=True)
class Geography:
    """Current authorities plus the lineage table, built once from the register."""

    authorities: pd.DataFrame
    lineage: pd.DataFrame
    existence: pd.DataFrame  # every code ever seen: code, name, start_date, end_date


def is_lower(code: str) -> bool:
    """A lower-tier or unitary council (the 296 set)."""
    return code.startswith(LOWER_PREFIXES)


def is_upper(code: str) -> bool:
    """An upper-tier or unitary authority (the 153 set)."""
    return code.startswith(UPPER_PREFIXES)


def tier_label(code: str) -> str:
    """Plain words for which tiers an authority sits in."""
    if is_lower(code) and is_upper(code):
        return "unitary (both tiers)"
    return "lower tier (district)" if is_lower(code) else "upper tier (county)"


def _former_name(row: pd.Series) -> str:
    """A retired county's name says it was the county, so it is not mistaken for its successor."""
    name = str(row["old_name"])
    if str(row["old_code"]).startswith("E10") and "County" not in name:
        return f"{name} County Council"
    return name


def build_geography(register: pd.DataFrame) -> Geography:
    """Authorities on 2024 codes and a lineage from every retired code to its successor(s)."""
    by_reg = register.set_index("register_code")
    current = register[register["current"]]
    councils = current[current["area_code"].str.startswith(("E06", "E07", "E08", "E09", "E10"))]

    def reg_name(reg: str) -> str:
        return str(by_reg.at[reg, "area_name"]) if reg in by_reg.index else ""

    def reg_gss(reg: str) -> str:
        return str(by_reg.at[reg, "area_code"]) if reg in by_reg.index else ""

    lineage = _lineage_rows(register, reg_gss, reg_name)
    earlier = lineage[lineage["kind"].isin(["merger", "recode"]) & ~lineage["old_code"].isin(CODES_2025_TO_2024)]
    preds = (
        earlier.assign(
            label=lambda d: d.apply(_former_name, axis=1)
            + " (" + d["old_code"]
            + d["effective"].str[:4].map(lambda y: f", until {y}" if y else "") + ")"
        )
        .groupby("new_code")["label"]
        .agg(lambda s: "; ".join(sorted(s)))
    )
    authorities = pd.DataFrame(
        {
            "area_code": councils["area_code"],
            "area_name": councils["area_name"],
            "official_name": councils["official_name"],
            "type_code": councils["type_code"],
            "type_name": councils["type_name"],
            "is_lower": councils["area_code"].map(is_lower),
            "is_upper": councils["area_code"].map(is_upper),
            "region": councils["region"].replace("", "London"),
            "county_code": councils["county_register_code"].map(reg_gss),
            "county_name": councils["county_register_code"].map(reg_name),
            "ca_code": councils["ca_register_code"].map(reg_gss),
            "ca_name": councils["ca_register_code"].map(reg_name),
            "population_2020": councils["population_2020"],
            "area_km2": councils["area_km2"],
        }
    )
    authorities["tier"] = authorities["area_code"].map(tier_label)
    authorities["predecessors"] = authorities["area_code"].map(preds).fillna("")
    authorities = authorities.sort_values("area_code").reset_index(drop=True)
    existence = pd.DataFrame(
        {
            "code": register["area_code"],
            "name": register["area_name"],
            "start_date": register["start_date"],
            "end_date": register["end_date"],
            "population_2020": register["population_2020"],
        }
    )
    extra = pd.DataFrame(
        {
            "code": list(CODES_2025_TO_2024),
            "name": [reg_name("BNS"), reg_name("SHF")],
            "start_date": ["2025-04-01", "2025-04-01"],
            "end_date": ["", ""],
            "population_2020": [float("nan"), float("nan")],
        }
    )
    existence = pd.concat([existence, extra], ignore_index=True)
    return Geography(authorities=authorities, lineage=lineage, existence=existence)


def _lineage_rows(
    register: pd.DataFrame, reg_gss: Callable[[str], str], reg_name: Callable[[str], str]
) -> pd.DataFrame:
    """One row per retired code: where its figures go, and whether they can go there at all."""
    rows: list[dict[str, str]] = []
    former = register[~register["current"] & (register["replaced_by"] != "")]
    # A retired county whose districts all went to one successor covered the same ground as it.
    def final(reg: str) -> str:
        seen = set()
        while reg in set(former["register_code"]) and reg not in seen:
            seen.add(reg)
            nxt = former.loc[former["register_code"] == reg, "replaced_by"].iloc[0].split(",")
            if len(nxt) != 1:
                return reg
            reg = nxt[0]
        return reg

    county_successors: dict[str, set[str]] = {}
    for _, r in former.iterrows():
        if r["county_register_code"]:
            finals = {final(s) for s in r["replaced_by"].split(",")}
            county_successors.setdefault(r["county_register_code"], set()).update(finals)

    for _, r in former.iterrows():
        successors = r["replaced_by"].split(",")
        base = {"old_code": r["area_code"], "old_name": r["area_name"], "effective": r["end_date"]}
        if len(successors) > 1:
            names = " and ".join(reg_name(s) for s in successors)
            for s in successors:
                rows.append(base | {"new_code": reg_gss(s), "new_name": reg_name(s), "kind": "split",
                                    "reason": f"{r['area_name']} was split between {names}; "
                                              "its figures cannot be divided between them"})
            continue
        succ = final(successors[0])
        if r["type_code"] == "CTY":
            same_ground = county_successors.get(r["register_code"], set()) == {succ}
            kind = "recode" if same_ground else "partial"
            reason = ("same area under a new authority" if same_ground else
                      f"{r['area_name']} covered a different area from {reg_name(succ)}; not carried")
        else:
            kind, reason = "merger", f"merged into {reg_name(succ)}"
        rows.append(base | {"new_code": reg_gss(succ), "new_name": reg_name(succ), "kind": kind, "reason": reason})
    current = register[register["current"]]
    for _, r in current[current["former_gss_codes"] != ""].iterrows():
        for old in r["former_gss_codes"].split(","):
            rows.append({"old_code": old.strip(), "old_name": r["area_name"], "new_code": r["area_code"],
                         "new_name": r["area_name"], "kind": "recode", "effective": "",
                         "reason": "same authority under an earlier code"})
    for new, old in CODES_2025_TO_2024.items():
        matches = current.loc[current["area_code"] == old, "area_name"]
        if matches.empty:
            continue
        name = str(matches.iloc[0])
        rows.append({"old_code": new, "old_name": name, "new_code": old, "new_name": name, "kind": "recode",
                     "effective": "2025-04-01",
                     "reason": "2025 code read back to the 2024 code the product uses (boundary change in 2025)"})
    for old_code, (old_name, new_code, reason) in PARTNERSHIP_CODES.items():
        successor = current.loc[current["area_code"] == new_code, "area_name"]
        if successor.empty:
            continue
        name = str(successor.iloc[0])
        rows.append({"old_code": old_code, "old_name": old_name, "new_code": new_code, "new_name": name,
                     "kind": "recode", "effective": "", "reason": reason})
    out = pd.DataFrame(rows, columns=list(LINEAGE_COLUMNS))
    return out.sort_values(["new_code", "old_code"]).reset_index(drop=True)
