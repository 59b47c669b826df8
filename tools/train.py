"""Train any config: a single task model, a DLM run, or a baseline.

python tools/train.py configs/dlm/50salads_aux5.py [--work-dir DIR] [--resume [CKPT]]
    [--cfg-options key=value ...] [--launcher pytorch|slurm] [--amp]
"""

from __future__ import annotations

import argparse

from mmengine.runner import Runner

import dlm_core  # noqa: F401  (registries, dependency fixes)
from dlm_core.run_config import add_common_arguments, load_run_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model with the MMEngine Runner')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from CKPT, or from the latest checkpoint in the work dir',
    )
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_run_config(args.config, args.work_dir, args.cfg_options, args.launcher)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.seed is not None:
        cfg.setdefault('randomness', {})['seed'] = args.seed
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
