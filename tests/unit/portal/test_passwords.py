"""The production password hasher. The suite signs in with a cheap argon2id (tests/conftest.py:
cheap_password_hashing); this checks what the deployed module builds, from a fresh copy of it."""

from __future__ import annotations

import importlib.util

from argon2 import Type

from portal.accounts.rules import passwords


def production_module():
    spec = importlib.util.spec_from_file_location("production_passwords", passwords.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_hashing_is_argon2id_at_rfc_9106_cost():
    production = production_module()
    hasher = production._hasher
    # RFC 9106's second recommended option: t=3, 64 MiB, p=4.
    assert hasher.type is Type.ID
    assert hasher.time_cost >= 3 and hasher.memory_cost >= 64 * 1024 and hasher.parallelism >= 1
    stored = production.hash_password("Correct-horse-42")
    assert stored.startswith(f"$argon2id$v=19$m={hasher.memory_cost},t={hasher.time_cost},")
    assert production.verify_password(stored, "Correct-horse-42")
    assert not production.verify_password(stored, "Correct-horse-43")


def test_the_suites_cheap_hasher_verifies_production_hashes_and_asks_for_a_rehash():
    """What a server started by a test does with the suite's hashes, and the reverse."""
    production = production_module()
    cheap = passwords.hash_password("Correct-horse-42")
    assert cheap.startswith("$argon2id$")
    assert production.verify_password(cheap, "Correct-horse-42")
    assert production.needs_rehash(cheap)
    assert passwords.verify_password(production.hash_password("Correct-horse-42"),
                                     "Correct-horse-42")


def test_a_change_is_refused_for_a_wrong_current_password_alone():
    from portal.accounts.rules.passwords import change_problems

    assert change_problems("op", "x", "y", current_ok=False, same_as_current=False) == [
        "当前密码不正确"]


def test_a_change_lists_every_rule_the_new_password_breaks():
    from portal.accounts.rules.passwords import change_problems

    found = change_problems("op7", "op7-short", "other", current_ok=True, same_as_current=True)
    assert found == ["密码至少需要 10 个字符", "密码不能包含用户名", "两次输入的新密码不一致",
                     "新密码不能与当前密码相同"]
    assert change_problems("op7", "Good-pass-2027", "Good-pass-2027", current_ok=True,
                           same_as_current=False) == []
