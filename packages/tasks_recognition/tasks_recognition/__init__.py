"""tasks_recognition."""
