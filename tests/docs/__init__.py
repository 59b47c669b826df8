"""Tests that the documentation stays true: its code blocks and commands run."""
