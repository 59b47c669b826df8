"""Data transforms of tasks_segmentation (each module registers its own classes)."""
