"""Write the prompt file of a trained DLM (or VPT / MVLPT) checkpoint.

    python tools/export_prompts.py CONFIG CHECKPOINT --out prompts.pth

The file holds the inference prompts and the trained tensors only; a plain task model
loads it with ``dict(type='dlm.PromptedTaskModel', task=..., prompt_file=...)``.
"""

from __future__ import annotations

import argparse

from mmengine.registry import init_default_scope

from dlm_core.compat.safe_checkpoint import load_checkpoint_file
from dlm_core.registry import MODELS
from dlm_core.run_config import DictAction, load_run_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export the prompts of a trained checkpoint')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint written by tools/train.py')
    parser.add_argument('--out', required=True, help='prompt file to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_run_config(args.config, cfg_options=args.cfg_options)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'export_prompts'):
        raise TypeError(
            f'{args.config}: model {type(model).__name__} has no prompts to export '
            '(expected a MultiTaskPromptModel)'
        )
    state = load_checkpoint_file(args.checkpoint)
    state = state.get('state_dict', state)
    result = model.load_state_dict(state, strict=False)
    missing = set(result.missing_keys) - {
        n for n, p in model.named_parameters() if not p.requires_grad
    }
    missing -= {n for n, _ in model.named_buffers() if not n.startswith(('ema_', 'mapper.'))}
    if missing or result.unexpected_keys:
        raise RuntimeError(
            f'checkpoint {args.checkpoint} does not match the model of '
            f'{args.config}: missing {sorted(missing)[:6]}, unexpected '
            f'{result.unexpected_keys[:6]}'
        )
    model.export_prompts(args.out, dict(config=args.config, checkpoint=args.checkpoint))
    print(
        f'wrote {args.out}: {tuple(model.inference_prompts().shape)} prompts before layer '
        f'{model.prompt_layer}'
    )


if __name__ == '__main__':
    main()
