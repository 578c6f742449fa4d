"""Agencies resolved against the GB/T 2260 tree: every sample agency checked by hand."""
from __future__ import annotations

import csv

import pytest

from xxgk import SAMPLES_DIR
from xxgk.agency import resolve_agency
from xxgk.normalise import detect_agency

ROOT = SAMPLES_DIR.parents[1]

# (printed name) -> province, city, county, code, level, kind, canonical name, parent government.
# GB/T 2260 codes, written by hand: 启东 320681, 东宁 231086, 太平区 (阜新) 210904,
# 岭东区 (双鸭山) 230503, 绥芬河 231081, 洪泽区 (淮安) 320813.
SAMPLE_AGENCIES = {
    "启东市人民政府办公室": ("江苏省", "南通市", "启东市", "320681", "county", "人民政府办公室",
                     "启东市人民政府办公室", "启东市人民政府"),
    "东宁市人民政府": ("黑龙江省", "牡丹江市", "东宁市", "231086", "county", "人民政府",
                "东宁市人民政府", "牡丹江市人民政府"),
    "阜新市太平区人民政府办公室": ("辽宁省", "阜新市", "太平区", "210904", "county", "人民政府办公室",
                       "阜新市太平区人民政府办公室", "阜新市太平区人民政府"),
    "岭东区人民政府": ("黑龙江省", "双鸭山市", "岭东区", "230503", "county", "人民政府",
                "双鸭山市岭东区人民政府", "双鸭山市人民政府"),
    "绥芬河市营商环境建设监督局": ("黑龙江省", "牡丹江市", "绥芬河市", "231081", "county", "部门",
                      "绥芬河市营商环境建设监督局", "绥芬河市人民政府"),
    "淮安市洪泽区人民政府": ("江苏省", "淮安市", "洪泽区", "320813", "county", "人民政府",
                   "淮安市洪泽区人民政府", "淮安市人民政府"),
}


def test_the_table_covers_every_sample():
    with open(ROOT / "tests" / "expected" / "reports.csv", encoding="utf-8") as fh:
        assert {row["agency"] for row in csv.DictReader(fh)} == set(SAMPLE_AGENCIES)


@pytest.mark.parametrize("printed", sorted(SAMPLE_AGENCIES))
def test_every_sample_agency(printed):
    a = resolve_agency(printed)
    assert (a.province, a.city, a.county, a.county_code, a.level, a.kind, a.name, a.parent_name) == SAMPLE_AGENCIES[printed]
    assert a.province_code == a.county_code[:2] + "0000" and a.city_code == a.county_code[:4] + "00"
    assert a.problem is None


def test_short_and_full_names_are_one_agency():
    short, full = resolve_agency("洪泽区人民政府"), resolve_agency("淮安市洪泽区人民政府")
    assert short.agency_id == full.agency_id and short.key == full.key == "320813||人民政府"
    assert short.name == full.name == "淮安市洪泽区人民政府"
    abbreviated = resolve_agency("启东市政府办")
    assert abbreviated.agency_id == resolve_agency("启东市人民政府办公室").agency_id


def test_other_levels_and_kinds():
    office = resolve_agency("上海市人民政府办公厅")
    assert (office.province_code, office.province, office.city, office.level, office.kind, office.parent_name) == (
        "310000", "上海市", None, "province", "人民政府办公室", "上海市人民政府")
    district = resolve_agency("上海市嘉定区人民政府")
    assert (district.county_code, district.level, district.parent_name) == ("310114", "county", "上海市人民政府")
    street = resolve_agency("洪泽区高良涧街道办事处")
    assert (street.town, street.level, street.kind, street.county_code, street.parent_name) == (
        "高良涧街道", "township", "街道/乡镇", "320813", "淮安市洪泽区人民政府")
    zone = resolve_agency("南京市江北新区管理委员会")
    assert (zone.city_code, zone.county_code, zone.level, zone.kind, zone.parent_name) == (
        "320100", None, "city", "开发区/管委会", "南京市人民政府")
    province = resolve_agency("江苏省人民政府")
    assert (province.province_code, province.level, province.parent_name) == ("320000", "province", None)


def test_renamed_divisions_resolve_to_todays_code():
    # 襄樊市 became 襄阳市 (2010); 江干区 merged into 上城区 (2021); 孟津县 became 孟津区 (2021)
    assert (resolve_agency("襄樊市人民政府").city_code, resolve_agency("襄樊市人民政府").renamed_from) == ("420600", "襄樊市")
    merged = resolve_agency("杭州市江干区人民政府")
    assert (merged.county_code, merged.county, merged.renamed_from) == ("330102", "上城区", "江干区")
    assert resolve_agency("孟津县人民政府").county_code == "410322"


def test_unresolvable_names_are_not_guessed():
    ambiguous = resolve_agency("城区人民政府")  # a district of 晋城、阳泉、汕尾 (and formerly 大同、长治)
    assert ambiguous.region_code is None and ambiguous.level is None and "ambiguous" in ambiguous.problem
    assert "140502" in ambiguous.problem and "441502" in ambiguous.problem
    national = resolve_agency("国家统计局")
    assert national.region_code is None and national.problem
    assert national.key == "国家统计局"  # keyed by its own name: the same id in every load


def test_title_with_office_does_not_swallow_the_zheng_fu_of_the_title():
    # a real page title; the 政府 of 政府信息公开 is not part of the name
    lines = ["2019年上海市人民政府办公厅政府信息公开工作年度报告", "本报告根据《中华人民共和国政府信息公开条例》编制。"]
    assert detect_agency(lines, 2019) == "上海市人民政府办公厅"
    assert detect_agency(["2023年淮安市洪泽区人民政府政府信息公开工作年度报告"], 2023) == "淮安市洪泽区人民政府"
    assert detect_agency(["2023年岭东区人民政府信息公开工作年度报告"], 2023) == "岭东区人民政府"
