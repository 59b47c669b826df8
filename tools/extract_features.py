"""Turn raw videos into the snippet features that the feature-based datasets read.

python tools/extract_features.py CONFIG VIDEO_OR_LIST --out DIR [--checkpoint CKPT]

CONFIG names the extractor (``feature_extractor=dict(type=...)``: the demo's deterministic
``GridMotionExtractor`` / ``SnippetFeatureExtractor``, or ``ClipBackboneExtractor`` around a
real clip backbone such as an mmaction2 recognizer's, whose weights ``--checkpoint`` gives);
a DLM config's primary task config is read for it too. The layout follows the config's
dataset: THUMOS14 ``DIR/<vid>.npy`` of shape ``(T', C)`` with one snippet every
``feat_stride`` frames, 50Salads ``DIR/features/<vid>.npy`` of shape ``(C, T)``, one column
per frame. VIDEO_OR_LIST is a video, a folder of videos or a text file listing them.

Frames are decoded one at a time and go through the extractor in chunks (``--chunk``
frames), so memory does not grow with the video. Finished videos are skipped on a rerun;
a file is only ever written whole (a killed run leaves no partial ``.npy``). A config
without an extractor, a video that cannot be decoded or a checkpoint that does not fit
prints one ``error: ...`` line and exits with status 2, before any feature is written.
"""

from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
import time

if not __package__:  # run as a script (python tools/...): the package tools from the repo root
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS as ROOT_MODELS  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

import dlm_core  # noqa: E402,F401  (registries, dependency fixes)
from dlm_core.errors import (  # noqa: E402
    CheckpointError,
    ConfigError,
    DataError,
    RunError,
    UnknownTypeError,
)
from dlm_core.run_config import DictAction, load_run_config  # noqa: E402
from dlm_core.validation import report_run_errors  # noqa: E402
from tools._feature_stream import frame_step, stream_features, streaming_rule  # noqa: E402
from tools._video_io import iter_frames, list_videos, probe_video  # noqa: E402

#: dataset type -> the feature layout it reads
LAYOUTS = {'Thumos14Dataset': 'thumos14', 'ActionSegmentationDataset': '50salads'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract snippet features from raw videos')
    parser.add_argument('config', help='config naming feature_extractor (and the dataset)')
    parser.add_argument('videos', help='a video file, a folder of videos or a list file')
    parser.add_argument('--out', required=True, help='output folder (the dataset root)')
    parser.add_argument('--checkpoint', help="weights of the extractor's backbone")
    parser.add_argument(
        '--layout',
        choices=sorted(set(LAYOUTS.values())),
        help="override the layout read off the config's dataset",
    )
    parser.add_argument('--chunk', type=int, default=64, help='frames per extractor call')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


# -- the config ---------------------------------------------------------------------------
def extractor_config(cfg: Config, config_path: str) -> tuple[dict, str | None]:
    """``(extractor config, its registry scope)``: the config's ``feature_extractor``, or
    that of the primary task a DLM config names (its own key or its task config's)."""
    scope = cfg.get('default_scope')
    if cfg.get('feature_extractor'):
        return cfg.feature_extractor.to_dict(), scope
    model = cfg.get('model') or {}
    primary = model.get('primary') if isinstance(model, dict) else None
    if isinstance(primary, dict):
        for key in ('feature_extractor', 'view_extractor'):
            if primary.get(key):
                return dict(primary[key]), scope
        task_config = primary.get('task_config')
        if task_config and osp.isfile(task_config):
            task = Config.fromfile(task_config)
            if task.get('feature_extractor'):
                return task.feature_extractor.to_dict(), task.get('default_scope')
    raise ConfigError(
        f'{config_path}: the config names no feature extractor; set '
        "feature_extractor=dict(type='GridMotionExtractor', snippet_len=..., stride=...) or "
        "dict(type='ClipBackboneExtractor', backbone=..., checkpoint=...) (a config of a "
        'feature-based task: THUMOS14 or 50Salads)'
    )


def dataset_config(cfg: Config) -> dict:
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if isinstance(dataset, dict):
            return dataset
    return {}


def layout_of(cfg: Config, config_path: str, override: str | None) -> str:
    if override:
        return override
    dataset_type = str(dataset_config(cfg).get('type', '')).rpartition('.')[2]
    if dataset_type not in LAYOUTS:
        raise ConfigError(
            f'{config_path}: its dataset type {dataset_type or "(none)"!r} reads no snippet '
            f'features I know the layout of ({", ".join(LAYOUTS)}); pass --layout'
        )
    return LAYOUTS[dataset_type]


def build_extractor(ext_cfg: dict, scope: str | None, checkpoint: str | None, where: str):
    ext_cfg = dict(ext_cfg)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise CheckpointError(f'--checkpoint {checkpoint} does not exist')
        if ext_cfg.get('type') in ('GridMotionExtractor', 'SnippetFeatureExtractor'):
            raise ConfigError(
                f'{where}: {ext_cfg["type"]} has no weights, so --checkpoint {checkpoint} '
                'cannot be used with it'
            )
        ext_cfg['checkpoint'] = checkpoint
    try:
        with DefaultScope.overwrite_default_scope(ext_cfg.pop('_scope_', None) or scope):
            extractor = ROOT_MODELS.build(ext_cfg)
    except RunError:
        raise
    except KeyError as err:
        if 'registry' not in str(err):
            raise
        raise UnknownTypeError(f'{where}: {str(err).split(" Please check")[0]}') from None
    except RuntimeError as err:  # load_state_dict(strict=True) of the backbone
        if 'state_dict' in str(err) or 'Missing key' in str(err) or 'size mismatch' in str(err):
            detail = ' '.join(str(err).split())
            detail = detail if len(detail) <= 240 else detail[:240] + ' ...'
            raise CheckpointError(
                f'{where}: checkpoint {ext_cfg.get("checkpoint")} does not fit the '
                f'{ext_cfg["type"]} backbone ({detail}): a checkpoint of another model?'
            ) from None
        raise
    return extractor.eval()


def check_layout(extractor, layout: str, dataset: dict, where: str) -> None:
    """The features must have the geometry the dataset assumes when it reads them."""
    rule = streaming_rule(extractor)
    if layout == 'thumos14':
        if rule != 'snippet':
            raise ConfigError(
                f'{where}: THUMOS14 features are snippets (snippet_len, stride); '
                f'{type(extractor).__name__} gives one feature per frame'
            )
        want = (int(dataset.get('num_frames', 16)), int(dataset.get('feat_stride', 4)))
        have = (int(extractor.snippet_len), int(extractor.stride))
        if want != have:
            raise ConfigError(
                f'{where}: the dataset reads snippets of num_frames={want[0]} every '
                f'feat_stride={want[1]} frames, but the extractor makes snippet_len={have[0]}, '
                f'stride={have[1]}'
            )
    elif frame_step(extractor) != 1:
        raise ConfigError(
            f'{where}: 50Salads features have one column per frame, but the extractor '
            f'({type(extractor).__name__}) makes one every {frame_step(extractor)} frames'
        )


# -- the videos ---------------------------------------------------------------------------
def output_path(out: str, layout: str, name: str) -> str:
    folder = osp.join(out, 'features') if layout == '50salads' else out
    return osp.join(folder, f'{name}.npy')


def is_finished(path: str) -> bool:
    """A complete feature file (the header reads; an interrupted write leaves none)."""
    try:
        return np.load(path, mmap_mode='r').ndim == 2
    except (OSError, ValueError):
        return False


def save_atomically(path: str, array: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    partial = f'{path}.partial'
    with open(partial, 'wb') as handle:
        np.save(handle, array)
    os.replace(partial, path)


def extract_video(extractor, path: str, chunk: int, on_frames=None) -> np.ndarray:
    """``(C, T')`` float32 features of one video, streamed."""
    return stream_features(extractor, iter_frames(path), chunk, on_frames)


def main(argv=None) -> int:
    args = parse_args(argv)
    with report_run_errors():
        cfg = load_run_config(args.config, cfg_options=args.cfg_options)
        ext_cfg, scope = extractor_config(cfg, args.config)
        layout = layout_of(cfg, args.config, args.layout)
        where = f'{args.config} feature_extractor'
        extractor = build_extractor(ext_cfg, scope, args.checkpoint, where)
        check_layout(extractor, layout, dataset_config(cfg), where)
        videos = list_videos(args.videos)
        names = {}
        for path in videos:
            name = osp.splitext(osp.basename(path))[0]
            if name in names:
                raise DataError(f'{path} and {names[name]} would both write {name}.npy')
            names[name] = path
        todo = [p for p in videos if not is_finished(output_path(args.out, layout, names_of(p)))]
        infos = [probe_video(path) for path in todo]  # every video opens before any work
    skipped = len(videos) - len(todo)
    print(
        f'{type(extractor).__name__} ({streaming_rule(extractor)} streaming) -> {layout} '
        f'layout in {args.out}: {len(todo)} video(s) to do, {skipped} already done',
        flush=True,
    )
    bar = ProgressBar(sum(info.num_frames for info in infos)) if infos else None
    start = time.perf_counter()
    with report_run_errors():
        for info in infos:
            features = extract_video(extractor, info.path, args.chunk, bar.update)
            array = features.T if layout == 'thumos14' else features
            save_atomically(output_path(args.out, layout, info.name), np.ascontiguousarray(array))
    if infos:
        print(f'\ndone: {len(infos)} video(s) in {time.perf_counter() - start:.1f} s', flush=True)
    return 0


def names_of(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    sys.exit(main())
