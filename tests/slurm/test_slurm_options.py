"""sbatch command lines as options: the user's extra_submission_options replace ours (no Slurm)."""

from __future__ import annotations

import shlex

import pytest

from cluster_utils.backends.slurm_options import (
    Option,
    merge_options,
    parse_options,
    split_user_options,
)

#: what the executor builds for request_time "5", memory_in_mb 200, request_cpus 1, one GPU
OURS = shlex.split(
    "sbatch --parsable --job-name RUN --output LOG --export=ALL --comment rule_run_job -A lab "
    "-p debug -t 5 --mem 200 --requeue --ntasks=1 --cpus-per-task=1 --open-mode=append "
    "--exclude=bad1 -D /work --gpus=1"
)


def test_options_with_a_value_attached_or_as_the_next_argument() -> None:
    assert parse_options(["-t", "5", "-t5", "--time=5", "--time", "5"]) == [
        Option("time", ("-t", "5"), "5"),
        Option("time", ("-t5",), "5"),
        Option("time", ("--time=5",), "5"),
        Option("time", ("--time", "5"), "5"),
    ]
    flags = parse_options(["--requeue", "-H", "--exclusive", "/dev/stdin"])
    assert [(o.name, o.args) for o in flags] == [
        ("requeue", ("--requeue",)),
        ("hold", ("-H",)),
        ("exclusive", ("--exclusive",)),
        (None, ("/dev/stdin",)),
    ]


def test_groups_of_options_setting_the_same_thing() -> None:
    def group(*args: str) -> str | None:
        (option,) = parse_options(args)
        return option.group

    assert group("-t", "5") == group("--time=5") == "time"
    assert group("--mem=1G") == group("--mem-per-cpu", "2G") == group("--mem-per-gpu=4G")
    assert group("--gpus=1") == group("-G", "1") == group("--gres=gpu:a100:2") == "gpus"
    assert group("--gres=tmpdisk:100") == "gres"  # not GPUs: nothing of ours is replaced
    assert group("--no-requeue") == group("--requeue") == "requeue"
    assert group("-A", "lab") == "account" and group("-q", "high") == "qos"


@pytest.mark.parametrize(
    ("user", "left_out"),
    [
        (["--time=10"], ["-t 5"]),
        (["-t", "1:00:00"], ["-t 5"]),
        (["--mem-per-cpu=2000"], ["--mem 200"]),  # sbatch refuses --mem with --mem-per-cpu
        (["--gres=gpu:2"], ["--gpus=1"]),
        (["--cpus-per-task=4"], ["--cpus-per-task=1"]),
        (["--partition=gpu"], ["-p debug"]),
        (["--account=other"], ["-A lab"]),
        (["--qos=normal", "--comment=x"], ["--comment rule_run_job"]),
        (["--exclude=node3"], ["--exclude=bad1"]),
        (["--open-mode=truncate", "--no-requeue"], ["--requeue", "--open-mode=append"]),
    ],
)
def test_the_users_option_is_used_and_ours_left_out(user: list[str], left_out: list[str]) -> None:
    merged, replaced = merge_options(OURS, user)
    assert [r.ours for r in replaced] == left_out
    assert merged[-len(user) :] == user
    # everything else of ours is still there, in its order
    kept = [a for o in parse_options(OURS[1:]) if " ".join(o.args) not in left_out for a in o.args]
    assert merged == ["sbatch", *kept, *user]


def test_replaced_options_name_where_ours_came_from() -> None:
    _, replaced = merge_options(OURS, ["--time=10", "--mem-per-cpu=1G"])
    assert [(r.group, r.theirs, r.source.split()[0]) for r in replaced] == [
        ("time", "--time=10", "request_time"),
        ("memory", "--mem-per-cpu=1G", "memory_in_mb"),
    ]


def test_nothing_to_replace() -> None:
    assert merge_options(OURS, []) == (OURS, [])
    merged, replaced = merge_options(OURS, ["--qos=high"])  # we set no QOS here
    assert replaced == [] and merged == [*OURS, "--qos=high"]


def test_split_user_options_keeps_each_option_with_its_value() -> None:
    plain, replacing = split_user_options(["--begin", "now+1", "-t", "10", "--gpu-freq=high"])
    assert plain == ["--begin", "now+1", "--gpu-freq=high"]
    assert replacing == ["-t", "10"]
    with pytest.raises(ValueError, match="job name"):
        split_user_options(["-J", "mine"])
    with pytest.raises(ValueError, match="job array"):
        split_user_options(["--array=1-3"])
