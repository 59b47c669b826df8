"""tools/benchmark.py on a tiny geometry: every configuration runs, the JSON holds the
ratios the README quotes, and they make sense."""

import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.helpers.paths import ROOT
from tools import benchmark

KEYS = (
    'dlm_cached_over_full_ft',
    'dlm_uncached_over_full_ft',
    'vpt_shallow_over_full_ft',
    'mem_cached_over_full_ft',
    'mem_uncached_over_full_ft',
    'mem_vpt_shallow_over_full_ft',
    'static_over_plain_infer',
    'mem_static_over_plain_infer',
    'trainable_percent',
)


@pytest.fixture(scope='module')
def tiny_run():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    done = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'benchmark.py'),
            '--tiny',
            '--reps',
            '2',
            '--json',
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)  # stdout holds the JSON object and nothing else


def test_the_json_holds_every_ratio_and_the_targets(tiny_run):
    for key in KEYS:
        assert math.isfinite(tiny_run[key]) and tiny_run[key] > 0, key
    assert set(tiny_run['targets']) == set(benchmark.TARGETS)
    for key, target in tiny_run['targets'].items():
        assert target['limit'] == benchmark.TARGETS[key]
        assert target['met'] == (tiny_run[key] <= target['limit'])
    assert (tiny_run['geometry'], tiny_run['reps'], tiny_run['threads']) == ('tiny', 2, 1)
    assert (tiny_run['clock'], tiny_run['attention']) == ('cpu', 'fused')


def test_the_ratios_make_sense(tiny_run):
    # the mapper of five auxiliaries is a fraction of six backbones
    assert 0 < tiny_run['trainable_percent'] < 100
    # the cached run keeps no auxiliary activations, gradients or optimizer states of the
    # backbone; full fine-tuning keeps all of them
    assert tiny_run['mem_cached_over_full_ft'] < 1
    assert tiny_run['mem_cached_over_full_ft'] < tiny_run['mem_uncached_over_full_ft']


def test_the_table_names_every_configuration(tiny_run):
    args = argparse.Namespace(geometry='tiny', reps=2, threads=1, clock='cpu', attention='fused')
    text = benchmark.table(tiny_run, args)
    for row in ('full fine-tuning', 'VPT-shallow', 'no cache', 'tap cache', 'static prompts'):
        assert row in text
    assert f'{tiny_run["dlm_cached_over_full_ft"]:.3f}' in text
    assert 'trainable parameters' in text


def test_trainable_percent_is_the_models_own():
    model = benchmark.dlm(benchmark.GEOMETRIES['tiny'])
    mapper = sum(p.numel() for p in model.mapper.parameters())
    backbones = sum(p.numel() for p in model.primary.model.parameters()) + sum(
        p.numel() for aux in model.auxiliaries.values() for p in aux.model.parameters()
    )
    assert model.trainable_percent == pytest.approx(100 * mapper / backbones)
    assert len(model.auxiliaries) == benchmark.NUM_AUX


@pytest.mark.parametrize(
    ('attention', 'backbone'),
    [('fused', 'FusedAttentionViT'), ('mmaction', 'VisionTransformer')],
)
def test_every_backbone_has_the_chosen_attention(attention, backbone):
    model = benchmark.dlm(benchmark.GEOMETRIES['tiny'], attention)
    tasks = [model.primary, *model.auxiliaries.values()]
    assert [type(task.backbone).__name__ for task in tasks] == [backbone] * (1 + benchmark.NUM_AUX)
    plain = benchmark.build_task(benchmark.plugin(benchmark.GEOMETRIES['tiny'], attention))
    assert type(plain.backbone).__name__ == backbone  # full FT and plain inference
    assert benchmark.parse_args([]).attention == 'fused'


def test_the_cached_configuration_reads_the_cache(tmp_path):
    step, _ = benchmark.build('dlm_cached', benchmark.GEOMETRIES['tiny'], str(tmp_path))
    step()  # raises when a step does not read the cache
    assert (tmp_path / 'manifest.json').is_file()


def test_profile_names_the_operators():
    text = benchmark.profile('static_infer', benchmark.GEOMETRIES['tiny'], threads=1, rows=5)
    assert 'aten::' in text
