"""A document's budget: each limit rejects the document that passes it, saying which, and
costs no more than the limit; the files beside it are read."""
import shutil
import time

from tests.fixtures import hostile, scans
from tests.fixtures.web_reports import COUNTY_2019, word_docx
from xxgk.budget import Budget
from xxgk.documents import DocumentRejected, read_document
from xxgk.inbox import read_inbox


def _reason(path, budget: Budget) -> str:
    try:
        read_document(path, budget=budget)
    except DocumentRejected as exc:
        return exc.reason
    raise AssertionError(f"{path.name} was read")


def test_each_limit_names_itself_and_its_variable(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(hostile.inflate_bomb(1))
    start = time.perf_counter()
    assert _reason(bomb, Budget(max_inflated_mb=64)) == ("over budget: its compressed streams inflate to more than 64 MB "
                                                         "(a decompression bomb?), the limit is 64 MB (XXGK_MAX_INFLATED_MB)")
    assert time.perf_counter() - start < 10
    pages = tmp_path / "pages.pdf"
    pages.write_bytes(hostile.blank_pages(30))
    assert _reason(pages, Budget(max_pages=20)) == "over budget: 30 pages, the limit is 20 (XXGK_MAX_PAGES)"
    assert _reason(pages, Budget()) == "PDF of 30 blank page(s): no text and no ink to read by OCR"
    page = tmp_path / "page.pdf"
    page.write_bytes(hostile.huge_mediabox())
    assert _reason(page, Budget(max_megapixels=2000)) == "PDF of 1 blank page(s): no text and no ink to read by OCR"


def test_a_word_export_over_the_html_budget_loses_its_pictures_not_its_tables(tmp_path):
    page = tmp_path / "report.html"
    page.write_bytes(hostile.html_with_inline_image(12))
    plain = tmp_path / "plain.html"
    plain.write_bytes(hostile.html_with_inline_image(0))
    rows = [r.cells for r in read_document(page, budget=Budget(max_html_mb=1)).rows]
    assert len(rows) > 100 and rows == [r.cells for r in read_document(plain).rows]


def _inbox(tmp_path, hostile_name: str, data: bytes):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("dongning-2023.txt", "lingdong-2023.txt"):
        shutil.copy(hostile.SAMPLES / name, inbox)
    (inbox / hostile_name).write_bytes(data)
    return sorted(inbox.iterdir())


def test_a_pdf_that_exhausts_the_worker_memory_is_rejected_and_its_neighbours_are_read(tmp_path):
    # the inflated-bytes budget raised so the bomb reaches pdfium, which aborts when memory ends
    # (of SIGABRT on most builds; some exit with 255)
    paths = _inbox(tmp_path, "bomb.pdf", hostile.inflate_bomb(1))
    store = read_inbox(paths, tmp_path / "raw", workers=1, budget=Budget(max_inflated_mb=8000, worker_memory_mb=800))
    [reason] = [r["reason"] for r in store.rejected]
    assert reason.startswith("the worker process handling it died ")
    assert reason.endswith(", most likely out of memory (the limit is 800 MB a worker, XXGK_WORKER_MEMORY_MB)")
    assert store.documents.height == 2


def test_a_document_over_its_time_while_read_is_rejected(tmp_path):
    # 400 white pages, each rendered to look for ink: 2.4-2.7 s here, about 50 times the budget
    path = tmp_path / "white.pdf"
    path.write_bytes(hostile.white_scans(400))
    store = read_inbox([path], tmp_path / "raw", workers=1, budget=Budget(document_seconds=0.05))
    assert [r["reason"] for r in store.rejected] == ["over budget: took longer than 0.05 s (XXGK_DOCUMENT_SECONDS)"]


def test_a_scan_whose_ocr_is_over_its_time_is_rejected_and_its_neighbours_are_read(tmp_path):
    # a real report scanned: OCR of its first page alone takes seconds (engine start and a dense page)
    paths = _inbox(tmp_path, "scan.pdf", scans.image_only())
    pages_read = []
    store = read_inbox(paths, tmp_path / "raw", workers=1, budget=Budget(document_seconds=1),
                       ocr_progress=lambda done, total, key: pages_read.append((done, total)))
    assert [(r["source_file"].rsplit("/", 1)[1], r["reason"]) for r in store.rejected] == [
        ("scan.pdf", "over budget: OCR of its pages took longer than 1 s (XXGK_DOCUMENT_SECONDS)")]
    assert store.documents.height == 2
    # its other pages were dropped once the first was over budget: one of the four OCR'd
    assert pages_read == [(1, 4)]


def test_a_docx_bomb_is_rejected_from_its_zip_headers_and_a_lying_one_as_it_inflates(tmp_path):
    """A .docx whose word/document.xml inflates to 1 GiB (~1 MB on disk): rejected from the
    sizes its zip declares, nothing inflated; one whose header declares 5,000 bytes (zipfile
    would stop there): rejected once the inflated pieces pass the limit. The Word report and
    the text report beside them are read."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bomb.docx").write_bytes(hostile.docx_bomb(1024))
    (inbox / "liar.docx").write_bytes(hostile.docx_bomb(1024, declared=5000))
    word_docx(COUNTY_2019, inbox / "county.docx")
    shutil.copy(hostile.SAMPLES / "dongning-2023.txt", inbox)
    start = time.process_time()
    try:
        read_document(inbox / "bomb.docx", budget=Budget())
    except DocumentRejected:
        pass
    assert time.process_time() - start < 0.5  # nothing inflated
    store = read_inbox(sorted(inbox.iterdir()), tmp_path / "raw", workers=1, budget=Budget(max_inflated_mb=64))
    assert sorted((r["source_file"].rsplit("/", 1)[1], r["reason"]) for r in store.rejected) == [
        ("bomb.docx", "over budget: its zipped parts inflate to more than 64 MB (word/document.xml declares 1,073.7 MB; "
                      "a decompression bomb?), the limit is 64 MB (XXGK_MAX_INFLATED_MB)"),
        ("liar.docx", "over budget: its zipped parts inflate to more than 64 MB (word/document.xml inflates past the "
                      "5,000 bytes its header declares; a decompression bomb?), the limit is 64 MB (XXGK_MAX_INFLATED_MB)"),
    ]
    read = store.documents.sort("source_file")
    assert read["source_file"].str.split("/").list.last().to_list() == ["county.docx", "dongning-2023.txt"]
    assert read["reader"].to_list() == ["docx", "txt"]
