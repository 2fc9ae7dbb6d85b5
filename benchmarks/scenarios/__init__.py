"""One module per scenario group of issue 7; each has ``NAMES`` (the scenario names ``--only``
accepts) and ``run(bench, sizes, profile) -> list[Row]``."""
