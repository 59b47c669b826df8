"""A run of the benchmark and the plan that holds the runs: what each run trains and tests,
where its work dir is, and the record (``run.json``) the runner keeps in it."""

from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass, field

from .catalog import REPO
from .protocol import lr_tag

CHOSEN = 'chosen.pth'
PROMPTS = 'prompts_chosen.pth'


@dataclass
class Run:
    """One training and its evaluations, in ``<root>/<name>``."""

    name: str
    method: str
    task: str
    seed: int | None
    config: str  # repository-relative, or absolute (a generated config)
    work_dir: str
    model_options: dict = field(default_factory=dict)  # train.py and test.py
    train_options: dict = field(default_factory=dict)  # train.py only
    train: bool = True
    test: bool = True
    modes: tuple = (None,)  # inference modes tested (DLM: static and dynamic)
    deps: list = field(default_factory=list)  # names of the runs it needs
    lr: float | None = None  # None: the config's own
    regime: str = 'full'  # or 'low_data'
    stage: str = 'final'  # 'grid': a learning-rate candidate, validated only
    variant: str | None = None  # the auxiliary a single / leave-one-out run is about
    train_head: bool | None = None
    validation: str = 'carved'  # where its validation split comes from ('none': no split)
    derived_config: str | None = None  # text of a config written at run time
    repo: str = REPO

    def path(self, *parts: str) -> str:
        return osp.join(self.repo, self.work_dir, *parts)

    def test_file(self, stem: str, mode: str | None, ext: str = 'json') -> str:
        """``<work dir>/test_<stem>[_<mode>].<ext>``: one file of each test evaluation."""
        return self.path(f'test_{stem}{"" if mode is None else "_" + mode}.{ext}')

    def metrics_file(self, mode: str | None) -> str:
        return self.test_file('metrics', mode)

    def dump_file(self, mode: str | None) -> str:
        return self.test_file('predictions', mode, 'pkl')

    def per_video_file(self, mode: str | None) -> str:
        """Where a metric that writes per-video counts (``per_video_file``) puts them."""
        return self.test_file('per_video', mode)

    def replicates_file(self, mode: str | None) -> str:
        """Where a metric evaluated on bootstrap resamples of the test videos
        (``replicates_file``) puts its values."""
        return self.test_file('replicates', mode)

    def record(self) -> dict:
        try:
            with open(self.path('run.json')) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def update_record(self, **values) -> None:
        record = {**self.record(), **values}
        os.makedirs(self.path(), exist_ok=True)
        tmp = self.path('run.json.tmp')
        with open(tmp, 'w') as handle:
            json.dump(record, handle, indent=1)
        os.replace(tmp, self.path('run.json'))

    def mismatch(self, command: list) -> str | None:
        """What differs between the training this work dir holds (``run.json``'s
        ``train_command``) and ``command``, the one this plan would run; None when they
        agree or nothing was trained. A root holds one protocol: a run trained by another
        preset (``--quick``'s single-task models from scratch) or another config must never
        be taken as this plan's run."""
        recorded = self.record().get('train_command')
        if not recorded:
            return None
        before, now = _training_of(recorded[1:]), _training_of(command)
        for key in set(IMPLIED_BEFORE) & set(now[1]) - set(before[1]):
            before[1][key] = IMPLIED_BEFORE[key]
        if not _same(before[0], now[0]):
            return f'config {before[0]} (this plan: {now[0]})'
        changed = sorted(
            f'{key}={before[1].get(key)} (this plan: {now[1].get(key)})'
            for key in set(before[1]) | set(now[1])
            if not _same(before[1].get(key), now[1].get(key))
        )
        return ', '.join(changed) or None

    @property
    def trained(self) -> bool:
        return not self.train or 'train_s' in self.record()

    @property
    def done(self) -> bool:
        if not self.trained:
            return False
        return not self.test or all(osp.isfile(self.metrics_file(m)) for m in self.modes)


@dataclass
class Plan:
    runs: dict = field(default_factory=dict)  # name -> Run, dependencies first
    notes: list = field(default_factory=list)  # what was left out, and why
    pending: list = field(default_factory=list)  # what waits on a validation result

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def wait(self, text: str) -> None:
        if text not in self.pending:
            self.pending.append(text)


# Options that plans once left out because the configs then meant this value: a run
# recorded without one was trained with it (the configs' DLM started ungated until
# exact_start=True became their default and plans began to pin it).
IMPLIED_BEFORE = {'model.exact_start': 'False'}


def _training_of(command: list) -> tuple:
    """``(config, {option: value})`` of a ``tools/train.py`` command."""
    config = command[1]
    options = command[command.index('--cfg-options') + 1 :] if '--cfg-options' in command else []
    return config, dict(option.split('=', 1) for option in options)


def _same(before, now) -> bool:
    """Equal values; paths to the same file of the root (another run's ``chosen.pth``, a
    derived ``config.py``) may be written relative to the repository or absolute, so a
    path that ends with the other at a folder boundary is the same path, and so are two
    paths that resolve to one file (a root reached through a symbolic link)."""
    if before == now:
        return True
    if not (isinstance(before, str) and isinstance(now, str) and '/' in before + now):
        return False
    if before.endswith('/' + now) or now.endswith('/' + before):
        return True
    return osp.exists(now) and osp.realpath(before) == osp.realpath(now)


def run_name(method, task, seed, lr=None, regime='full') -> str:
    parts = [method, task]
    if regime != 'full':
        parts.append(regime)
    if lr is not None:
        parts.append(lr_tag(lr))
    if seed is not None:
        parts.append(f'seed{seed}')
    return '/'.join(parts)
