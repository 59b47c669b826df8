"""tasks_segmentation."""
