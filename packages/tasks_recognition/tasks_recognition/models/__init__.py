"""Models of the recognition package (registered in its ``MODELS``): mmaction2's ViT with
fused attention, and the foundation ViT's pretraining head."""

from .fused_attention_vit import FusedAttention, FusedAttentionViT
from .latent_factor_head import LatentFactorHead

__all__ = ['FusedAttention', 'FusedAttentionViT', 'LatentFactorHead']
