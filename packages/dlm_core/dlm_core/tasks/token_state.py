"""The token sequence a plugin carries between its layers."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class TokenState:
    """Tokens ``(B, N, D)`` between encoder layers, with the prompt rows kept apart.

    ``tokens`` holds ``num_prompts`` prompt rows first, then the task's own tokens.
    ``extras`` carries whatever the plugin needs between calls (spatial shape, masks,
    and under ``'prompt_gate'`` the prompt gate of an exact start, see :attr:`gate`).
    Prompts never reach a head: heads read :attr:`task_tokens`.
    """

    tokens: torch.Tensor
    num_prompts: int = 0
    extras: dict = field(default_factory=dict)

    def prepend(self, prompts: torch.Tensor, gate=None) -> TokenState:
        """Join ``(B, M, D)`` prompts in front of the sequence; ``gate`` (a
        ``PromptGate``, exact start) is kept for the layers that follow."""
        if prompts.shape[0] != self.tokens.shape[0] or prompts.shape[2] != self.tokens.shape[2]:
            raise ValueError(
                f'prompts of shape {tuple(prompts.shape)} cannot join tokens of shape '
                f'{tuple(self.tokens.shape)}: batch and width must agree'
            )
        prompts = prompts.to(dtype=self.tokens.dtype)
        extras = dict(self.extras)
        if gate is not None:
            if self.num_prompts:
                raise ValueError('gated prompts join a sequence once: it already has prompts')
            extras['prompt_gate'] = gate
        return TokenState(
            torch.cat([prompts, self.tokens], dim=1), self.num_prompts + prompts.shape[1], extras
        )

    @property
    def gate(self):
        """The prompt gate that the prompt rows' attention goes through, or ``None``."""
        return self.extras.get('prompt_gate')

    @property
    def task_tokens(self) -> torch.Tensor:
        """The task's own tokens, prompt rows dropped."""
        return self.tokens[:, self.num_prompts :]
