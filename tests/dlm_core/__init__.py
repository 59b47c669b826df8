"""Tests of dlm_core: the prompt model, mappers, checkpoints, caches and run reliability."""
