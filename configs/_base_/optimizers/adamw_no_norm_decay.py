# AdamW with weight decay 0.05 on the weights only (no decay on norms and biases), the
# optimiser of the demo task models and of the THUMOS14 detector: each config sets its rate
# and gradient clipping.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
)
