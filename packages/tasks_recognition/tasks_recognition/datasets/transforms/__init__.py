"""Pipeline steps of the recognition datasets (registered in this package's ``TRANSFORMS``)."""

from .frame_accurate_decode import FrameAccurateDecode, FrameAccurateInit

__all__ = ['FrameAccurateDecode', 'FrameAccurateInit']
