"""The suite's pytest wiring is the installed plugin, restore_contract/plugin (pyproject's `pytest11` entry point):
options and settings, the target, pool and driver fixtures, the time budget, the run's record and summary.

This file only marks the project's root for pytest (rootdir, and with it `reports/` and test ids)."""
