# The model of every DLM run (demo and real size, and the prompt baselines built on them):
# the frozen primary prompted by a double layer mapper (docs/method.md) that reads the
# auxiliaries' middle tokens. The head trains with the prompts (DESIGN.md §1.7, as VPT
# trains its head; train_head=False is the ablation row), the prompts start closed
# (exact_start: the untrained model is the frozen primary; on the benchmark's validation
# split no worse than the ungated start on all six primaries, docs/results.md), and
# inference uses the static (moving-average) prompts, so no auxiliary model runs at test
# time. Helper keys only
# (dlm_*): the primary's config also defines `model`, so a DLM config sets its own from these:
#   model = dict(_base_.dlm_model, primary=dict(...), auxiliaries={...})
dlm_mapper = dict(type='DoubleLayerMapper', num_prompts=8, reduction=16, adapter_reduction=16)
dlm_model = dict(
    _delete_=True,
    type='dlm.MultiTaskPromptModel',
    mapper=dlm_mapper,
    train_head=True,
    exact_start=True,
    infer_mode='static',
)
