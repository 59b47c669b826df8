"""The task plugins of this package (registered in ``tasks_recognition.TASKS``)."""

from .action_recognition import ActionRecognitionTask

__all__ = ['ActionRecognitionTask']
