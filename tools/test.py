"""Evaluate a checkpoint with the config's test split and metric.

python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR] [--cfg-options ...]

Without CHECKPOINT the model is tested as the config builds it (a
``dlm.PromptedTaskModel`` loads its task checkpoint and prompt file itself). The config,
its test data and the checkpoint are checked first (dlm_core.validation): a problem prints
one ``error: ...`` line and exits with status 2.
"""

from __future__ import annotations

import argparse
import json

import dlm_core  # noqa: F401  (registries, dependency fixes)
from dlm_core.run_config import add_common_arguments, load_run_config
from dlm_core.validation import build_runner, report_run_errors, validate_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a checkpoint with the MMEngine Runner')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file (default: none, the model as the config builds it)',
    )
    parser.add_argument('--dump', help='write the raw predictions to this .pkl file')
    parser.add_argument('--metrics-json', help='also write the metrics to this json file')
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with report_run_errors():
        cfg = load_run_config(args.config, args.work_dir, args.cfg_options, args.launcher)
        if args.checkpoint is not None:
            cfg.load_from = args.checkpoint
        cfg.resume = False
        if args.dump:
            cfg.test_evaluator = (
                list(cfg.test_evaluator)
                if isinstance(cfg.test_evaluator, (list, tuple))
                else [cfg.test_evaluator]
            )
            cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.dump))
        validated = validate_run(cfg, 'test')
    runner = build_runner(cfg, validated)
    metrics = runner.test()
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()})
    if args.metrics_json:
        with open(args.metrics_json, 'w') as handle:
            json.dump(metrics, handle, indent=1, default=float)
    return metrics


if __name__ == '__main__':
    main()
