"""The tap cache: frozen outputs computed once, reused every later epoch (docs/method.md §7).

With a deterministic training pipeline, the auxiliary taps ``E_i`` and the primary's state
entering its prompt layer are the same every epoch. The cache stores them per sample in
memory-mapped files (:class:`~dlm_core.cache.store.TensorStore`) under the work dir, so
later epochs run only the mapper and the primary's upper layers. A fingerprint of what the
stored tensors depend on (frozen weights, tap and prompt layers, the train dataset and
pipeline) is kept beside them; a run whose fingerprint differs rebuilds the cache.
"""

from __future__ import annotations

import json
import logging
import os
import os.path as osp
from collections.abc import Callable, Sequence
from typing import Any

import torch
from mmengine.dist import barrier, get_rank, is_main_process
from mmengine.logging import print_log

from ..atomic_backend import atomic_write
from .determinism import pipeline_randomness
from .fingerprint import canonical, changes
from .sample_keys import content_keys, identity_keys
from .state_codec import NotCacheable, decode_state, encode_state
from .store import TensorStore

FORMAT = 1
MANIFEST = 'manifest.json'


def _log(message: str, level: int = logging.INFO) -> None:
    print_log(f'tap cache: {message}', logger='current', level=level)


class TapCache:
    """Per-sample storage of the frozen lower halves, owned by a model.

    Built from ``model.tap_cache``; :meth:`attach` (called by :class:`TapCacheHook` before
    training) decides whether this run can use it and says so in the log; :meth:`fetch`
    serves a training batch from it or computes and stores the batch.

    Args:
        enabled: use the cache when the run allows it.
        fixed_view: accept one fixed view per sample: the first epoch's (random) view of
            each sample is reused in later epochs; samples are then keyed by the identity
            fields of their metainfo. ``False``: the cache is used only when the train
            pipeline is deterministic.
        cache_dir: default ``<work_dir>/tap_cache``.
        deterministic_transforms: transform type names to treat as deterministic beyond the
            built-in allow-list (:mod:`dlm_core.cache.determinism`).
    """

    def __init__(
        self,
        enabled: bool = True,
        fixed_view: bool = False,
        cache_dir: str | None = None,
        deterministic_transforms: Sequence[str] = (),
    ):
        self.enabled = bool(enabled)
        self.fixed_view = bool(fixed_view)
        self.cache_dir = cache_dir
        self.deterministic_transforms = tuple(deterministic_transforms)
        self.store: TensorStore | None = None
        self.active = False
        self.attached = False
        self.hits = 0  # samples served from the cache
        self.misses = 0  # samples computed and stored
        self._said: set[str] = set()

    def __getstate__(self) -> dict:
        """Copies (``deepcopy`` by an EMA hook, pickling) are configured but unattached:
        open files stay with the original."""
        state = dict(self.__dict__, store=None, active=False, attached=False)
        state['_said'] = set()
        return state

    # -- the decision -----------------------------------------------------------------
    def attach(
        self,
        work_dir: str,
        model_fingerprint: dict,
        dataset: Any = None,
        dataset_cfg: Any = None,
        data_preprocessor: Any = None,
    ) -> bool:
        """Decide whether this run uses the cache, log why, open (or rebuild) the store."""
        self.attached = True
        self.close()
        if not self.enabled:
            _log('off: model.tap_cache.enabled is False')
            return False
        if not self.fixed_view:
            why = pipeline_randomness(dataset, data_preprocessor, self.deterministic_transforms)
            if why:
                _log(
                    f'off: {why}. Set model.tap_cache.fixed_view=True to reuse the first view '
                    'of each sample in later epochs anyway'
                )
                return False
        root = self.cache_dir or osp.join(work_dir, 'tap_cache')
        dataset_cfg = canonical(dataset_cfg or {})
        pipeline = dataset_cfg.pop('pipeline', None) if isinstance(dataset_cfg, dict) else None
        fingerprint = dict(
            model_fingerprint,
            format=FORMAT,
            fixed_view=self.fixed_view,
            pipeline=pipeline,
            dataset=dataset_cfg,
        )
        status = self._open(root, canonical(fingerprint))
        view = 'one fixed view per sample' if self.fixed_view else 'deterministic pipeline'
        _log(
            f'on ({view}), in {root}: {status}; later epochs run only the mapper and the '
            "primary's upper layers"
        )
        self.active = True
        return True

    def _open(self, root: str, fingerprint: dict) -> str:
        manifest = osp.join(root, MANIFEST)
        status = None
        if is_main_process():
            old = None
            if osp.isfile(manifest):
                with open(manifest) as handle:
                    old = json.load(handle)
            if old != fingerprint:
                TensorStore.clear(root)
                os.makedirs(root, exist_ok=True)
                text = json.dumps(fingerprint, indent=1, sort_keys=True)
                atomic_write(text.encode(), manifest)
                status = (
                    'new'
                    if old is None
                    else f'rebuilt, because {", ".join(changes(old, fingerprint))} changed'
                )
        barrier()
        self.store = TensorStore(root, shard=get_rank())
        return status or f'{len(self.store)} stored samples reused'

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        self.store, self.active = None, False

    def _turn_off(self, why: str) -> None:
        _log(f'off from here on: {why}; training continues without it', logging.WARNING)
        self.close()

    def _say_once(self, message: str, level: int = logging.INFO) -> None:
        if message not in self._said:
            self._said.add(message)
            _log(message, level)

    # -- a batch ----------------------------------------------------------------------
    def fetch(
        self,
        inputs: Any,
        data_samples: Any,
        primary,
        compute: Callable[[], tuple[Any, list[torch.Tensor]]],
        device: torch.device,
    ) -> tuple[Any, list[torch.Tensor]]:
        """``(primary state, taps)`` of a training batch: from the cache when every sample
        of the batch is stored, else from ``compute()``, whose results are stored."""
        if not self.active:
            if self.enabled and not self.attached:
                self._say_once(
                    'off: nothing attached it to a run. Add dict(type="dlm.TapCacheHook") to '
                    'custom_hooks (tools/train.py does when model.tap_cache is set)',
                    logging.WARNING,
                )
            return compute()
        if data_samples is None or len(data_samples) == 0:
            return compute()
        keys = self._keys(inputs, list(data_samples))
        if keys is None:
            return compute()
        found = []
        for key in keys:
            entry = self.store.get(key)
            if entry is None:
                break
            found.append(entry)
        if len(found) == len(keys):
            restored = self._restore(found, primary, device)
            if restored is not None:
                self.hits += len(keys)
                return restored
        state, taps = compute()
        try:
            self._put(keys, state, taps, primary)
        except NotCacheable as err:
            self._turn_off(f'the primary state cannot be cached: {err}')
        return state, taps

    def _keys(self, inputs: Any, samples: list) -> list[str] | None:
        keys = identity_keys(samples, self.fixed_view)
        if keys is not None:
            self._say_once('samples are keyed by the identity and view fields of their metainfo')
            return keys
        if self.fixed_view:
            self._turn_off(
                'fixed_view needs a sample id in the metainfo of the data samples (a field '
                'such as filename, video_id, img_key or sample_idx; add it to the meta_keys of '
                'the packing transform)'
            )
            return None
        try:
            keys = content_keys(inputs, samples)
        except ValueError as err:
            self._turn_off(f'cannot tell the samples of a batch apart: {err}')
            return None
        self._say_once('samples carry no id in their metainfo: they are keyed by their content')
        return keys

    def _put(self, keys: list[str], state: Any, taps: list[torch.Tensor], primary) -> None:
        tensors, skeleton = encode_state(primary, state)
        named = {f'state:{name}': tensor for name, tensor in tensors.items()}
        named.update({f'tap:{i}': tap for i, tap in enumerate(taps)})
        count = len(keys)
        per_sample = {}
        for name, tensor in named.items():
            if tensor.dim() == 0 or tensor.shape[0] % count:
                raise NotCacheable(
                    f'{name} has {tensor.shape[0] if tensor.dim() else 0} rows for {count} samples'
                )
            per_sample[name] = tensor.shape[0] // count
        note = dict(skeleton=skeleton, taps=len(taps))
        for index, key in enumerate(keys):
            if key in self.store:
                continue
            rows = {
                n: t[index * per_sample[n] : (index + 1) * per_sample[n]] for n, t in named.items()
            }
            self.store.put(key, rows, note)
            self.misses += 1

    def _restore(self, found: list, primary, device: torch.device):
        note = found[0][1]
        names = list(found[0][0])
        for tensors, other in found[1:]:
            shapes = [tuple(t.shape[1:]) for t in tensors.values()]
            first = [tuple(found[0][0][n].shape[1:]) for n in names]
            if other != note or list(tensors) != names or shapes != first:
                self._say_once(
                    'the stored samples of a batch differ in shape or structure (variable-length '
                    'samples?); such batches run without the cache',
                    logging.WARNING,
                )
                return None

        def rows(name: str) -> torch.Tensor:  # one sample's tensors need no second copy
            parts = [tensors[name] for tensors, _ in found]
            return (parts[0] if len(parts) == 1 else torch.cat(parts)).to(device)

        batched = {name: rows(name) for name in names}
        prefix = 'state:'
        state_tensors = {n[len(prefix) :]: t for n, t in batched.items() if n.startswith(prefix)}
        state = decode_state(primary, state_tensors, note['skeleton'])
        taps = [batched[f'tap:{i}'] for i in range(note['taps'])]
        return state, taps
