"""Fixes of the dependency stack this package needs (each applied when its module is imported)."""
