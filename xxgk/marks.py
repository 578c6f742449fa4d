"""What a printed cell can be, and the words that show a page holds the tables.

One vocabulary for every reader (PDF, OCR) and for the extractor, so that what OCR
accepts as a number is exactly what the extractor reads as one.
"""
from __future__ import annotations

import re

from xxgk.vocabulary import table_words

UNITS = ("万元", "元", "件", "个", "条", "项", "次", "人")
# A number as printed: thousands separators, decimals, a unit; group 1 the number, group 2 the unit.
NUMBER = re.compile(rf"^([+-]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)({'|'.join(UNITS)})?$")
# Printed in a cell instead of a number: kept as printed, value null.
NULL_MARKS = frozenset({"/", "\\", "-", "--", "—", "——", "―", "–", "无", "-/-", "×"})
# The text of a value cell whose place OCR found but whose number it could not read.
UNREAD = "\ufffd"

# Words printed only in the tables (headers and row labels), never in the narrative.
TABLE_ONLY = (*(w.word for w in table_words() if w.table_only),
              "本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量")
# Words of the pages that hold tables 二, 三 and 四, in the tables or in the text around them.
NEAR_TABLES = (
    "第二十条", "本年新收", "上年结转", "予以公开", "无法提供", "不予处理", "其他处理", "结转下年",
    "行政复议", "行政诉讼", "处理决定数量", "收费金额", "采购项目",
)
# A line of five or more numbers: a table row cut off from its labels.
_NUMBER_LINE = r"(?m:^\s*\d+(?:\s+\d+){4,}\s*$)"
TABLE_ONLY_WORDS = re.compile("|".join((*TABLE_ONLY, _NUMBER_LINE)))
TABLE_PAGE_WORDS = re.compile("|".join((*TABLE_ONLY, *NEAR_TABLES, _NUMBER_LINE)))
