"""Analyses of trained runs: where a DLM model's knowledge comes from."""

from .attention_recorder import AttentionNotObservable, PromptAttentionRecorder
from .attribution import attention_and_prompt_means, attribute_auxiliaries, format_table
from .prompt_groups import check_attributable, edited_prompt_group

__all__ = [
    'AttentionNotObservable',
    'PromptAttentionRecorder',
    'attention_and_prompt_means',
    'attribute_auxiliaries',
    'check_attributable',
    'edited_prompt_group',
    'format_table',
]
