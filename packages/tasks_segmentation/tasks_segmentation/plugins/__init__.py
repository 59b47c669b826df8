"""Task plugins of tasks_segmentation (each module registers its own plugin)."""
