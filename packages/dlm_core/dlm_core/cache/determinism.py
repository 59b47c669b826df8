"""Is a training pipeline deterministic? Decided from its transforms, by an allow-list.

The tap cache may reuse frozen outputs only when every epoch shows the model the same
view of a sample. A transform counts as deterministic when

* its class says so (a class attribute ``deterministic = True``; ``False`` says random),
* it is a frame sampler (a class name with ``Sample``) built with ``test_mode=True``,
* its name is on :data:`DETERMINISTIC` or starts with a prefix of :data:`PREFIXES`
  (loaders and packers), or the user lists it (``deterministic_transforms``).

Anything else is treated as random, named in the reason. Mixing augmentations of a data
preprocessor (``blending``, ``batch_augments``) make a pipeline random too.
"""

from __future__ import annotations

from collections.abc import Iterable

#: OpenMMLab transforms (mmcv, mmaction2, mmdet) that never draw a random number.
DETERMINISTIC = frozenset(
    {
        'DecordInit',
        'DecordDecode',
        'PyAVInit',
        'PyAVDecode',
        'OpenCVInit',
        'OpenCVDecode',
        'RawFrameDecode',
        'ImageDecode',
        'ArrayDecode',
        'AudioDecodeInit',
        'AudioDecode',
        'Resize',
        'CenterCrop',
        'ThreeCrop',
        'TenCrop',
        'Normalize',
        'FormatShape',
        'FormatAudioShape',
        'FormatGCNInput',
        'Transpose',
        'ToTensor',
        'ImageToTensor',
        'Collect',
        'Pad',
        'Fuse',
        'InitDataset',
    }
)
#: Name prefixes of transforms that load files or pack results, never augment.
PREFIXES = ('Load', 'Pack')


def _transforms(dataset) -> tuple[list, str | None]:
    """The transform objects of a (possibly wrapped) dataset, or why they are unknown."""
    if dataset is None:
        return [], 'no train dataset was given'
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:  # ConcatDataset
        found = []
        for part in inner:
            transforms, why = _transforms(part)
            if why:
                return [], why
            found += transforms
        return found, None
    pipeline = getattr(dataset, 'pipeline', None)
    if pipeline is None and hasattr(dataset, 'dataset'):  # RepeatDataset, ClassBalanced...
        return _transforms(dataset.dataset)
    if pipeline is None:
        return [], (
            f'{type(dataset).__name__} has no pipeline to inspect, so it may augment at random '
            'inside its __getitem__'
        )
    transforms = getattr(pipeline, 'transforms', None)
    if transforms is None:
        kind = f'{type(dataset).__name__} ({type(pipeline).__name__})'
        return [], f'the pipeline of {kind} lists no transforms'
    return list(transforms), None


def transform_randomness(transform, extra: Iterable[str] = ()) -> str | None:
    """``None`` if ``transform`` is deterministic, else why it is taken as random."""
    name = type(transform).__name__
    declared = getattr(type(transform), 'deterministic', None)
    if declared is not None:
        return None if declared else f'{name} declares itself random'
    if name in DETERMINISTIC or name in set(extra) or name.startswith(PREFIXES):
        return None
    if 'Sample' in name and hasattr(transform, 'test_mode'):
        if transform.test_mode:
            return None
        return f'{name} samples frames at random (test_mode=False)'
    if name.startswith('Random') or 'Flip' in name or 'Jitter' in name or 'Mix' in name:
        return f'{name} is a random augmentation'
    return (
        f'{name} is not known to be deterministic (list it in '
        'tap_cache.deterministic_transforms if it is)'
    )


def pipeline_randomness(dataset, data_preprocessor=None, extra: Iterable[str] = ()) -> str | None:
    """``None`` when the training data is the same every epoch, else the reason it is not."""
    transforms, why = _transforms(dataset)
    if why:
        return why
    for transform in transforms:
        why = transform_randomness(transform, extra)
        if why:
            return f'the train pipeline is random: {why}'
    for attribute in ('blending', 'batch_augments'):
        mixer = getattr(data_preprocessor, attribute, None)
        if mixer:
            return (
                f'the data preprocessor mixes samples at random ({attribute}='
                f'{type(mixer).__name__})'
            )
    return None
