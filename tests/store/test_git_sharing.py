"""Sharing a store through git, with real ``git`` commands: clone, change on both sides, merge.

One file per call and deterministic writes mean that two people who add or extend *different*
calls merge without a conflict; a change to the *same* call is a real conflict, which git reports
and which clusterctl then refuses to read (naming file and line) until it is resolved.
Every clusterctl run passes ``--at`` so that extension records do not depend on the clock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Cli = Callable[..., Result]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

AT = "2027-03-01 09:00"
BASE_CALLS = {
    "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10": "2027-04-08 17:00",
    "COS-CLUSTPARTNS-2027-3-02": "2027-04-20 17:00",
}
CALL_1, CALL_2 = BASE_CALLS


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """git isolated from the developer's configuration (no global or system config)."""
    global_config = tmp_path / "gitconfig"
    global_config.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one git command in ``cwd``; fail the test with git's output when it fails."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def identify(repo: Path, name: str) -> None:
    """Set the committer for one repository only."""
    git(repo, "config", "user.name", name)
    git(repo, "config", "user.email", f"{name.lower()}@example.org")


def ok(result: Result) -> Result:
    """Assert a clusterctl run succeeded, showing its stderr otherwise."""
    assert result.exit_code == 0, result.stderr
    return result


def calls_json(cli: Cli, store: Path) -> dict[str, dict]:
    """Every call of ``store`` as the JSON contract, by id."""
    result = ok(cli("calls", "--all", "--format", "json", "--at", AT, store=store))
    return {record["id"]: record for record in json.loads(result.stdout)}


@pytest.fixture
def origin(tmp_path: Path, cli: Cli, git_env: dict[str, str]) -> Path:
    """A store with two calls, committed as the first commit of a git repository."""
    repo = tmp_path / "origin"
    for call_id, deadline in BASE_CALLS.items():
        ok(cli("add", call_id, "--title", f"Title of {call_id}", "-d", deadline, store=repo))
    git(repo, "init", "--quiet")
    identify(repo, "Origin")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Two calls")
    return repo


def clone(origin: Path, name: str) -> Path:
    """A clone of ``origin`` beside it, with its own committer."""
    target = origin.parent / name
    git(origin.parent, "clone", "--quiet", str(origin), str(target))
    identify(target, name.capitalize())
    return target


def commit_all(repo: Path, message: str) -> None:
    """Stage everything git does not ignore, and commit it."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)


def pull(into: Path, other: Path) -> subprocess.CompletedProcess[str]:
    """Merge the other clone's main branch into ``into`` (a true merge, never a rebase)."""
    return git(into, "pull", "--quiet", "--no-rebase", "--no-edit", str(other), "main", check=False)


def test_changes_to_different_calls_on_two_clones_merge_without_conflict(
    origin: Path, cli: Cli
) -> None:
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    # Both have listed the store before: their summary caches must not hide the merge.
    ok(cli("calls", "--all", "--at", AT, store=alice))
    ok(cli("calls", "--all", "--at", AT, store=bob))

    ok(cli("add", "ALICE-NEW-1", "--title", "Added by Alice", "-d", "2027-06-01", store=alice))
    ok(
        cli(
            "extend",
            CALL_1,
            "--to",
            "2027-05-08 17:00",
            "--reason",
            "by A",
            "--at",
            AT,
            store=alice,
        )
    )
    commit_all(alice, "Alice: add ALICE-NEW-1, extend call 1")

    ok(cli("add", "BOB-NEW-2", "--title", "Added by Bob", "-d", "2027-07-01", store=bob))
    ok(cli("extend", CALL_2, "--to", "2027-05-20 17:00", "--reason", "by B", "--at", AT, store=bob))
    commit_all(bob, "Bob: add BOB-NEW-2, extend call 2")

    merged = pull(alice, bob)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert git(alice, "diff", "--name-only", "--diff-filter=U").stdout == ""
    assert git(alice, "status", "--porcelain").stdout == ""
    assert len(git(alice, "log", "--merges", "--format=%H").stdout.split()) == 1

    check = ok(cli("check", store=alice))
    assert "4 calls" in check.stdout and "no problems" in check.stdout
    calls = calls_json(cli, alice)
    assert sorted(calls) == sorted([*BASE_CALLS, "ALICE-NEW-1", "BOB-NEW-2"])
    assert calls["ALICE-NEW-1"]["deadline"] == "2027-06-01T17:00:00+02:00"
    assert calls["BOB-NEW-2"]["deadline"] == "2027-07-01T17:00:00+02:00"
    one, two = calls[CALL_1], calls[CALL_2]
    assert (one["deadline"], one["extended"]) == ("2027-05-08T17:00:00+02:00", True)
    assert [e["reason"] for e in one["extensions"]] == ["by A"]
    assert (two["deadline"], two["extended"]) == ("2027-05-20T17:00:00+02:00", True)
    assert [e["reason"] for e in two["extensions"]] == ["by B"]

    # And the other way round: Bob fast-forwards to the merge and sees the same store.
    assert pull(bob, alice).returncode == 0
    ok(cli("check", store=bob))
    assert calls_json(cli, bob) == calls


def test_the_same_change_on_both_clones_merges_cleanly(origin: Path, cli: Cli) -> None:
    """Deterministic writes: the same extension, made twice, is the same bytes on both sides."""
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    for repo in (alice, bob):
        ok(
            cli(
                "extend", CALL_1, "--to", "2027-05-08", "--reason", "notice", "--at", AT, store=repo
            )
        )
        commit_all(repo, "extend call 1")
    assert (alice / "calls" / f"{CALL_1}.toml").read_bytes() == (
        bob / "calls" / f"{CALL_1}.toml"
    ).read_bytes()
    merged = pull(alice, bob)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    ok(cli("check", store=alice))
    assert len(calls_json(cli, alice)[CALL_1]["extensions"]) == 1


def test_a_conflict_on_the_same_call_is_detected_and_never_half_read(
    origin: Path, cli: Cli
) -> None:
    alice, bob = clone(origin, "alice"), clone(origin, "bob")
    ok(cli("calls", "--all", "--at", AT, store=alice))  # a warm summary cache in Alice's clone
    ok(cli("extend", CALL_1, "--to", "2027-05-08", "--reason", "A", "--at", AT, store=alice))
    commit_all(alice, "Alice extends call 1")
    ok(cli("extend", CALL_1, "--to", "2027-05-15", "--reason", "B", "--at", AT, store=bob))
    commit_all(bob, "Bob extends call 1 differently")

    merged = pull(alice, bob)
    assert merged.returncode != 0
    assert "CONFLICT" in merged.stdout + merged.stderr
    conflicted = f"calls/{CALL_1}.toml"
    assert git(alice, "diff", "--name-only", "--diff-filter=U").stdout.split() == [conflicted]
    path = alice / conflicted
    before = path.read_bytes()
    marker_line = next(
        n for n, line in enumerate(before.decode().splitlines(), start=1) if line.startswith("<<<")
    )
    assert marker_line > 1

    check = cli("check", store=alice)
    assert check.exit_code != 0
    assert f"{CALL_1}.toml" in check.stderr
    assert f"line {marker_line}" in check.stderr
    assert "conflict" in check.stderr

    # Never half read: the conflicted call is refused by name; every other call is listed, and
    # the listing names the conflicted file and exits 9.
    refused = cli("show", CALL_1, "--at", AT, store=alice)
    assert (refused.exit_code, refused.stdout) == (5, "")
    assert refused.stderr.startswith("error: "), refused.stderr
    assert f"{CALL_1}.toml" in refused.stderr and f"line {marker_line}" in refused.stderr
    for args in (("calls", "--all"), ("calls", "--all", "--format", "json")):
        partial = cli(*args, "--at", AT, store=alice)
        assert partial.exit_code == 9, args
        assert CALL_2 in partial.stdout and CALL_1 not in partial.stdout
        warning, error = partial.stderr.splitlines()
        assert warning.startswith("warning: ") and f"line {marker_line}" in warning
        assert f"{CALL_1}.toml" in warning
        assert error == "error: 1 call file could not be read; the other calls were read"

    # A change to the conflicted call is refused too, and never overwrites the markers.
    extend = cli("extend", CALL_1, "--to", "2027-06-01", "--at", AT, store=alice)
    assert extend.exit_code != 0
    assert path.read_bytes() == before

    # Resolving by hand (here: taking Bob's side) makes the store readable again.
    git(alice, "checkout", "--theirs", "--", conflicted)
    commit_all(alice, "Merge, keeping Bob's extension")
    ok(cli("check", store=alice))
    assert calls_json(cli, alice)[CALL_1]["deadline"] == "2027-05-15T17:00:00+02:00"


def test_local_state_is_never_tracked(origin: Path, cli: Cli) -> None:
    alice = clone(origin, "alice")
    ok(cli("extend", CALL_1, "--to", "2027-05-08", "--at", AT, store=alice))  # takes the lock
    assert (alice / ".state").is_dir()
    assert "/.state/" in (alice / ".gitignore").read_text().splitlines()
    tracked = git(alice, "ls-files").stdout.split()
    assert ".gitignore" in tracked
    assert not [name for name in tracked if name.startswith(".state")]
    status = git(alice, "status", "--porcelain", "--ignored").stdout.splitlines()
    assert "!! .state/" in status
    assert f" M calls/{CALL_1}.toml" in status
    assert sorted(tracked) == sorted(
        [".gitignore", "clusterctl.toml", *(f"calls/{c}.toml" for c in BASE_CALLS)]
    )


def test_rewriting_the_same_content_gives_no_git_diff(origin: Path, cli: Cli) -> None:
    alice = clone(origin, "alice")
    ok(cli("extend", CALL_1, "--to", "2027-05-08", "--reason", "notice", "--at", AT, store=alice))
    commit_all(alice, "extend")
    files = sorted((alice / "calls").iterdir())
    before = {path.name: path.read_bytes() for path in files}

    # Every call rewritten from its own export, and one rewritten by an edit to the same value.
    export = alice.parent / "export.json"
    export.write_text(ok(cli("calls", "--all", "--format", "json", store=alice)).stdout)
    imported = ok(cli("import", str(export), "--replace", store=alice))
    assert "2 unchanged" in imported.stdout
    ok(cli("edit", CALL_2, "--title", f"Title of {CALL_2}", store=alice))

    assert {path.name: path.read_bytes() for path in files} == before
    assert git(alice, "status", "--porcelain").stdout == ""
    assert git(alice, "diff", "--exit-code", check=False).returncode == 0
