"""tasks_detection."""
