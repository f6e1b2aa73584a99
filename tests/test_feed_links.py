"""Feed tokens derived from the clinic's feed key: shown again, never stored, never guessed."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from dosecal.errors import StoreError
from dosecal.service.feedtokens import derive, key_path, load_key, token_hash


def test_a_token_is_the_same_for_the_same_plan_and_generation_and_only_then() -> None:
    key = bytes(range(32))
    first = derive(key, "3f9c2a1b7e04", 1)
    assert first == derive(key, "3f9c2a1b7e04", 1) and len(first) == 43
    assert first.replace("-", "").replace("_", "").isalnum()
    others = {
        derive(key, "3f9c2a1b7e04", 2),
        derive(key, "3f9c2a1b7e05", 1),
        derive(bytes(32), "3f9c2a1b7e04", 1),
    }
    assert first not in others and len(others) == 3
    assert token_hash(first) != first and len(token_hash(first)) == 64


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    env = {"DOSECAL_FEED_KEY_FILE": str(tmp_path / "keys" / "feed.key")}
    made = load_key(env)
    path = key_path(env)
    assert len(made) == 32 and path.read_text(encoding="ascii") == made.hex() + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(env) == made  # read again, not made again
    assert [p.name for p in path.parent.iterdir()] == ["feed.key"]  # no draft left behind


def test_many_threads_making_the_key_at_once_all_get_the_same(tmp_path: Path) -> None:
    env = {"DOSECAL_FEED_KEY_FILE": str(tmp_path / "feed.key")}
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_key(env))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 16 and len(set(keys)) == 1


def test_the_default_key_lives_with_the_users_settings(tmp_path: Path) -> None:
    assert key_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "dosecal" / "feed.key"


@pytest.mark.parametrize("content", ["not hex\n", "abcd\n", ""])
def test_a_key_file_that_holds_no_key_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "feed.key"
    path.write_text(content, encoding="ascii")
    with pytest.raises(
        StoreError, match=rf"cannot use the feed key {path} \(.+\): it must hold 64 hexadecimal"
    ):
        load_key({"DOSECAL_FEED_KEY_FILE": str(path)})
