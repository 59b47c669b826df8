"""Which auxiliary does a trained DLM model use? Attention shares and prompt ablations.

python tools/analysis/prompt_attribution.py CONFIG CHECKPOINT [--split val] [--out FILE.json]
    [--metric KEY] [--work-dir DIR] [--cfg-options ...]

For every auxiliary, in dynamic inference on the split: the attention share that the
primary's task tokens give its prompts (averaged over the split and over the layers from
the prompt layer on; the gated share for an exact-start model), and the primary metric
(the config's own evaluator) with its prompts removed and with its prompts replaced by
their average over the split, next to the metric with all prompts. Prints a table and
writes the record as JSON (default ``<work_dir>/prompt_attribution_<split>.json``). Bad
input prints one ``error: ...`` line and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import os.path as osp

from mmengine.model import is_model_wrapper

import dlm_core  # noqa: F401  (registries, dependency fixes)
from dlm_core.analysis import attribute_auxiliaries, format_table
from dlm_core.errors import ConfigError
from dlm_core.run_config import add_common_arguments, load_run_config
from dlm_core.validation import build_runner, report_run_errors, validate_run

SPLITS = ('val', 'test')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Per-auxiliary attribution of a DLM checkpoint')
    parser.add_argument('config', help='the DLM config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='the DLM checkpoint (trained tensors)')
    parser.add_argument('--split', choices=SPLITS, default='val', help='split to analyse')
    parser.add_argument(
        '--out', help='JSON file (default <work_dir>/prompt_attribution_<split>.json)'
    )
    parser.add_argument('--metric', help='metric key of the deltas (default: the first one)')
    add_common_arguments(parser)
    return parser.parse_args(argv)


def prepare_config(args):
    """The run config testing ``args.checkpoint`` on ``args.split`` in dynamic inference."""
    cfg = load_run_config(args.config, args.work_dir, args.cfg_options, args.launcher)
    if cfg.get('model', {}).get('type') is None:
        raise ConfigError(f'{args.config} defines no model')
    cfg.model.infer_mode = 'dynamic'
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.split == 'val':
        if cfg.get('val_dataloader') is None or cfg.get('val_evaluator') is None:
            raise ConfigError(
                f'{args.config} has no val_dataloader/val_evaluator: use --split test'
            )
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = cfg.val_evaluator
    return cfg


def main(argv=None) -> dict:
    args = parse_args(argv)
    with report_run_errors():
        cfg = prepare_config(args)
        validated = validate_run(cfg, 'test')
        runner = build_runner(cfg, validated)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        runs = []

        def evaluate() -> dict:
            # the first run loads the checkpoint and calls the run hooks; later ones reuse it
            metrics = runner.test() if not runs else runner.test_loop.run()
            runs.append(metrics)
            return metrics

        record = attribute_auxiliaries(
            model, lambda: runner.test_loop.dataloader, evaluate, args.metric
        )
    record = dict(config=args.config, checkpoint=args.checkpoint, split=args.split, **record)
    print(format_table(record))
    out = args.out or osp.join(cfg.work_dir, f'prompt_attribution_{args.split}.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as handle:
        json.dump(record, handle, indent=1, default=float)
    print(f'saved {out}')
    return record


if __name__ == '__main__':
    main()
