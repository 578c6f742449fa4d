"""The run summary's words: plurals, superseded versions, duplicate files."""
from warehouse.summary import Summary, plural, render


def test_plural():
    assert [plural(n, "warning") for n in (0, 1, 2)] == ["0 warnings", "1 warning", "2 warnings"]


def test_render_lists_versions_and_duplicates_with_singular_counts():
    summary = Summary(
        documents=2, reports=[("东宁市人民政府", 2023, "2021", 256, 1, "passed", "/in/dongning-2023.txt")], cells=256, warnings=1,
        violations=[], rejected=[], superseded=[("东宁市人民政府", 2023, "/in/dongning-republished.txt")],
        duplicates=[("/in/dongning-2023.txt", "/in/dongning-copy.txt")],
    )
    text = render(summary, files_read=3)
    assert "256 cells 1 warning " in text and "1 warnings" not in text
    assert "superseded versions: 1 (another document of the same agency-year was loaded)\n  2023  东宁市人民政府" in text
    assert text.splitlines()[text.splitlines().index("duplicate files:   1 (the same bytes under another name: read once)") + 1] == \
        "  /in/dongning-copy.txt = /in/dongning-2023.txt"


def test_render_survives_a_negative_cell_and_a_23_digit_number():
    """Issue 16 items 6-7: NON_NEGATIVE's expected side is NULL; a huge value is not an int."""
    summary = Summary(
        documents=1, reports=[("东宁市人民政府", 2023, "2021", 200, 2, "violations", "/in/d.txt")], cells=200, warnings=2,
        violations=[("东宁市人民政府", 2023, "NON_NEGATIVE", "cell application.new_received[natural_person]", None, -1772.0),
                    ("东宁市人民政府", 2023, "T3_BALANCE", "column natural_person", 1.2345678901234568e22, 0.0)],
        rejected=[], implausible=[("东宁市人民政府", 2023, "application.new_received", "-1772", "line 46")],
    )
    text = render(summary)
    assert "NON_NEGATIVE [cell application.new_received[natural_person]]: printed -1772, below 0" in text
    assert "T3_BALANCE [column natural_person]: expected 1.23457e+22, printed 0" in text
    assert "implausible values: 1 (loaded as printed, cell_status 'implausible')\n" \
           "  2023  东宁市人民政府  application.new_received: printed -1772 (line 46)" in text
