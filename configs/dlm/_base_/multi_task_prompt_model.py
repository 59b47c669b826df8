# The model of every DLM run (demo and real size, and the prompt baselines built on them):
# the frozen primary prompted by a double layer mapper (docs/method.md) that reads the
# auxiliaries' middle tokens; the head stays frozen and inference uses the static
# (moving-average) prompts, so no auxiliary model runs at test time. Helper keys only
# (dlm_*): the primary's config also defines `model`, so a DLM config sets its own from these:
#   model = dict(_base_.dlm_model, primary=dict(...), auxiliaries={...})
dlm_mapper = dict(type='DoubleLayerMapper', num_prompts=8, reduction=16, adapter_reduction=16)
dlm_model = dict(
    _delete_=True,
    type='dlm.MultiTaskPromptModel',
    mapper=dlm_mapper,
    train_head=False,
    infer_mode='static',
)
