"""Who published a report: the agency's region (GB/T 2260), level, kind and parent government.

A name is read left to right against the division tree (``xxgk.divisions``): province, city,
county, town, each optional, current or former names; what is left says the kind of agency.
The canonical agency is the region's code plus that kind, so 洪泽区人民政府 and
淮安市洪泽区人民政府 are one agency with one key. A name whose region is not found, or is
found in more than one place (城区 is a district of three cities), is not guessed: it stays
unresolved, keyed by its own name, with the reason.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from xxgk.divisions import Division, division_tree

GOVERNMENT = "人民政府"
GOVERNMENT_OFFICE = "人民政府办公室"
DEPARTMENT = "部门"
DEVELOPMENT_ZONE = "开发区/管委会"
TOWNSHIP = "街道/乡镇"
LEVELS = ("province", "city", "county", "township")

_GOVERNMENT = re.compile(r"^(人民)?政府$|^$")
_OFFICE = re.compile(r"^(人民)?政府办(公室|公厅)?$")
_ZONE = re.compile(r"开发区|管委会|管理委员会|高新区|新区|园区|保税区|试验区|合作区|示范区")
_TOWN_BODY = re.compile(r"^(人民政府|政府|办事处|街道办事处)?$")
_TOWN_NAME = re.compile(r"^([\u4e00-\u9fff]{1,8}?(?:街道|镇|乡))(人民政府|政府|办事处)?$")


@dataclass(frozen=True)
class Agency:
    printed: str  # the name as the report gives it
    name: str  # canonical: the official form, e.g. 淮安市洪泽区人民政府
    key: str  # stable across loads: region code / town / kind, or the printed name when unresolved
    province_code: str | None = None
    province: str | None = None
    city_code: str | None = None
    city: str | None = None
    county_code: str | None = None
    county: str | None = None
    town: str | None = None
    level: str | None = None
    kind: str | None = None
    parent_key: str | None = None
    parent_name: str | None = None
    renamed_from: str | None = None  # a former division name the report used (e.g. 襄樊市)
    problem: str | None = None  # why it is not resolved

    @property
    def agency_id(self) -> str:
        return agency_id(self.key)

    @property
    def parent_id(self) -> str | None:
        return agency_id(self.parent_key) if self.parent_key else None

    @property
    def region_code(self) -> str | None:
        return self.county_code or self.city_code or self.province_code


def agency_id(key: str) -> str:
    """12 hex of md5: for an unresolved agency, the same id as before regions existed."""
    return hashlib.md5(key.encode("utf-8")).hexdigest()[:12]


def resolve_agency(printed: str) -> Agency:
    name = re.sub(r"\s+", "", printed)
    chain, rest, problem = _regions(name)
    if problem:
        return Agency(printed, name, name, problem=problem)
    if not chain:
        return Agency(printed, name, name, problem="no province, city or county of GB/T 2260 at the start of the name")
    deepest = chain[-1]
    town, rest = _town(deepest, rest)
    kind = _kind(rest, town)
    level = "township" if town else deepest.level
    where = _place(chain)
    renamed = next((d.renamed_from for d in chain if d.renamed_from), None)
    canonical = _prefix(deepest) + (_town_body(town) if town else _institution(kind, level, rest))
    key = f"{deepest.code}|{town or ''}|{kind if kind != DEPARTMENT and kind != DEVELOPMENT_ZONE else rest}"
    parent = _parent(deepest, town, kind)
    return Agency(
        printed, canonical, key, **where, town=town, level=level, kind=kind,
        parent_key=parent[0] if parent else None, parent_name=parent[1] if parent else None, renamed_from=renamed,
    )


def _regions(name: str) -> tuple[list[Division], str, str | None]:
    """The divisions named at the start of `name`, outermost first, and the rest of the name."""
    tree = division_tree()
    chain: list[Division] = []
    rest = name
    for level in ("province", "city", "county"):
        within = chain[-1] if chain else None
        if within is not None and within.level == "county":
            break
        found = _longest_prefix(tree, level, rest, within)
        if found is None:
            continue
        matched, candidates = found
        if len(candidates) > 1:
            places = "、".join(sorted(f"{d.province}{d.city or ''}{d.name}（{d.code}）" for d in candidates))
            return chain, rest, f"{matched} is ambiguous: {places}"
        division = candidates[0]
        if chain and chain[-1].code == division.code:  # 上海市 is both province and city
            rest = rest[len(matched):]
            continue
        chain.append(division)
        rest = rest[len(matched):]
    return chain, rest, None


def _longest_prefix(tree, level: str, text: str, within: Division | None):
    for length in range(min(len(text), 12), 1, -1):
        candidates = tree.named(level, text[:length], within)
        if candidates:
            return text[:length], candidates
    return None


def _town(county: Division, rest: str) -> tuple[str | None, str]:
    if county.level != "county":
        return None, rest
    for town in sorted(division_tree().towns.get(county.code, []), key=len, reverse=True):
        if rest.startswith(town) and _TOWN_BODY.match(rest[len(town):]):
            return town, rest[len(town):]
    m = _TOWN_NAME.match(rest)  # a town the tree does not list (yet): named by the report
    return (m.group(1), m.group(2) or "") if m else (None, rest)


def _kind(rest: str, town: str | None) -> str:
    if town:
        return TOWNSHIP
    if _GOVERNMENT.match(rest):
        return GOVERNMENT
    if _OFFICE.match(rest):
        return GOVERNMENT_OFFICE
    if _ZONE.search(rest):
        return DEVELOPMENT_ZONE
    return DEPARTMENT


def _place(chain: list[Division]) -> dict:
    d = chain[-1]
    county = d if d.level == "county" else None
    return {
        "province_code": d.province_code, "province": d.province,
        "city_code": d.city_code, "city": d.city,
        "county_code": county.code if county else None, "county": county.name if county else None,
    }


def _prefix(d: Division) -> str:
    """How the official name starts: a district (区) is named with its city, 淮安市洪泽区."""
    if d.level == "county" and d.name.endswith("区") and d.city and d.city != d.name:
        return d.city + d.name
    return d.name


def _institution(kind: str, level: str, rest: str) -> str:
    if kind == GOVERNMENT:
        return GOVERNMENT
    if kind == GOVERNMENT_OFFICE:
        return "人民政府办公厅" if level == "province" else GOVERNMENT_OFFICE
    return rest


def _town_body(town: str) -> str:
    return town + ("办事处" if town.endswith("街道") else GOVERNMENT)


def _parent(d: Division, town: str | None, kind: str) -> tuple[str, str] | None:
    """The government above: a county's city, a city's province; a department's own government."""
    if town or kind not in (GOVERNMENT, TOWNSHIP):
        return f"{d.code}||{GOVERNMENT}", _prefix(d) + GOVERNMENT
    # a municipality's district, or a county-level city the province governs directly (仙桃市)
    city_is_province = d.city_code == d.province_code or "直辖" in (d.city or "")
    if d.level == "county" and not city_is_province:
        return f"{d.city_code}||{GOVERNMENT}", d.city + GOVERNMENT
    if d.level != "province" and d.code != d.province_code:
        return f"{d.province_code}||{GOVERNMENT}", d.province + GOVERNMENT
    return None
