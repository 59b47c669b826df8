"""Stand-ins for the dlm_bench tests: a recorder in place of the tools, which leaves what
each real tool leaves behind, and a repository root with small bench annotation files."""

from __future__ import annotations

import json
import os
import os.path as osp
import pickle

import torch
from dlm_bench.catalog import REPO
from mmengine.config import Config

from dlm_core.prompt_io import save_prompt_file


class Recorder:
    """Stands in for tools/train.py, tools/test.py and tools/export_prompts.py."""

    def __init__(self, fail=(), value=0.5):
        self.calls, self.fail, self.value = [], fail, value

    def __call__(self, command):
        self.calls.append(command)
        if command[0] == 'tools/export_prompts.py':
            meta = dict(trainable_percent=0.25)
            save_prompt_file(command[command.index('--out') + 1], torch.zeros(8, 4), 3, {}, meta)
            return 0
        work_dir = command[command.index('--work-dir') + 1]
        if any(f in work_dir for f in self.fail):
            return 1
        if command[0] == 'tools/train.py':
            os.makedirs(work_dir, exist_ok=True)
            for name in ('epoch_4.pth', 'best_acc_top1_epoch_2.pth'):
                torch.save({}, osp.join(work_dir, name))
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as handle:
                handle.write(osp.join(work_dir, 'epoch_4.pth'))
            vis = osp.join(work_dir, '20260101_000000', 'vis_data')
            os.makedirs(vis, exist_ok=True)
            # MMEngine logs a validation at its epoch, or at its iteration where the
            # logger says log_metric_by_epoch=False (dlm.ValidationPointsHook's runs)
            by_iter = 'default_hooks.logger.log_metric_by_epoch=False' in command
            lines = [
                {'loss': 1.0, 'epoch': 1, 'iter': 5, 'step': 5},
                {'acc/top1': 0.4, 'step': 5 if by_iter else 1},
                {'loss': 0.5, 'epoch': 2, 'iter': 10, 'step': 10},
                {'acc/top1': 0.6, 'step': 10 if by_iter else 2},
            ]
            with open(osp.join(vis, 'scalars.json'), 'w') as handle:
                handle.write(''.join(json.dumps(line) + '\n' for line in lines))
        else:
            with open(command[command.index('--metrics-json') + 1], 'w') as handle:
                json.dump({'acc/top1': self.value}, handle)
            samples = [
                {'pred_score': torch.tensor([0.1, 0.9]), 'gt_label': torch.tensor([1])},
                {'pred_score': torch.tensor([0.8, 0.2]), 'gt_label': torch.tensor([1])},
            ]
            if '--dump' in command:
                with open(command[command.index('--dump') + 1], 'wb') as handle:
                    pickle.dump(samples, handle)
        return 0


def annotated_repo(tmp_path):
    """A repository root with the real configs and, under ``data/bench``, small training
    and test annotation files (16 and 4 samples) of SSv2 and 50Salads; the default
    ``data/demo`` files hold other samples, so a run that read them would show."""
    repo = tmp_path / 'repo'
    repo.mkdir()
    os.symlink(osp.join(REPO, 'configs'), repo / 'configs')
    for task, line in (('50salads', 'rgb-{:02d}-1.txt'), ('ssv2', '{}.mp4 3')):
        cfg = Config.fromfile(f'{REPO}/configs/tasks/{task}_demo.py', import_custom_modules=False)
        for loader, first in ((cfg.train_dataloader, 0), (cfg.test_dataloader, 100)):
            dataset = loader.dataset
            demo = osp.join(dataset.get('data_root') or '', dataset.ann_file)
            for root, offset in (('data/bench', 0), ('data/demo', 500)):
                path = repo / (root + demo[len('data/demo') :])
                path.parent.mkdir(parents=True, exist_ok=True)
                numbers = range(offset + first, offset + first + (16 if first == 0 else 4))
                path.write_text(''.join(line.format(n) + '\n' for n in numbers))
    return str(repo)
