"""Draw what a task model predicts on a raw video.

python tools/visualize.py CONFIG CHECKPOINT VIDEO [--out FILE] [--gt ANN]

CONFIG is a single-task config (``configs/tasks/*.py``) or a DLM config
(``configs/dlm/*.py``, static or dynamic inference: ``--infer-mode``); CHECKPOINT is its
trained checkpoint (a file or a work dir). What is drawn depends on the task:
recognition, the top-5 classes with scores; AVA and ImageNet VID, boxes with labels and
scores; YouTube-VIS, masks coloured by track; action segmentation and temporal detection,
a timeline of predicted segments, against the true ones of ``--gt`` (a THUMOS14 json, a
50Salads ground-truth txt) when given. ``--out`` ending in ``.png`` writes a contact sheet
of frames (plus the timeline), ``.mp4`` a clip of them.

A video that cannot be decoded, a config whose model no viewer knows or a checkpoint of
another model prints one ``error: ...`` line and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os.path as osp
import sys

if not __package__:  # run as a script (python tools/...): the package tools from the repo root
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402

import dlm_core  # noqa: E402,F401  (registries, dependency fixes)
from dlm_core.checkpoint_paths import find_checkpoint  # noqa: E402
from dlm_core.compat.safe_checkpoint import load_checkpoint_file  # noqa: E402
from dlm_core.errors import CheckpointError, ConfigError, MissingCheckpointError  # noqa: E402
from dlm_core.registry import MODELS, build_from  # noqa: E402
from dlm_core.run_config import DictAction, load_run_config  # noqa: E402
from dlm_core.validation import report_run_errors  # noqa: E402
from dlm_core.visualization import RawVideo, find_viewer  # noqa: E402
from tools._feature_stream import stream_features  # noqa: E402
from tools._video_io import (  # noqa: E402
    contact_sheet,
    iter_frames,
    probe_video,
    read_frames,
    stack_vertically,
    write_mp4,
    write_png,
)
from tools.extract_features import build_extractor, extractor_config  # noqa: E402

#: single-task model type -> the plugin that exposes it (and whose viewer draws it)
MODEL_PLUGINS = {
    'Recognizer3D': 'tasks_recognition.ActionRecognitionTask',
    'FastRCNN': 'tasks_detection.SpatioTemporalDetectionTask',
    'TemporalActionDetector': 'tasks_detection.TemporalDetectionTask',
    'TemporalQueryDETR': 'tasks_detection.VideoObjectDetectionTask',
    'ActionSegmentor': 'tasks_segmentation.ActionSegmentationTask',
    'Mask2FormerVideo': 'tasks_segmentation.VideoInstanceSegmentationTask',
}
SSV2_LABELS = 'annotations/something-something-v2-labels.json'
VIEWER_MODULES = (
    'tasks_recognition.visualization',
    'tasks_detection.visualization',
    'tasks_segmentation.visualization',
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Draw a task model's predictions on a video")
    parser.add_argument('config', help='single-task or DLM config')
    parser.add_argument('checkpoint', help='its trained checkpoint (file or work dir)')
    parser.add_argument('video', help='the video file')
    parser.add_argument(
        '--out', help='.png contact sheet or .mp4 (default: ./<video>_<config>.png)'
    )
    parser.add_argument('--gt', help='ground truth to draw beside the predictions')
    parser.add_argument('--infer-mode', choices=('static', 'dynamic'), help='DLM inference')
    parser.add_argument('--score-thr', type=float, default=0.3, help='smallest score drawn')
    parser.add_argument('--panels', type=int, default=4, help='frames in the picture')
    parser.add_argument('--columns', type=int, default=4, help='panels per row of the sheet')
    parser.add_argument('--width', type=int, help='scale the written picture to this width')
    parser.add_argument(
        '--input-size',
        type=int,
        help="longer side of the frames a detector or segmenter sees when the config's test "
        "pipeline does not resize (default: the viewer's, 384)",
    )
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def _type_name(cfg) -> str:
    kind = cfg.get('type') if isinstance(cfg, dict) else None
    return (kind if isinstance(kind, str) else getattr(kind, '__name__', '')).rpartition('.')[2]


def _checkpoint_file(path: str) -> str:
    found = find_checkpoint(path)
    if found is None:
        raise MissingCheckpointError(f'checkpoint {path} does not exist (a file or a work dir)')
    return found


def build_model(cfg: Config, checkpoint: str, infer_mode: str | None):
    """A ``MultiTaskPromptModel`` in eval mode: the DLM config's own, with the trained
    tensors of ``checkpoint``, or the plain single-task model wrapped in its plugin and
    loaded strictly from ``checkpoint``."""
    model_cfg = cfg.model.to_dict()
    path = _checkpoint_file(checkpoint)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        if _type_name(model_cfg) == 'MultiTaskPromptModel':
            if infer_mode:
                model_cfg['infer_mode'] = infer_mode
            model = build_from(MODELS, model_cfg)
            _load_trained(model, path)
        else:
            plugin = MODEL_PLUGINS.get(_type_name(model_cfg))
            if plugin is None:
                raise ConfigError(
                    f'model.type {_type_name(model_cfg)!r}: no viewer draws this model; known: '
                    f'{", ".join(MODEL_PLUGINS)} and dlm.MultiTaskPromptModel'
                )
            primary = dict(type=plugin, model=model_cfg, checkpoint=path)
            model = build_from(MODELS, dict(type='dlm.MultiTaskPromptModel', primary=primary))
    return model.eval()


def _load_trained(model, path: str) -> None:
    """The trained tensors of a DLM run: every one the model trains must be there, with
    its shape (a checkpoint of another task or run is an error, not a silent mismatch)."""
    payload = load_checkpoint_file(path)
    state = payload.get('state_dict', payload) if isinstance(payload, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError(f'checkpoint {path} holds no state_dict')
    wanted = model.trained_state_dict()
    missing = [k for k in wanted if k not in state]
    wrong = [k for k in wanted if k in state and tuple(state[k].shape) != tuple(wanted[k].shape)]
    if missing or wrong:
        what = f'lacks {missing[:3]}' if missing else f'holds {wrong[0]} of another shape'
        raise CheckpointError(
            f'checkpoint {path} {what} ({len(missing) + len(wrong)} of the {len(wanted)} tensors '
            f'this {type(model.primary).__name__} DLM model trains): the checkpoint of another '
            'task or configuration'
        )
    model.load_state_dict({k: state[k] for k in wanted}, strict=False)


def classes_of(cfg: Config) -> list[str]:
    """The class names of the config's dataset (its ``metainfo``, a mapping or label file)."""
    dataset = {}
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        if dataset:
            break
    classes = (dataset.get('metainfo') or {}).get('classes') or cfg.get('classes')
    if classes:
        return [str(c) for c in classes]
    root = dataset.get('data_root') or ''
    mapping = osp.join(root, dataset.get('mapping_file', 'mapping.txt'))
    if _type_name(dataset) == 'ActionSegmentationDataset' and osp.isfile(mapping):
        with open(mapping) as handle:
            return [line.split(maxsplit=1)[1].strip() for line in handle if line.strip()]
    label_file = dataset.get('label_file')
    if label_file and osp.isfile(label_file):
        return _pbtxt_classes(label_file, int(dataset.get('num_classes') or 0))
    ssv2 = osp.join(root or cfg.get('data_root') or '', SSV2_LABELS)
    if osp.isfile(ssv2):  # Something-Something V2's {"template": "index"}
        with open(ssv2) as handle:
            index = {int(i): name for name, i in json.load(handle).items()}
        return [index.get(i, f'class {i}') for i in range(max(index) + 1)]
    return []


def _pbtxt_classes(path: str, num_classes: int) -> list[str]:
    """AVA's label map (``item { name: "..." id: N }``) as a list indexed by id (id 0 is
    the background of mmaction2's AVA heads)."""
    import re

    with open(path) as handle:
        text = handle.read()
    pairs = re.findall(r'name:\s*"([^"]*)"\s*(?:label_)?id:\s*(\d+)', text)
    names = {int(i): n for n, i in pairs}
    size = max(num_classes, max(names, default=0) + 1)
    return [names.get(i, 'background' if i == 0 else f'class {i}') for i in range(size)]


def raw_video(path: str, cfg: Config | None = None, config_path: str = '') -> RawVideo:
    """The video with its readers; ``features()`` runs the config's own extractor."""
    info = probe_video(path)

    def features(extractor=None, chunk: int = 64):
        if extractor is None:
            ext_cfg, scope = extractor_config(cfg, config_path)
            extractor = build_extractor(ext_cfg, scope, None, f'{config_path} feature_extractor')
        return stream_features(extractor, iter_frames(path), chunk)

    return RawVideo(
        path=path,
        name=info.name,
        num_frames=info.num_frames,
        fps=info.fps,
        height=info.height,
        width=info.width,
        read=lambda indices, max_side=None: read_frames(path, indices, max_side),
        features=features,
    )


def scaled(image, width: int | None):
    """``image`` resized to ``width`` pixels across (aspect kept); as is without one."""
    if not width or image.shape[1] == width:
        return image
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def main(argv=None):
    args = parse_args(argv)
    for module in VIEWER_MODULES:
        __import__(module)
    with report_run_errors():
        cfg = load_run_config(args.config, cfg_options=args.cfg_options)
        video = raw_video(args.video, cfg, args.config)
        model = build_model(cfg, args.checkpoint, args.infer_mode)
        viewer_class = find_viewer(model.primary)
        if viewer_class is None:
            raise ConfigError(f'no viewer is registered for {type(model.primary).__name__}')
        viewer = viewer_class(model, cfg, classes_of(cfg), args.score_thr, args.panels)
        if args.input_size and hasattr(viewer, 'input_side'):
            viewer.input_side = args.input_size
        with torch.no_grad():
            result = viewer.run(video, args.gt)
    config_name = osp.splitext(osp.basename(args.config))[0]
    out = args.out or f'{video.name}_{config_name}.png'
    if out.lower().endswith('.mp4'):
        frames = result.panels or [result.strip]
        if result.strip is not None and result.panels:
            frames = [stack_vertically([p, result.strip]) for p in result.panels]
        write_mp4(out, [scaled(f, args.width) for f in frames], fps=2)
    else:
        parts = [contact_sheet(result.panels, args.columns)] if result.panels else []
        if result.strip is not None:
            parts.append(result.strip)
        write_png(out, scaled(stack_vertically(parts), args.width))
    print(f'{result.summary}\nwrote {out}', flush=True)
    return result


if __name__ == '__main__':
    main()
