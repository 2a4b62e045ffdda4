"""What every executor plugin (``cluster-utils-slurm``, ``cluster-utils-htcondor``, ...) shares
about its scheduler: adopting the jobs earlier runs left behind (``adoption``, and for the plugins
that submit arrays ``arrays`` and ``earlier_runs``), their submission ``backlog`` and
``user_options`` and telling the user when the scheduler stops
answering (``outage``). The scheduler specifics stay in the plugins."""
