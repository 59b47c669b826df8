"""The main job on the embedded demo data (``make demo``).

    python tools/demo.py [DLM_CONFIG] [--retrain]

1. writes the demo sets that are missing (tools/data/make_demo_data.py);
2. trains each single-task model the DLM config names whose checkpoint is missing
   (the command each plugin gives as ``checkpoint_hint``);
3. trains the DLM run, tests it and the plain primary model on the primary's test split,
   and prints both side by side with the trainable share of the parameters.
"""

from __future__ import annotations

import argparse
import json
import os.path as osp
import subprocess
import sys
import time

from mmengine.config import Config

import dlm_core  # noqa: F401
from dlm_core.checkpoint_paths import find_checkpoint
from dlm_core.tasks import resolve_task_config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = 'configs/dlm/50salads_aux5.py'


def run(command: list[str]) -> str:
    """Run a tool of this repository, echoing and returning its output."""
    print('$', ' '.join(command), flush=True)
    start = time.time()
    result = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-8000:])
        raise SystemExit(f'failed ({result.returncode}): {" ".join(command)}')
    print(f'  done in {time.time() - start:.0f} s', flush=True)
    return result.stdout


def test(config: str, checkpoint: str, out: str) -> dict:
    """tools/test.py's metrics for ``checkpoint``."""
    run(['tools/test.py', config, checkpoint, '--metrics-json', out])
    with open(osp.join(ROOT, out)) as handle:
        return json.load(handle)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Run DLM on the embedded demo data')
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--retrain', action='store_true', help='retrain the DLM run')
    args = parser.parse_args(argv)
    start = time.time()

    run(['tools/data/make_demo_data.py'])
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    plugins = {'primary': resolve_task_config(cfg.model.primary)}
    plugins.update({name: resolve_task_config(aux) for name, aux in cfg.model.auxiliaries.items()})
    for name, plugin in plugins.items():
        if find_checkpoint(osp.join(ROOT, plugin['checkpoint'])) is None:
            print(f'{name}: no checkpoint at {plugin.get("checkpoint")}; training it', flush=True)
            run(plugin['checkpoint_hint'].split()[1:])

    work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.retrain or find_checkpoint(osp.join(ROOT, work_dir)) is None:
        run(['tools/train.py', args.config, '--work-dir', work_dir])
    dlm = test(
        args.config,
        find_checkpoint(osp.join(ROOT, work_dir)),
        osp.join(work_dir, 'test_metrics.json'),
    )
    primary = plugins['primary']
    plain = test(
        cfg.model.primary.task_config,
        find_checkpoint(primary['checkpoint']),
        osp.join(primary['checkpoint'], 'test_metrics.json'),
    )

    print(f'\n{args.config}: primary {primary["type"]}, auxiliaries {list(plugins)[1:]}')
    keys = [k for k in dlm if k in plain]
    width = max(len(k) for k in keys) + 2
    print(f'{"metric":<{width}}{"single task":>14}{"DLM":>10}')
    for key in keys:
        print(f'{key:<{width}}{plain[key]:>14.2f}{dlm[key]:>10.2f}')
    print(f'total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
