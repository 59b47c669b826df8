"""The main job on the embedded demo data (``make demo``).

    python tools/demo.py [DLM_CONFIG] [--retrain]

1. writes the demo sets that are missing (tools/data/make_demo_data.py);
2. trains each single-task model the DLM config names whose checkpoint is missing
   (the command each plugin gives as ``checkpoint_hint``);
3. trains the DLM run (skipped when its work dir holds a checkpoint, unless --retrain);
4. tests the plain primary model and the DLM run in ``static`` (moving-average prompts, no
   auxiliary model) and ``dynamic`` (auxiliaries run on every test sample) inference;
5. prints the three side by side with the trainable share of the parameters.

Every tool runs as its own process with its log streamed, so MMEngine's progress lines
(with ETA) show as they come; each stage starts with a ``[n/5]`` line.
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
from dlm_core.prompt_io import load_prompt_file
from dlm_core.tasks import resolve_task_config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = 'configs/dlm/50salads_aux5.py'
STAGES = 5


def stage(number: int, text: str) -> None:
    print(f'\n[{number}/{STAGES}] {text}', flush=True)


def run(command: list[str]) -> None:
    """Run a tool of this repository with its output streamed; stop on failure."""
    print('$ python', ' '.join(command), flush=True)
    start = time.time()
    code = subprocess.call([sys.executable, *command], cwd=ROOT)
    if code:
        raise SystemExit(f'failed (exit {code}): python {" ".join(command)}')
    print(f'  done in {time.time() - start:.0f} s', flush=True)


def test(config: str, checkpoint: str, out: str, *options: str) -> dict:
    """tools/test.py's metrics for ``checkpoint`` (``options`` go to --cfg-options)."""
    command = ['tools/test.py', config, checkpoint, '--metrics-json', out]
    if options:
        command += ['--cfg-options', *options]
    run(command)
    with open(osp.join(ROOT, out)) as handle:
        return json.load(handle)


def trainable_percent(work_dir: str) -> float | None:
    """The trainable % the DLM run recorded in its latest prompt file."""
    path = osp.join(ROOT, work_dir, 'prompts_latest.pth')
    if not osp.isfile(path):
        return None
    return load_prompt_file(path)['meta'].get('trainable_percent')


def print_table(config: str, plugins: dict, columns: dict[str, dict], percent) -> None:
    primary = plugins['primary']
    print(f'\n{config}: primary {primary["type"]}, auxiliaries {list(plugins)[1:]}')
    keys = [key for key in columns['single task'] if all(key in c for c in columns.values())]
    width = max(len(key) for key in keys) + 2
    print(f'{"metric":<{width}}' + ''.join(f'{name:>14}' for name in columns))
    for key in keys:
        print(f'{key:<{width}}' + ''.join(f'{c[key]:>14.2f}' for c in columns.values()))
    shares = ['100.00 %'] + [f'{percent:.2f} %' if percent is not None else '?'] * 2
    print(f'{"trained params":<{width}}' + ''.join(f'{s:>14}' for s in shares))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description='Run DLM on the embedded demo data')
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--retrain', action='store_true', help='retrain the DLM run')
    args = parser.parse_args(argv)
    start = time.time()

    stage(1, 'demo data (sets already written are kept)')
    run(['tools/data/make_demo_data.py'])

    cfg = Config.fromfile(osp.join(ROOT, args.config))
    plugins = {'primary': resolve_task_config(cfg.model.primary)}
    plugins.update({name: resolve_task_config(aux) for name, aux in cfg.model.auxiliaries.items()})
    stage(2, f'single-task models: {", ".join(plugins)}')
    for name, plugin in plugins.items():
        found = find_checkpoint(osp.join(ROOT, plugin['checkpoint']))
        if found is not None:
            print(f'{name}: checkpoint {osp.relpath(found, ROOT)} exists; kept', flush=True)
            continue
        print(f'{name}: no checkpoint in {plugin["checkpoint"]}; training it', flush=True)
        run(plugin['checkpoint_hint'].split()[1:])

    work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    stage(3, f'DLM training in {work_dir}')
    if args.retrain or find_checkpoint(osp.join(ROOT, work_dir)) is None:
        run(['tools/train.py', args.config, '--work-dir', work_dir])
    else:
        print(f'{work_dir} holds a checkpoint; kept (--retrain trains again)', flush=True)

    stage(4, 'test split: the single-task model, then DLM in static and dynamic inference')
    primary = plugins['primary']
    checkpoint = find_checkpoint(osp.join(ROOT, work_dir))
    columns = {
        'single task': test(
            cfg.model.primary.task_config,
            find_checkpoint(osp.join(ROOT, primary['checkpoint'])),
            osp.join(primary['checkpoint'], 'test_metrics.json'),
        )
    }
    for mode in ('static', 'dynamic'):
        columns[f'DLM {mode}'] = test(
            args.config,
            checkpoint,
            osp.join(work_dir, f'test_metrics_{mode}.json'),
            f'model.infer_mode={mode}',
        )

    stage(5, 'summary')
    print_table(args.config, plugins, columns, trainable_percent(work_dir))
    print(f'total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
