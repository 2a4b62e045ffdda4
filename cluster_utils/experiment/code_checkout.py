"""The code a job runs: the user's directory (``run_in_working_dir``) or a pinned git clone."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger("cluster_utils")


class GitCheckoutError(RuntimeError):
    pass


def _origin_url(start_dir: Path) -> str:
    import git

    try:
        repo = git.Repo(start_dir, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
        raise GitCheckoutError(
            f"git_params.url is not set and {start_dir} is not inside a git repository; set "
            "git_params.url or run_in_working_dir=true"
        ) from error
    if "origin" in [r.name for r in repo.remotes]:
        return next(iter(repo.remotes.origin.urls))
    return str(repo.working_tree_dir)


def clone_pinned(git_params: dict[str, Any], start_dir: Path, clones_dir: Path) -> tuple[Path, str]:
    """Clone ``git_params`` (url/branch/commit/depth) once per commit; return (dir, commit sha)."""
    import git

    url = git_params.get("url") or _origin_url(start_dir)
    branch = git_params.get("branch")
    commit = git_params.get("commit")
    depth = git_params.get("depth")
    clones_dir.mkdir(parents=True, exist_ok=True)
    staging = clones_dir / "staging"
    if staging.exists():
        import shutil

        shutil.rmtree(staging)
    kwargs: dict[str, Any] = {}
    if branch:
        kwargs["branch"] = branch
    if depth:
        kwargs["depth"] = int(depth)
    logger.info(
        "Create local git clone of %s using branch %s, %s and commit %s",
        url,
        branch or "(default)",
        f"depth {depth}" if depth else "full depth",
        commit or "latest",
    )
    try:
        repo = git.Repo.clone_from(url, staging, **kwargs)
        if commit:
            repo.git.checkout(commit)
    except git.GitCommandError as error:
        raise GitCheckoutError(
            f"cannot clone {url} (git_params): {error.stderr.strip()}"
        ) from error
    sha = repo.head.commit.hexsha
    target = clones_dir / sha
    if target.exists():
        import shutil

        shutil.rmtree(staging)
    else:
        staging.rename(target)
    logger.info("Using commit %s in each job", sha[:7])
    return target, sha


def code_directory(
    settings: dict[str, Any], start_dir: Path, clones_dir: Path
) -> tuple[Path, str | None]:
    """Directory the job script is found in, and the pinned commit (None when not cloned)."""
    if settings.get("run_in_working_dir", False):
        return start_dir, _head_commit(start_dir)
    return clone_pinned(settings.get("git_params") or {}, start_dir, clones_dir)


def _head_commit(directory: Path) -> str | None:
    try:
        import git

        return git.Repo(directory, search_parent_directories=True).head.commit.hexsha
    except Exception:  # not a repository, no commits, GitPython missing: nothing to record
        return None
