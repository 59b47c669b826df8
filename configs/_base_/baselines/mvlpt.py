# MVLPT (docs/method.md §2) on a VPT-shallow run: the prompts start from those VPT-shallow
# learned on the source task (widths matched by a fixed semi-orthogonal projection) instead
# of a random start. A helper key only (mvlpt_mapper): the VPT-shallow run also defines
# `model`, so each configs/baselines/mvlpt/<primary>.py lists this beside that run and sets
#   model = dict(mapper=dict(_base_.mvlpt_mapper, init_file=source_prompts))
mvlpt_mapper = dict(_delete_=True, type='TransferredPrompts')
