"""The tap cache: frozen taps and primary states stored once per sample (docs/method.md §7)."""

from .determinism import pipeline_randomness
from .hook import TapCacheHook
from .state_codec import NotCacheable
from .store import TensorStore
from .tap_cache import TapCache

__all__ = ['NotCacheable', 'TapCache', 'TapCacheHook', 'TensorStore', 'pipeline_randomness']
