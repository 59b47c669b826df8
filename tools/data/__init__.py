"""Data tools: the demo sets generator."""
