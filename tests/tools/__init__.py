"""Tests of the command-line tools under tools/, imported as the package ``tools``."""
