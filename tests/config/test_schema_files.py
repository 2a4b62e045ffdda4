"""The schema files themselves: valid draft 2020-12, documented, consistent with the code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from cluster_utils.base.workflow_files import schema_path
from cluster_utils.config import KINDS, load_schema, schema_file
from cluster_utils.config.schemas import COMMON_SCHEMA_FILE, TEMPLATE_PATTERN, deref, key_paths

FILES = [COMMON_SCHEMA_FILE, *(schema_file(kind).name for kind in KINDS)]


def _load(name: str) -> dict[str, Any]:
    with schema_path(name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("name", FILES)
def test_schema_files_are_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(_load(name))


def _properties(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        for key, sub in schema.get("properties", {}).items():
            yield f"{where}.{key}", sub
        for key, value in schema.items():
            if key not in ("properties", "if"):  # if: conditions, not declarations
                yield from _properties(value, f"{where}/{key}")
        for key, sub in schema.get("properties", {}).items():
            yield from _properties(sub, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _properties(item, f"{where}[{index}]")


@pytest.mark.parametrize("name", FILES)
def test_every_key_is_documented(name: str) -> None:
    """Each declared key has a description (on itself or on the definition it refers to)."""
    schema = _load(name)
    undocumented = []
    for where, sub in _properties(schema, name):
        if "description" in sub:
            continue
        # a bare default override (remove_working_dirs) or a then-branch re-declaring a key
        if set(sub) <= {"default", "$ref"} and ("/then" in where or "default" in sub):
            continue
        target = sub.get("$ref", "")
        if target.startswith("#/$defs/") and "description" in schema["$defs"][target[8:]]:
            continue
        undocumented.append(where)
    assert undocumented == []


def test_template_pattern_matches_the_schema() -> None:
    common = _load(COMMON_SCHEMA_FILE)
    assert common["$defs"]["template"]["pattern"] == TEMPLATE_PATTERN


def test_every_documented_3_0_key_is_known() -> None:
    """The keys of the 3.0 documentation (and notes) are all declared."""
    common_keys = {
        "optimization_procedure_name",
        "results_dir",
        "script_relative_path",
        "run_in_working_dir",
        "git_params.url",
        "git_params.branch",
        "git_params.commit",
        "git_params.depth",
        "git_params.remove_local_copy",
        "environment_setup.pre_job_script",
        "environment_setup.virtual_env_path",
        "environment_setup.conda_env_path",
        "environment_setup.variables",
        "environment_setup.is_python_script",
        "environment_setup.run_as_module",
        "cluster_requirements.request_cpus",
        "cluster_requirements.max_cpus",
        "cluster_requirements.request_gpus",
        "cluster_requirements.memory_in_mb",
        "cluster_requirements.forbidden_hostnames",
        "cluster_requirements.extra_submission_options",
        "cluster_requirements.partition",
        "cluster_requirements.request_time",
        "cluster_requirements.signal_seconds_to_timeout",
        "cluster_requirements.bid",
        "cluster_requirements.cuda_requirement",
        "cluster_requirements.gpu_memory_mb",
        "cluster_requirements.hostname_list",
        "cluster_requirements.concurrency_limit_tag",
        "cluster_requirements.concurrency_limit",
        "fixed_params",
        "singularity.image",
        "singularity.executable",
        "singularity.use_run",
        "singularity.args",
        "generate_report",
        "remove_jobs_dir",
        "remove_working_dirs",
        "no_user_interaction",
    }
    grid_keys = {
        "hyperparam_list",
        "restarts",
        "samples",
        "load_existing_results",
        "local_run",
        "run_local",
    }
    hpo_keys = {
        "optimizer_str",
        "optimizer_settings.with_restarts",
        "optimizer_settings.num_jobs_in_elite",
        "optimizer_settings.opt_alg",
        "optimization_setting.metric_to_optimize",
        "optimization_setting.minimize",
        "optimization_setting.number_of_samples",
        "optimization_setting.n_jobs_per_iteration",
        "optimization_setting.n_completed_jobs_before_resubmit",
        "optimization_setting.run_local",
        "optimized_params",
        "num_best_jobs_whose_data_is_kept",
        "kill_bad_jobs_early",
        "early_killing_params.target_rank",
        "early_killing_params.how_many_stds",
    }
    for kind, own in (("grid_search", grid_keys), ("hp_optimization", hpo_keys)):
        loaded = load_schema(kind)
        declared = set(key_paths(loaded.contents, loaded.resolver()))
        assert common_keys | own <= declared, kind


def test_custom_annotations_are_only_annotations() -> None:
    """``x-backends`` (common.schema.yaml's header) next to a ``$ref`` neither stops following
    the reference nor changes what validates."""
    schema = load_schema("grid_search")
    annotated = {
        "$ref": f"{COMMON_SCHEMA_FILE}#/$defs/git_params",
        "description": "where the code comes from",
        "x-backends": ["slurm", "pbs"],
    }
    target, _ = deref(annotated, schema.resolver())
    assert set(target["properties"]) >= {"url", "branch", "commit"}
    validator = Draft202012Validator({"x-backends": ["local"], "type": "integer"})
    assert validator.is_valid(3) and not validator.is_valid("3")
