"""Tests that the configs under configs/ build, inherit and resolve their paths."""
