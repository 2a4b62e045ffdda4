"""What every executor plugin (``cluster-utils-slurm``, ``cluster-utils-htcondor``, ...) shares
about its scheduler: adopting the jobs earlier runs left behind (``adoption``; for the plugins
that submit arrays also ``arrays`` and ``earlier_runs``), the submission ``backlog`` and the
user's submission options (``user_options``), and telling the user when the scheduler stops
answering (``outage``). The scheduler specifics stay in the plugins."""
