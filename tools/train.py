"""Train any config: a single task model, a DLM run, or a baseline.

python tools/train.py configs/dlm/50salads_aux5.py [--work-dir DIR] [--resume [CKPT]]
    [--cfg-options key=value ...] [--launcher none|pytorch|slurm] [--amp] [--tensorboard]

The config, its data and its checkpoints are checked before the Runner makes the work dir
(dlm_core.validation): a problem prints one ``error: ...`` line naming the file or config
field and exits with status 2, leaving the work dir as it was.
"""

from __future__ import annotations

import argparse

import dlm_core  # noqa: F401  (registries, dependency fixes)
from dlm_core.run_config import add_common_arguments, load_run_config
from dlm_core.validation import build_runner, report_run_errors, validate_run


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
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help='also write TensorBoard events (<work_dir>/<time>/vis_data/events.out.tfevents.*)',
    )
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with report_run_errors():
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
        if args.tensorboard:
            add_tensorboard(cfg)
        validated = validate_run(cfg, 'train')
    runner = build_runner(cfg, validated)
    runner.train()


def add_tensorboard(cfg) -> None:
    """Add MMEngine's TensorBoard backend to the config's visualizer (once)."""
    visualizer = cfg.setdefault('visualizer', dict(type='Visualizer'))
    backends = list(visualizer.get('vis_backends') or [])
    if not any(str(b.get('type', '')).endswith('TensorboardVisBackend') for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends


if __name__ == '__main__':
    main()
