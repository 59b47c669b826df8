# The model of every zero-shot config (the paper's Table 2): a held-out task model, frozen,
# prompted by the fixed prompts another primary's DLM run learned; nothing is trained. A
# helper key only (prompted_task_model): the held-out task's config also defines `model`, so
# each configs/zero_shot/<set>_<primary>_prompts.py lists this beside it and sets
#   model = dict(_base_.prompted_task_model, task=frozen_task, prompt_file=source_prompts)
prompted_task_model = dict(_delete_=True, type='dlm.PromptedTaskModel')
