"""validate_config returns a new dict with the schema defaults filled in."""

from __future__ import annotations

import copy
from typing import Any

from cluster_utils.config import validate_config

MINIMAL_GRID: dict[str, Any] = {
    "optimization_procedure_name": "grid",
    "results_dir": "results",
    "script_relative_path": "main.py",
    "environment_setup": {},
    "hyperparam_list": [{"param": "x", "values": [1, 2]}],
}

MINIMAL_HPO: dict[str, Any] = {
    "optimization_procedure_name": "hpo",
    "results_dir": "results",
    "script_relative_path": "main.py",
    "environment_setup": {},
    "optimizer_settings": {"with_restarts": False, "num_jobs_in_elite": 5},
    "optimization_setting": {
        "metric_to_optimize": "loss",
        "minimize": True,
        "number_of_samples": 10,
        "n_jobs_per_iteration": 2,
    },
    "optimized_params": [
        {"param": "lr", "distribution": "TruncatedLogNormal", "bounds": [1e-5, 1.0]},
        {"param": "opt", "distribution": "Discrete", "options": ["adam", "sgd"]},
    ],
}


def test_grid_defaults() -> None:
    original = copy.deepcopy(MINIMAL_GRID)
    result = validate_config(MINIMAL_GRID, "grid_search")

    assert original == MINIMAL_GRID
    assert result is not MINIMAL_GRID
    assert result == {
        **original,
        "run_in_working_dir": False,
        "git_params": {"remove_local_copy": True},
        "environment_setup": {"is_python_script": True, "run_as_module": False},
        "cluster_requirements": {},
        "fixed_params": {},
        "generate_report": "never",
        "remove_jobs_dir": True,
        "remove_working_dirs": False,
        "no_user_interaction": False,
        "max_resumes": 100,
        "restarts": 1,
        "samples": None,
        "load_existing_results": False,
        "local_run": None,
        "run_local": None,
    }


def test_hpo_defaults() -> None:
    result = validate_config(MINIMAL_HPO, "hp_optimization")

    assert result["optimizer_str"] == "cem_metaoptimizer"
    assert result["remove_working_dirs"] is True
    assert result["num_best_jobs_whose_data_is_kept"] == 0
    assert result["kill_bad_jobs_early"] is False
    assert "early_killing_params" not in result
    assert result["optimization_setting"]["n_completed_jobs_before_resubmit"] == 1
    assert result["optimization_setting"]["run_local"] is None
    assert result["optimization_setting"]["local_run"] is None
    assert [p["smart_rounding"] for p in result["optimized_params"]] == [True, True]
    assert "singularity" not in result
    assert "restarts" not in result


def test_given_values_are_kept() -> None:
    settings = copy.deepcopy(MINIMAL_HPO)
    settings["remove_working_dirs"] = False
    settings["optimized_params"][0]["smart_rounding"] = False
    settings["git_params"] = {"branch": "main", "remove_local_copy": False}

    result = validate_config(settings, "hp_optimization")

    assert result["remove_working_dirs"] is False
    assert result["optimized_params"][0]["smart_rounding"] is False
    assert result["git_params"] == {"branch": "main", "remove_local_copy": False}


def test_defaults_are_fresh_objects() -> None:
    first = validate_config(MINIMAL_GRID, "grid_search")
    first["fixed_params"]["x"] = 1
    first["git_params"]["url"] = "u"
    second = validate_config(MINIMAL_GRID, "grid_search")
    assert second["fixed_params"] == {}
    assert second["git_params"] == {"remove_local_copy": True}


def test_singularity_defaults_only_when_the_section_is_present() -> None:
    settings = {**MINIMAL_GRID, "singularity": {"image": "image.sif"}}
    result = validate_config(settings, "grid_search")
    assert result["singularity"] == {
        "image": "image.sif",
        "executable": "singularity",
        "use_run": False,
        "args": [],
    }


def test_optimizer_settings_defaults_follow_optimizer_str() -> None:
    settings = copy.deepcopy(MINIMAL_HPO)
    settings["optimizer_str"] = "gridsearch"
    del settings["optimizer_settings"]
    result = validate_config(settings, "hp_optimization")
    assert result["optimizer_settings"] == {"restarts": 1}


def test_local_run_and_run_local_are_the_same_setting() -> None:
    for key in ("local_run", "run_local"):
        result = validate_config({**MINIMAL_GRID, key: True}, "grid_search")
        assert result["local_run"] is True
        assert result["run_local"] is True
    both = validate_config({**MINIMAL_GRID, "local_run": False, "run_local": False}, "grid_search")
    assert both["local_run"] is False
    assert both["run_local"] is False


def test_generate_report_is_case_insensitive_like_3_0() -> None:
    result = validate_config({**MINIMAL_GRID, "generate_report": "WHEN_FINISHED"}, "grid_search")
    assert result["generate_report"] == "when_finished"


def test_hpo_accepts_both_spellings_in_optimization_setting() -> None:
    for key in ("local_run", "run_local"):
        settings = copy.deepcopy(MINIMAL_HPO)
        settings["optimization_setting"][key] = True
        result = validate_config(settings, "hp_optimization")
        assert result["optimization_setting"]["local_run"] is True
        assert result["optimization_setting"]["run_local"] is True
