"""Training hooks of the recognition package (registered in its ``HOOKS``)."""

from .foundation_export import ExportFoundationBackboneHook

__all__ = ['ExportFoundationBackboneHook']
