"""The process settings of the code location."""
import platform

import pytest

from pipelines.process import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_arenas_limited_on_glibc_unless_the_variable_says_otherwise(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # glibc read it at start: ours must not override it
    assert limit_malloc_arenas() is False
