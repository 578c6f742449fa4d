"""China's administrative divisions (GB/T 2260): the tree and the names they had before.

Read from the data files of the jionlp wheel, vendored unchanged in ``spec/divisions/``
(see the README there for why and from where). Province, city and county carry their
GB/T 2260 codes; towns and streets (乡镇、街道) only their names, as the source has them.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache

from xxgk import SPEC_DIR

DIVISIONS_DIR = SPEC_DIR / "divisions"


@dataclass(frozen=True)
class Division:
    """One province, city or county; ``renamed_from`` is set when reached by a former name."""

    level: str  # province | city | county
    name: str  # the current full name, e.g. 洪泽区
    code: str  # GB/T 2260, six digits
    province: str
    province_code: str
    city: str | None = None
    city_code: str | None = None
    renamed_from: str | None = None


@dataclass
class DivisionTree:
    provinces: list[Division]
    cities: list[Division]
    counties: list[Division]
    towns: dict[str, list[str]]  # county code -> town and street names
    # former full names (from the renames file) -> the current division
    former: dict[tuple[str, ...], Division]

    def __post_init__(self):
        self._by_name: dict[str, dict[str, list[Division]]] | None = None

    def named(self, level: str, name: str, within: Division | None = None) -> list[Division]:
        """The divisions of `level` called `name` now or before, inside `within` (one per code)."""
        if self._by_name is None:
            self._by_name = self._index()
        return [d for d in self._by_name[level].get(name, []) if _inside(d, within)]

    def _index(self) -> dict[str, dict[str, list[Division]]]:
        index: dict[str, dict[str, list[Division]]] = {"province": {}, "city": {}, "county": {}}
        for d in (*self.provinces, *self.cities, *self.counties):
            index[d.level].setdefault(d.name, []).append(d)
        for old, d in self.former.items():
            same = index[d.level].setdefault(old[-1], [])
            if all(o.code != d.code for o in same):
                same.append(Division(**{**d.__dict__, "renamed_from": old[-1]}))
        return index


def _inside(d: Division, within: Division | None) -> bool:
    if within is None:
        return True
    if within.level == "province":
        return d.province_code == within.code
    if within.level == "city":
        return d.city_code == within.code
    return False


@cache
def division_tree() -> DivisionTree:
    with zipfile.ZipFile(DIVISIONS_DIR / "china_location.zip") as z:
        text = io.TextIOWrapper(z.open("china_location.txt"), encoding="utf-8").read()
    provinces, cities, counties, towns = [], [], [], {}
    province = city = county = None
    for line in text.split("\n"):
        if line.startswith("\t\t\t\t"):
            continue  # villages and communities (nine lines in ten): not needed for agencies
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        if depth == 4 or not fields[0]:
            continue  # villages and communities: not needed for agencies
        if depth == 3:
            if county is not None:
                towns.setdefault(county.code, []).append(fields[0])
            continue
        if len(fields) != 3:
            continue
        name, code = fields[0], fields[1]
        if depth == 0:
            province = Division("province", name, code, name, code)
            provinces.append(province)
        elif depth == 1:
            city = Division("city", name, code, province.name, province.code, name, code)
            cities.append(city)
        else:
            county = Division("county", name, code, province.name, province.code, city.name, city.code)
            counties.append(county)
    tree = DivisionTree(provinces, cities, counties, towns, {})
    tree.former = _former_names(tree)
    return tree


def _former_names(tree: DivisionTree) -> dict[tuple[str, ...], Division]:
    """'2010-12-09 国批 湖北省 湖北 襄樊市 襄樊 => 湖北省 襄阳市': (湖北省, 襄樊市) -> 襄阳市."""
    by_path = {(d.province,): d for d in tree.provinces}
    by_path |= {(d.province, d.city): d for d in tree.cities}
    by_path |= {(d.province, d.city, d.name): d for d in tree.counties}
    former: dict[tuple[str, ...], Division] = {}
    with open(DIVISIONS_DIR / "china_location_change.txt", encoding="utf-8") as fh:
        for line in fh:
            if "=>" not in line:
                continue
            old, new = line.rstrip("\n").split("=>")
            old_names = old.split("\t")[2::2]  # date, authority, then (full name, short name) pairs
            new_path = tuple(new.split("\t"))
            target = by_path.get(new_path)
            if target is None or tuple(old_names) == new_path:
                continue
            former.setdefault(tuple(old_names), target)
    return former
