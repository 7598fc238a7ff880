"""Pages of the published dashboard beyond asv's own: the report of this environment's run."""
