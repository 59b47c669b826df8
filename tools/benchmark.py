"""What DLM costs against its baselines: training step time, training memory, inference time.

python tools/benchmark.py [--reps 3] [--threads 1] [--clock cpu|wall] [--json] [--save FILE]
    [--tiny] [--attention fused|mmaction] [--profile CONFIG]

All configurations run in one invocation on one machine, on the paper's geometry: a
ViT-B (12 layers, width 768, 12 heads; mmaction2's ``VisionTransformer`` in the recognition
plugin, random init) at 16 frames of 224 x 224 in 2 x 16 x 16 tubelets (1568 tokens), batch
size 1; DLM adds five auxiliary encoders of the same geometry and a double layer mapper
(8 prompts per auxiliary, r = 16).

Attention: ``--attention fused`` (default) builds every backbone of every configuration as
``tasks_recognition.FusedAttentionViT``: mmaction2's ViT, same parameters and state dict, with
attention through ``torch.nn.functional.scaled_dot_product_attention``. mmaction2's own
``Attention`` materialises each block's 12 x 1568 x 1568 softmax and keeps it for the
backward pass, frozen block or not (about 120 MB a block, and close to half of a cached DLM
step's time), which is an implementation cost of that module rather than of the method: a
trained model would run a fused kernel. Every configuration uses the same backbone, so the
ratios compare like with like. ``--attention mmaction`` measures mmaction2's
``VisionTransformer`` as before.

training (forward, loss, backward, AdamW step):
  full_ft        the recognizer trained end to end (full fine-tuning)
  vpt_shallow    8 learnable prompts after the patch embedding of the frozen primary
  dlm_uncached   DLM: five auxiliary taps, mapper, primary prompted from its middle
  dlm_cached     the same with the tap cache filled (a later epoch of a deterministic run)
inference (predict, no grad):
  plain_infer    the plain recognizer
  static_infer   DLM's static inference: the primary with the moving-average prompts

Memory: every configuration runs in its own process, forked from this one before any tensor
is computed. The process builds its models, returns freed heap to the system
(``malloc_trim``) and reads its resident set (``VmRSS``): the baseline, i.e. the weights and
the inputs. It then resets its peak resident set (writing 5 to ``/proc/self/clear_refs``)
and runs two steps (the second one holds the optimizer states the first one created); the
peak (``VmHWM``) minus the baseline is what training adds on top of the weights:
activations kept for the backward pass, gradients, optimizer states and, for the cached
run, the memory-mapped cache pages. During these two steps every allocation of 64 KiB or
more is its own ``mmap`` (glibc ``mallopt``), so freed memory leaves the resident set at
once and the peak is that of live tensors, not of what the allocator keeps for reuse.
Where ``/proc`` is missing the peak is ``ru_maxrss`` and includes the build. The cache of
``dlm_cached`` is filled (one no-grad pass, as the first epoch does) before the baseline.

Time: the median over ``--reps`` further steps (the allocator back to glibc's usual
threshold of 32 MiB). ``--clock cpu`` (default) times a step by the CPU time of the process
(``time.process_time``): on a machine shared with other jobs, wall time also counts the
time the others hold the cores; with one thread it is the step's own compute time, with
more it is their sum. ``--clock wall`` times by ``time.perf_counter``.

Only ratios are printed: to full fine-tuning for training, to the plain model for inference;
``trainable_percent`` is DLM's trainable parameters over all backbone parameters.
``--json`` prints one JSON object. ``--profile CONFIG`` profiles one step of a configuration
in this process (``torch.profiler``) and prints where its time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import multiprocessing
import re
import resource
import statistics
import sys
import tempfile
import time
import traceback

import torch

import dlm_core  # noqa: F401  (registries, dependency fixes)
from dlm_core.registry import MODELS
from dlm_core.tasks import build_task

GEOMETRIES = {
    # ViT-B at the paper's token count: 16 x 224 x 224, tubelets 2 x 16 x 16 -> 1568 tokens
    'vit-b': dict(layers=12, width=768, heads=12, frames=16, size=224, patch=16, classes=174),
    # for tests: the same code paths in seconds
    'tiny': dict(layers=4, width=64, heads=4, frames=4, size=32, patch=8, classes=10),
}
NUM_AUX, NUM_PROMPTS, TUBELET = 5, 8, 2
#: ``--attention``: the backbone type each choice builds (in the ``tasks_recognition`` scope)
BACKBONES = dict(fused='FusedAttentionViT', mmaction='VisionTransformer')
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
CLOCKS = dict(cpu=time.process_time, wall=time.perf_counter)
TRAIN = ('full_ft', 'vpt_shallow', 'dlm_uncached', 'dlm_cached')
INFER = ('plain_infer', 'static_infer')
TARGETS = {
    'dlm_cached_over_full_ft': 0.45,
    'dlm_uncached_over_full_ft': 1.5,
    'mem_cached_over_full_ft': 0.5,
    'static_over_plain_infer': 1.05,
    'trainable_percent': 10.8,
}


# -- the models ---------------------------------------------------------------------------
def recognizer(geometry: dict, attention: str = 'fused') -> dict:
    width = geometry['width']
    return dict(
        type='Recognizer3D',
        backbone=dict(
            type=BACKBONES[attention],
            img_size=geometry['size'],
            patch_size=geometry['patch'],
            embed_dims=width,
            depth=geometry['layers'],
            num_heads=geometry['heads'],
            mlp_ratio=4,
            qkv_bias=True,
            num_frames=geometry['frames'],
            tubelet_size=TUBELET,
            norm_cfg=dict(type='LN', eps=1e-6),
            use_mean_pooling=True,
        ),
        cls_head=dict(
            type='TimeSformerHead',
            num_classes=geometry['classes'],
            in_channels=width,
            average_clips='prob',
        ),
        data_preprocessor=dict(
            type='ActionDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            format_shape='NCTHW',
        ),
    )


def plugin(geometry: dict, attention: str = 'fused') -> dict:
    model = recognizer(geometry, attention)
    return dict(type='tasks_recognition.ActionRecognitionTask', model=model)


def dlm(geometry: dict, attention: str = 'fused', **kwargs) -> torch.nn.Module:
    cfg = dict(
        type='MultiTaskPromptModel',
        primary=plugin(geometry, attention),
        auxiliaries={f'aux{i}': plugin(geometry, attention) for i in range(NUM_AUX)},
        mapper=dict(
            type='DoubleLayerMapper', num_prompts=NUM_PROMPTS, reduction=16, adapter_reduction=16
        ),
    )
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(geometry: dict):
    """One normalised clip ``(1, 1, 3, T, H, W)`` and its data sample (label, file, frames)."""
    from mmaction.structures import ActionDataSample

    size, frames = geometry['size'], geometry['frames']
    inputs = torch.randn(1, 1, 3, frames, size, size, generator=torch.Generator().manual_seed(0))
    sample = ActionDataSample().set_gt_label(torch.tensor([1]))
    sample.set_metainfo(dict(filename='benchmark.mp4', frame_inds=list(range(frames))))
    return inputs, [sample]


class _OneClip:
    """The benchmark's training data: one decoded clip, the same every epoch (its pipeline
    has no transform at all, so the tap cache may serve it)."""

    def __init__(self):
        from mmengine.dataset import Compose

        self.pipeline = Compose([])


def _train_step(model, params, forward):
    optimizer = torch.optim.AdamW(params, lr=1e-4)

    def step():
        losses = forward()
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def build(name: str, geometry: dict, cache_dir: str, attention: str = 'fused'):
    """``(step, info)``: one step of configuration ``name`` and facts about its model."""
    inputs, samples = batch(geometry)
    info = {}
    if name in ('full_ft', 'plain_infer'):
        model = build_task(plugin(geometry, attention)).model
        if name == 'plain_infer':
            model.eval()
            return lambda: model(inputs, samples, mode='predict'), info
        model.train()
        params = list(model.parameters())
        return _train_step(model, params, lambda: model.loss(inputs, samples)), info
    if name == 'vpt_shallow':
        model = dlm(
            geometry,
            attention,
            auxiliaries=None,
            prompt_layer=0,
            mapper=dict(type='StaticPrompts', num_prompts=NUM_PROMPTS),
        )
    elif name == 'static_infer':
        model = dlm(geometry, attention, infer_mode='static').eval()
        with torch.no_grad():
            model.ema_prompts.normal_(std=0.02)
            model.ema_steps.fill_(1)
        return lambda: model(inputs, samples, mode='predict'), info
    elif name == 'dlm_uncached':
        model = dlm(geometry, attention)
        info['trainable_percent'] = model.trainable_percent
    elif name == 'dlm_cached':
        model = dlm(geometry, attention, tap_cache=dict(enabled=True, cache_dir=cache_dir))
        if not model.attach_tap_cache(cache_dir, dataset=_OneClip(), dataset_cfg=geometry):
            raise RuntimeError('the tap cache refused the benchmark data')
        model.train()
        with torch.no_grad():  # the first epoch fills the cache
            model(inputs, samples, mode='loss')
        if model.tap_cache.misses != 1:
            raise RuntimeError('the tap cache stored nothing')
    else:
        raise ValueError(f'unknown configuration {name!r}; known: {", ".join(TRAIN + INFER)}')
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    step = _train_step(model, params, lambda: model(inputs, samples, mode='loss'))
    if name == 'dlm_cached':
        served = model.tap_cache

        def checked():
            before = served.hits
            step()
            if served.hits != before + 1:
                raise RuntimeError('a cached step did not read the cache')

        return checked, info
    return step, info


# -- measuring ----------------------------------------------------------------------------
def _status_kib(field: str) -> int | None:
    try:
        with open('/proc/self/status') as handle:
            match = re.search(rf'^{field}:\s+(\d+) kB', handle.read(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _trim_heap() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL('libc.so.6').malloc_trim(0)


def _mmap_threshold(nbytes: int) -> None:
    """Allocations of ``nbytes`` or more get their own ``mmap`` (glibc; elsewhere a no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL('libc.so.6').mallopt(M_MMAP_THRESHOLD, nbytes)


def _reset_peak() -> bool:
    try:
        with open('/proc/self/clear_refs', 'w') as handle:
            handle.write('5')
        return True
    except OSError:
        return False


def measure(
    name: str, geometry: dict, reps: int, threads: int, clock: str = 'cpu', attention: str = 'fused'
) -> dict:
    """Memory (two steps) and time (``reps`` more) of one configuration, in this process."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    timer = CLOCKS[clock]
    with tempfile.TemporaryDirectory(prefix='dlm-benchmark-') as cache_dir:
        step, info = build(name, geometry, cache_dir, attention)
        grad = torch.enable_grad() if name in TRAIN else torch.no_grad()
        _mmap_threshold(64 * 1024)
        _trim_heap()
        base = _status_kib('VmRSS')
        exact = base is not None and _reset_peak()
        with grad:
            for _ in range(2):
                step()
            if exact:
                peak = _status_kib('VmHWM')
            else:  # ru_maxrss: KiB on Linux; the whole life of the process
                peak, base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, base or 0
            _mmap_threshold(32 * 1024 * 1024)
            times = []
            for _ in range(reps):
                start = timer()
                step()
                times.append(timer() - start)
    return dict(
        info,
        seconds=statistics.median(times),
        memory=max(0, peak - base) * 1024,
        exact_memory=exact,
    )


def _child(name, geometry, reps, threads, clock, attention, queue) -> None:
    try:
        queue.put(('ok', measure(name, geometry, reps, threads, clock, attention)))
    except BaseException:  # noqa: BLE001  (the parent reports it)
        queue.put(('error', traceback.format_exc()))


def measure_isolated(
    name: str, geometry: dict, reps: int, threads: int, clock: str, attention: str = 'fused'
) -> dict:
    """:func:`measure` in a forked process of its own (a clean memory peak)."""
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    args = (name, geometry, reps, threads, clock, attention, queue)
    process = context.Process(target=_child, args=args)
    process.start()
    status, payload = queue.get()
    process.join()
    if status != 'ok':
        raise RuntimeError(f'configuration {name} failed:\n{payload}')
    return payload


def summarise(results: dict) -> dict:
    full, plain = results['full_ft'], results['plain_infer']
    out = {
        f'{name}_over_full_ft': results[name]['seconds'] / full['seconds']
        for name in ('vpt_shallow', 'dlm_uncached', 'dlm_cached')
    }
    out['mem_vpt_shallow_over_full_ft'] = results['vpt_shallow']['memory'] / full['memory']
    out['mem_uncached_over_full_ft'] = results['dlm_uncached']['memory'] / full['memory']
    out['mem_cached_over_full_ft'] = results['dlm_cached']['memory'] / full['memory']
    out['static_over_plain_infer'] = results['static_infer']['seconds'] / plain['seconds']
    out['mem_static_over_plain_infer'] = results['static_infer']['memory'] / max(1, plain['memory'])
    out['trainable_percent'] = results['dlm_uncached']['trainable_percent']
    out['targets'] = {
        key: dict(limit=limit, met=out[key] <= limit) for key, limit in TARGETS.items()
    }
    return out


def table(summary: dict, args) -> str:
    rows = [
        ('full fine-tuning', '1.000', '1.000'),
        (
            'VPT-shallow',
            f'{summary["vpt_shallow_over_full_ft"]:.3f}',
            f'{summary["mem_vpt_shallow_over_full_ft"]:.3f}',
        ),
        (
            f'DLM, {NUM_AUX} auxiliaries, no cache',
            f'{summary["dlm_uncached_over_full_ft"]:.3f}',
            f'{summary["mem_uncached_over_full_ft"]:.3f}',
        ),
        (
            f'DLM, {NUM_AUX} auxiliaries, tap cache',
            f'{summary["dlm_cached_over_full_ft"]:.3f}',
            f'{summary["mem_cached_over_full_ft"]:.3f}',
        ),
    ]
    lines = [
        f'geometry {args.geometry}, batch 1, median of {args.reps} steps ({args.clock} time), '
        f'{args.threads} thread(s), {args.attention} attention',
        '',
        f'{"training step":34} {"time / full FT":>15} {"memory / full FT":>17}',
    ]
    lines += [f'{a:34} {b:>15} {c:>17}' for a, b, c in rows]
    lines += [
        '',
        f'{"inference":34} {"time / plain":>15} {"memory / plain":>17}',
        f'{"plain primary":34} {"1.000":>15} {"1.000":>17}',
        f'{"static prompts (DLM)":34} {summary["static_over_plain_infer"]:>15.3f} '
        f'{summary["mem_static_over_plain_infer"]:>17.3f}',
        '',
        f'trainable parameters: {summary["trainable_percent"]:.2f} % of all backbones',
        '',
        'targets: '
        + ', '.join(
            f'{k} <= {v["limit"]} ({"met" if v["met"] else "MISSED"})'
            for k, v in summary['targets'].items()
        ),
    ]
    return '\n'.join(lines)


def profile(
    name: str, geometry: dict, threads: int, rows: int = 20, attention: str = 'fused'
) -> str:
    """Where one step's time goes (after a warm-up step), by operator."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix='dlm-benchmark-') as cache_dir:
        step, _ = build(name, geometry, cache_dir, attention)
        grad = torch.enable_grad() if name in TRAIN else torch.no_grad()
        with grad:
            step()
            with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
                step()
    return prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=rows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=3, help='timed steps per configuration')
    parser.add_argument('--threads', type=int, default=1, help='torch intra-op threads')
    parser.add_argument('--geometry', choices=sorted(GEOMETRIES), default='vit-b')
    parser.add_argument(
        '--clock',
        choices=sorted(CLOCKS),
        default='cpu',
        help='CPU time of the process or wall time',
    )
    parser.add_argument('--tiny', action='store_true', help='same as --geometry tiny')
    parser.add_argument(
        '--attention',
        choices=sorted(BACKBONES),
        default='fused',
        help="every backbone's attention: fused (scaled_dot_product_attention) or mmaction2's",
    )
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    parser.add_argument('--save', metavar='FILE', help='also write the JSON object to FILE')
    parser.add_argument(
        '--profile', choices=TRAIN + INFER, help='profile one step of a configuration instead'
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.geometry = 'tiny'
    if args.reps < 1:
        parser.error('--reps must be at least 1')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    geometry = GEOMETRIES[args.geometry]
    if args.profile:
        print(profile(args.profile, geometry, args.threads, attention=args.attention))
        return 0
    results = {}
    # logs of the measured processes go to stderr: stdout holds the table or the JSON only
    with contextlib.redirect_stdout(sys.stderr):
        for name in TRAIN + INFER:
            results[name] = measure_isolated(
                name, geometry, args.reps, args.threads, args.clock, args.attention
            )
            print(f'measured {name}: {results[name]["seconds"]:.3f} s a step')
    summary = summarise(results)
    summary.update(
        geometry=args.geometry,
        reps=args.reps,
        threads=args.threads,
        clock=args.clock,
        attention=args.attention,
    )
    text = json.dumps(summary, indent=1)
    if args.save:
        with open(args.save, 'w') as handle:
            handle.write(text + '\n')
    print(text if args.json else table(summary, args))
    return 0


if __name__ == '__main__':
    sys.exit(main())
