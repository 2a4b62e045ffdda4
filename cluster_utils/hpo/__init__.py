"""hp_optimization: the driver that asks an optimizer for settings, runs them as jobs and keeps
the results (:mod:`.driver` for the loop, :mod:`.run` for the command, :mod:`.executors` for
where jobs run).

May import execution, experiment, results, report, runner (constants), optimization, base;
never grid or the command layer."""
