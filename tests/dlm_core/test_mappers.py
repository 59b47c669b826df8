"""The mappers of docs/method.md §1-2: shapes, exactness of the fast path, errors."""

import pytest
import torch

from dlm_core.mappers import DimensionCorrespondingUnit, PromptExtractorLayer
from dlm_core.prompt_io import save_prompt_file
from dlm_core.registry import PROMPT_MAPPERS

TAPS = [(2, 50, 96), (2, 30, 64), (2, 10, 128)]


def make_taps(seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(*shape, generator=generator) for shape in TAPS]


def build_dlm(**kwargs):
    cfg = dict(type='DoubleLayerMapper', aux_dims=[96, 64, 128], primary_dim=192, num_prompts=8)
    cfg.update(kwargs)
    return PROMPT_MAPPERS.build(cfg)


def test_double_layer_mapper_maps_taps_to_prompts():
    mapper = build_dlm()
    assert mapper.num_output_prompts == 24
    assert mapper(make_taps()).shape == (2, 24, 192)


def test_adapter_starts_as_identity_and_ablation_loads_full_weights():
    torch.manual_seed(0)
    full = build_dlm().eval()
    ablated = build_dlm(second_layer=False).eval()
    assert not any('adapter' in name for name, _ in ablated.named_parameters())
    assert any('adapter' in name for name, _ in full.named_parameters())
    result = ablated.load_state_dict(full.state_dict(), strict=False)
    assert result.missing_keys == []
    assert all(key.startswith('adapters.') for key in result.unexpected_keys)
    taps = make_taps()
    torch.testing.assert_close(ablated(taps), full(taps), rtol=0, atol=0)


def test_prompt_rows_only_equals_full_layer():
    torch.manual_seed(1)
    # float64, so that equal maths shows as equal numbers (float32 rounding differs ~1e-6)
    layer = PromptExtractorLayer(96).eval().double()
    with torch.no_grad():  # layer norms away from (1, 0), so the folded affine part counts
        for parameter in layer.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    prompts = torch.randn(3, 8, 96, dtype=torch.float64, requires_grad=True)
    tokens = torch.randn(3, 50, 96, dtype=torch.float64, requires_grad=True)
    full = layer(prompts, tokens, rows_only=False)
    fast = layer(prompts, tokens, rows_only=True)
    assert fast.shape == (3, 8, 96)
    torch.testing.assert_close(fast, full, rtol=1e-10, atol=1e-10)

    # the same gradients for every parameter and both inputs
    upstream = torch.randn_like(full)
    inputs = [prompts, tokens, *layer.parameters()]
    reference = torch.autograd.grad(full, inputs, upstream)
    folded = torch.autograd.grad(layer(prompts, tokens, rows_only=True), inputs, upstream)
    for a, b in zip(folded, reference):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_dimension_unit_saves_parameters_against_one_layer():
    unit = DimensionCorrespondingUnit(768, 768, reduction=16)
    expected = 1 - (768 * 48 + 48 + 48 * 768 + 768) / (768 * 768 + 768)
    assert unit.parameter_saving() == pytest.approx(expected)
    assert unit.parameter_saving() > 0.85


def test_tap_width_mismatch_names_index_and_widths():
    taps = make_taps()
    taps[1] = torch.randn(2, 30, 65)
    with pytest.raises(ValueError, match=r'auxiliary tap 1 .*width 65.*\(B, N, 64\)'):
        build_dlm()(taps)


def test_wrong_number_of_taps_is_an_error():
    with pytest.raises(ValueError, match='built for 3 auxiliary tasks'):
        build_dlm()(make_taps()[:2])


def test_unknown_mapper_lists_registered():
    from dlm_core.registry import build_from

    with pytest.raises(KeyError, match='DoubleLayerMapper'):
        build_from(PROMPT_MAPPERS, dict(type='TripleLayerMapper', primary_dim=8))


def test_static_prompts_ignore_taps():
    mapper = PROMPT_MAPPERS.build(dict(type='StaticPrompts', primary_dim=32, num_prompts=4))
    assert not mapper.input_dependent
    out = mapper([], 5)
    assert out.shape == (5, 4, 32)
    assert torch.equal(out[0], out[4])


def test_transferred_prompts_project_to_a_wider_primary(tmp_path):
    source = torch.randn(6, 16)
    path = str(tmp_path / 'source.pth')
    save_prompt_file(path, source, prompt_layer=2, trained={})
    mapper = PROMPT_MAPPERS.build(
        dict(type='TransferredPrompts', primary_dim=40, init_file=path, num_prompts=8)
    )
    prompts = mapper([], 1)[0]
    assert prompts.shape == (8, 40)
    # a semi-orthogonal projection keeps the inner products of the source prompts
    gram = source @ source.T
    torch.testing.assert_close(prompts[:6] @ prompts[:6].T, gram, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(prompts[6:], prompts[:2])


def test_transferred_prompts_same_width_copies(tmp_path):
    source = torch.randn(4, 32)
    path = str(tmp_path / 'source.pth')
    save_prompt_file(path, source, prompt_layer=2, trained={})
    mapper = PROMPT_MAPPERS.build(dict(type='TransferredPrompts', primary_dim=32, init_file=path))
    torch.testing.assert_close(mapper([], 1)[0], source)


def test_prompt_groups_are_one_per_auxiliary_or_one_for_static_prompts():
    mapper = build_dlm(num_prompts=5)
    assert mapper.prompt_groups == [5, 5, 5]
    assert sum(mapper.prompt_groups) == mapper.num_output_prompts
    static = PROMPT_MAPPERS.build(dict(type='StaticPrompts', primary_dim=32, num_prompts=4))
    assert static.prompt_groups == [4]
