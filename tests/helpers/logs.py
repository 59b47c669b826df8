"""What MMEngine's current logger records while a block runs, for tests of its warnings."""

import contextlib
import logging

from mmengine.logging import MMLogger


@contextlib.contextmanager
def warnings_logged():
    """Yield a list that receives every record of level WARNING or above that the current
    MMLogger emits inside the ``with`` block."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
