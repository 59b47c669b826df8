"""Demo set writers of tasks_segmentation, on dlm_core's moving-digit renderer."""
