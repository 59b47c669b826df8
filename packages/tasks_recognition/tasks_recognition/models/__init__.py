"""Backbones of the recognition package (registered in its ``MODELS``)."""

from .fused_attention_vit import FusedAttention, FusedAttentionViT

__all__ = ['FusedAttention', 'FusedAttentionViT']
