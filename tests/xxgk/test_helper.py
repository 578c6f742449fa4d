"""The run's helper process (xxgk.parallel.start_helper): work sent to it runs there when there is
one, here when there is none or it died; work sent `later` is waited for at the end, and what
failed is said, not raised."""
import os

import pytest

from xxgk import parallel


def _pid(*_args) -> int:
    return os.getpid()


def _fail(what: str) -> None:
    raise ValueError(what)


def _write(path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(str(os.getpid()))


@pytest.fixture
def helper():
    parallel.start_helper(("json",))
    yield
    parallel.finish_helper()


def test_without_a_helper_everything_runs_here(tmp_path):
    assert not parallel.helping()
    assert parallel.call(_pid) == os.getpid()
    assert parallel.later("a page", _write, str(tmp_path / "page")) is False
    assert (tmp_path / "page").read_text() == str(os.getpid())
    with pytest.raises(ValueError, match="raised here"):
        parallel.call(_fail, "raised here")
    assert parallel.finish_helper() == []


def test_with_a_helper_work_runs_there_and_later_is_waited_for_at_the_end(helper, tmp_path):
    there = parallel.call(_pid)
    assert there != os.getpid() and parallel.call(_pid) == there  # one process, kept
    with pytest.raises(ValueError, match="raised there"):
        parallel.call(_fail, "raised there")  # its exceptions as raised
    assert parallel.later("a page", _write, str(tmp_path / "page")) is True
    assert parallel.later("a broken page", _fail, "no ink") is True
    failed = parallel.finish_helper()
    assert (tmp_path / "page").read_text() == str(there)
    assert failed == ["a broken page: ValueError: no ink"] and not parallel.helping()


def test_a_helper_that_died_is_not_used_again(helper):
    there = parallel.call(_pid)
    os.kill(there, 9)
    assert parallel.call(_pid) == os.getpid()  # done here
    assert not parallel.helping()


def _modules(*names) -> list[bool]:
    import sys

    return [name in sys.modules for name in names]


def test_what_only_later_work_needs_is_imported_after_it_not_before_the_first_call(tmp_path):
    """`then` is imported behind the first work left for later: the gates the run waits for are
    never queued behind the overview's charts."""
    parallel.start_helper(("json",), then=("wave",))
    try:
        assert parallel.call(_modules, "json", "wave") == [True, False]
        assert parallel.call(_modules, "wave") == [False]  # no later work yet: not imported
        parallel.later("a page", _write, str(tmp_path / "page"))
        assert parallel.call(_modules, "wave") == [True]  # (calls queue behind it: it is done by now)
    finally:
        assert parallel.finish_helper() == []
