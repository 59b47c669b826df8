"""Tests of dlm_bench: the protocol plan, runner, splits, statistics and report."""
