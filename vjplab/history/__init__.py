"""JAX-version history: series over JAX releases read from asv's results, and flagged steps.

asv keeps one environment per JAX release but cannot put a dependency version on the x-axis or
compare two environments at one commit; this package does, reading asv's results directory and
never writing into it.
"""
