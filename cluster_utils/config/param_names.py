"""Which names a job parameter may have (hyperparameters, optimized and fixed parameters).

A name is a dotted path into the job's parameters (``fn_args.x``). Not allowed, as in
cluster_utils 3.0 (``check_valid_param_name``):

- the names cluster_utils sets itself: ``id`` and ``working_dir`` in every job's parameters, and
  ``_id``, ``_iteration``, ``job_restarts`` as result columns (a parameter of that name would be
  overwritten, or its column would collide);
- names ending in ``__std``, the suffix of the standard-deviation columns of reduced_data.csv;
- characters other than ``A-Z a-z 0-9 _ - . :`` (a space, ``$``, ``/`` ...);
- a leading or trailing ``.``, and (beyond 3.0) an empty part between two dots (``a..b``).
"""

from __future__ import annotations

import re

from cluster_utils.base import constants

#: Parameter names cluster_utils sets for every job (3.0 rejected all but ``id``, which it
#: silently overwrote).
RESERVED_NAMES: tuple[str, ...] = (
    "id",
    constants.WORKING_DIR,
    constants.ID,
    constants.ITERATION,
    constants.RESTART_PARAM_NAME,
)

_ALLOWED_CHARACTER = re.compile(r"[A-Za-z0-9_.:-]")
_SEPARATOR = constants.OBJECT_SEPARATOR


def param_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a parameter name, or None when it can."""
    if name in RESERVED_NAMES:
        return (
            f"'{name}' is a reserved name (cluster_utils sets it for every job; "
            f"reserved: {', '.join(RESERVED_NAMES)})"
        )
    if name.endswith(constants.STD_ENDING):
        return (
            f"'{name}' ends with '{constants.STD_ENDING}', the suffix of the standard-deviation "
            "columns cluster_utils adds for metrics"
        )
    bad = [char for char in dict.fromkeys(name) if not _ALLOWED_CHARACTER.fullmatch(char)]
    if bad:
        shown = ", ".join("a space" if char == " " else repr(char) for char in bad)
        return (
            f"'{name}' contains {shown}; a parameter name may only contain letters A-Z and a-z, "
            "digits, '_', '-', '.' and ':'"
        )
    if name.startswith(_SEPARATOR) or name.endswith(_SEPARATOR):
        where = "starts" if name.startswith(_SEPARATOR) else "ends"
        return f"'{name}' {where} with '.'; dots separate the parts of a nested name (fn_args.x)"
    if _SEPARATOR * 2 in name:
        return (
            f"'{name}' has an empty part between two dots; dots separate the parts of a nested "
            "name (fn_args.x)"
        )
    return None
