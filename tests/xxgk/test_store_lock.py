"""The lock of an inbox's stores (xxgk.staging.store_lock) and how every wait is said (xxgk.waiting)."""
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from xxgk import waiting
from xxgk.staging import store_lock
from xxgk.waiting import WaitTimeout, wait_for


def _holder(root, mode: str = "LOCK_EX", seconds: float = 60.0) -> subprocess.Popen:
    """Another process holding `root`'s lock the way store_lock takes it, until killed or `seconds` pass."""
    code = textwrap.dedent(f"""
        import time
        from xxgk.staging import store_lock
        with store_lock({str(root)!r}, exclusive={mode == 'LOCK_EX'}, who="the other run", say=None):
            print("held", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def quick(monkeypatch):
    """Waits said after 0.3 s, then every second (not 3 s and a minute)."""
    monkeypatch.setattr(waiting, "NOTICE_SECONDS", 0.3)
    monkeypatch.setattr(waiting, "REPEAT_SECONDS", 1.0)


def test_a_second_holder_waits_says_so_every_repeat_and_names_the_holder(tmp_path, quick):
    holder = _holder(tmp_path, seconds=2.6)
    said = []
    t0 = time.monotonic()
    with store_lock(tmp_path, what="the stores of inbox X", say=said.append):
        waited = time.monotonic() - t0
    holder.wait(timeout=10)
    assert 2.0 < waited < 6, waited
    assert 2 <= len(said) <= 4, said  # at 0.3 s, then every second
    assert all(s.startswith("waiting ") and "for the stores of inbox X: in use by pid " in s for s in said), said
    assert f"pid {holder.pid}, the other run, since " in said[0]


def test_a_killed_holder_releases_the_lock_at_once(tmp_path):
    holder = _holder(tmp_path)
    threading.Timer(0.5, holder.send_signal, (signal.SIGKILL,)).start()
    t0 = time.monotonic()
    with store_lock(tmp_path, say=None):
        assert time.monotonic() - t0 < 5
    holder.wait(timeout=10)
    assert (tmp_path / ".stores.lock").exists()  # a lock file, left in place: no stale pid to clean up


def test_readers_share_writers_wait(tmp_path):
    reader = _holder(tmp_path, mode="LOCK_SH", seconds=1.5)
    t0 = time.monotonic()
    with store_lock(tmp_path, exclusive=False, say=None):  # another reader: at once
        assert time.monotonic() - t0 < 0.5
    with store_lock(tmp_path, exclusive=True, say=None):  # a writer: after the reader
        assert time.monotonic() - t0 > 1.0
    reader.wait(timeout=10)
    # a lock of another name (a year's folders) is another lock
    other = _holder(tmp_path, seconds=30)
    try:
        t0 = time.monotonic()
        with store_lock(tmp_path, "year=2023", say=None):
            assert time.monotonic() - t0 < 0.5
    finally:
        other.kill()
        other.wait()


def test_the_process_that_holds_it_takes_it_again(tmp_path):
    with store_lock(tmp_path, say=None):
        with store_lock(tmp_path, exclusive=False, say=None), store_lock(tmp_path, say=None):
            pass
        # still held: another process cannot have it
        probe = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, os, sys
            fd = os.open({str(tmp_path / '.stores.lock')!r}, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                sys.exit(3)
        """)])
        assert probe.returncode == 3
    with store_lock(tmp_path, exclusive=False, say=None):
        with pytest.raises(RuntimeError, match="held shared"):
            with store_lock(tmp_path, say=None):
                pass


def test_stores_on_an_object_store_are_not_locked(tmp_path):
    with store_lock("memory://bucket/inbox-x", say=None):
        pass


def test_wait_for_returns_what_it_got_or_gives_up(quick):
    tries = iter([None, None, "got"])
    said = []
    assert wait_for(lambda: next(tries), waiting=lambda s: f"{s:.1f}", say=said.append, first_delay=0.01) == "got"
    t0 = time.monotonic()
    with pytest.raises(WaitTimeout):
        wait_for(lambda: None, timeout=0.5, first_delay=0.05, max_delay=0.1,
                 waiting=lambda s: f"waited {s:.1f}", say=said.append)
    assert 0.45 < time.monotonic() - t0 < 2
    assert len(said) == 1 and said[0].startswith("waited 0."), said  # said once, after NOTICE_SECONDS
