# VPT-shallow (docs/method.md §2) on a DLM run: 8 learnable prompts of the frozen primary's
# width join before its first encoder layer, in place of the mapper, and no auxiliary model
# runs. A helper key only (vpt_shallow_model): the DLM run also defines `model`, so each
# configs/baselines/vpt_shallow/<primary>.py lists this beside its DLM run and sets
#   model = _base_.vpt_shallow_model
vpt_shallow_model = dict(
    auxiliaries=None,
    mapper=dict(_delete_=True, type='StaticPrompts', num_prompts=8),
    prompt_layer=0,
    exact_start=False,  # VPT's prompts join ungated (Jia et al. 2022)
)
