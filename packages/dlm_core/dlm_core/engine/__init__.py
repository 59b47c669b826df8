"""Training loops of the ``dlm`` scope."""

from .round_robin_loop import RoundRobinIterator, RoundRobinTrainLoop

__all__ = ['RoundRobinIterator', 'RoundRobinTrainLoop']
