"""MultiTaskPromptModel on the toy plugin: what trains, what stays frozen, what predicts."""

import pytest
import torch

from dlm_core.models import PromptedTaskModel
from dlm_core.registry import MODELS, TASKS, build_from
from dlm_core.tasks import TokenState
from tests.helpers import toy_task  # noqa: F401  (registers the toy plugin)
from tests.helpers.toy_task import TOY_TASKS, ToyTask

PRIMARY = dict(type='ToyTask', in_dim=16, dim=32, depth=4, num_classes=3)
AUXILIARIES = dict(
    wide=dict(type='ToyTask', in_dim=12, dim=48, depth=6, num_classes=5),
    narrow=dict(type='ToyTask', in_dim=16, dim=24, depth=2, num_classes=2),
)


def build_model(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='MultiTaskPromptModel',
        primary=PRIMARY,
        auxiliaries=AUXILIARIES,
        mapper=dict(type='DoubleLayerMapper', num_prompts=4, reduction=4, adapter_reduction=4),
    )
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(size=6, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(size, 10, 16, generator=generator), torch.randint(
        3, (size,), generator=generator
    )


def train_steps(model, steps=3, lr=0.1):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr)
    model.train()
    for step in range(steps):
        inputs, labels = batch(seed=step)
        loss = model(inputs, labels, mode='loss')['loss_cls']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def names_with_grad(model):
    return {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}


@pytest.mark.parametrize('train_head', [False, True])
def test_gradients_reach_only_the_mapper_and_optionally_the_head(train_head):
    model = build_model(train_head=train_head).train()
    inputs, labels = batch()
    model(inputs, labels, mode='loss')['loss_cls'].backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    expected = {n for n in trainable if n.startswith('mapper.')}
    if train_head:
        expected |= {'primary.model.head.weight', 'primary.model.head.bias'}
    assert trainable == expected
    with_grad = names_with_grad(model)
    assert with_grad <= trainable
    # the adapter's up-projection starts at zero, so the down-projection gets no gradient
    # on the first step; everything else in the mapper must receive one
    assert {n for n in trainable if '.adapters.' not in n} <= with_grad | {
        n for n in trainable if n.endswith('down.weight') or n.endswith('down.bias')
    }
    assert all(p.grad is None for n, p in model.named_parameters() if n not in trainable)


def test_frozen_modules_stay_in_eval_mode_after_train():
    model = build_model(train_head=True).train()
    for plugin in [model.primary, *model.auxiliaries.values()]:
        for module in plugin.modules():
            is_head = module is model.primary.model.head
            assert module.training == is_head
    assert model.mapper.training


def _frozen_outputs(model, inputs):
    """The auxiliary taps and the primary's tokens below the prompt layer and without
    prompts: what training must leave bit-identical."""
    model.eval()
    with torch.no_grad():
        taps = model.auxiliary_taps(inputs, None)
        lower = model.primary.tokens(
            model.primary.run_layers(model.primary.embed(inputs), 0, model.prompt_layer)
        )
        plain = model.primary.tokens(
            model.primary.run_layers(model.primary.embed(inputs), 0, model.primary.num_layers)
        )
    return taps, lower, plain


def test_frozen_outputs_are_bit_identical_after_training_steps():
    model = build_model()
    inputs, _ = batch(seed=9)
    taps_before, lower_before, plain_before = _frozen_outputs(model, inputs)
    mapper_before = {k: v.clone() for k, v in model.mapper.state_dict().items()}
    train_steps(model)
    taps_after, lower_after, plain_after = _frozen_outputs(model, inputs)
    for before, after in zip(taps_before, taps_after):
        assert torch.equal(before, after)
    assert torch.equal(lower_before, lower_after)
    assert torch.equal(plain_before, plain_after)
    assert any(not torch.equal(v, model.mapper.state_dict()[k]) for k, v in mapper_before.items())


def test_prompt_tokens_never_reach_the_head():
    model = build_model()
    model.primary.head_token_counts.clear()
    inputs, labels = batch()
    model.train()
    model(inputs, labels, mode='loss')
    model.eval()
    model(inputs, labels, mode='predict')
    assert model.primary.head_token_counts == [10, 10]
    # the encoder did carry them: 2 auxiliaries x 4 prompts join the 10 tokens
    assert model(inputs, labels, mode='tensor').shape == (6, 18, 32)


def test_taps_run_only_up_to_the_tap_layer():
    model = build_model()
    calls = []
    for aux in model.auxiliaries.values():
        for index, layer in enumerate(aux.model.layers):
            layer.register_forward_hook(lambda m, i, o, name=index: calls.append(name))
    model.auxiliary_taps(batch()[0], None)
    # in name order: narrow (2 layers, tapped after 1), then wide (6 layers, tapped after 3)
    assert calls == [0, 0, 1, 2]


def test_static_prediction_equals_prediction_with_the_ema_prompts():
    model = train_steps(build_model(infer_mode='static'))
    assert int(model.ema_steps) == 3
    model.eval()
    inputs, labels = batch(seed=5)
    static = model(inputs, labels, mode='predict')
    ema = model.ema_prompts.unsqueeze(0).expand(6, -1, -1)
    state = model.primary.run_layers(
        model.primary.run_layers(model.primary.embed(inputs), 0, model.prompt_layer),
        model.prompt_layer,
        model.primary.num_layers,
        ema,
    )
    manual = model.primary.predict(state, labels)
    for a, b in zip(static, manual):
        assert torch.equal(a['logits'], b['logits'])
    # the static path runs no auxiliary model
    for aux in model.auxiliaries.values():
        aux.embed = None
    model(inputs, labels, mode='predict')


def test_ema_is_the_moving_average_of_batch_prompts():
    model = build_model(ema_momentum=0.5).train()
    seen = []
    original = model.mapper.forward
    model.mapper.forward = lambda taps, b=None: seen.append(original(taps, b)) or seen[-1]
    for step in range(3):
        inputs, labels = batch(seed=step)
        model(inputs, labels, mode='loss')
    means = [s.detach().mean(0) for s in seen]
    expected = 0.5 * (0.5 * means[0] + 0.5 * means[1]) + 0.5 * means[2]
    torch.testing.assert_close(model.ema_prompts, expected)


def test_static_prediction_before_training_is_a_clear_error():
    model = build_model().eval()
    with pytest.raises(RuntimeError, match='ema_steps=0'):
        model(*batch(), mode='predict')
    model.infer_mode = 'dynamic'
    assert len(model(*batch(), mode='predict')) == 6


def test_exported_prompts_reproduce_static_predictions_in_a_plain_model(tmp_path):
    model = train_steps(build_model())
    checkpoint = tmp_path / 'primary.pth'
    torch.save({'state_dict': model.primary.model.state_dict()}, checkpoint)
    prompt_file = str(tmp_path / 'prompts.pth')
    model.export_prompts(prompt_file)
    plain = MODELS.build(
        dict(
            type='PromptedTaskModel',
            prompt_file=prompt_file,
            task=dict(PRIMARY, checkpoint=str(checkpoint)),
        )
    ).eval()
    assert isinstance(plain, PromptedTaskModel)
    assert plain.prompt_layer == model.prompt_layer
    model.eval()
    inputs, labels = batch(seed=7)
    for a, b in zip(model(inputs, labels, mode='predict'), plain(inputs, labels, mode='predict')):
        assert torch.equal(a['logits'], b['logits'])


def test_trainable_percent_equals_a_hand_count():
    model = build_model()
    backbone = sum(p.numel() for p in model.primary.model.parameters())
    backbone += sum(p.numel() for aux in model.auxiliaries.values() for p in aux.model.parameters())
    mapper = sum(p.numel() for p in model.mapper.parameters())
    assert model.backbone_parameters == backbone
    assert model.trainable_parameters == mapper
    assert model.trainable_percent == pytest.approx(100 * mapper / backbone)


def test_checkpoint_with_missing_keys_is_an_error(tmp_path):
    plugin = build_from(TASKS, PRIMARY)
    state = plugin.model.state_dict()
    state.pop('head.bias')
    state['extra.weight'] = torch.zeros(1)
    path = tmp_path / 'bad.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(RuntimeError, match=r'bad.pth.*missing keys \[head.bias\].*unexpected keys'):
        build_model(primary=dict(PRIMARY, checkpoint=str(path)))


def test_checkpoint_is_loaded_and_survives_init_weights(tmp_path):
    source = build_from(TASKS, PRIMARY)
    torch.nn.init.constant_(source.model.head.weight, 0.25)
    path = tmp_path / 'primary.pth'
    torch.save({'state_dict': source.model.state_dict()}, path)
    model = build_model(primary=dict(PRIMARY, checkpoint=str(path)))
    model.init_weights()
    assert torch.equal(model.primary.model.head.weight, source.model.head.weight)


def test_unknown_plugin_lists_the_registered_ones():
    with pytest.raises(KeyError, match=r'NoSuchTask.*Registered: .*toy_tasks\.ToyTask'):
        build_model(primary=dict(type='NoSuchTask'))


def test_mapper_built_for_other_widths_is_an_error():
    # auxiliaries in name order: narrow (24) first, then wide (48)
    with pytest.raises(ValueError, match=r'aux_dims\[1\]=32 but auxiliary 1 \(wide'):
        build_model(mapper=dict(type='DoubleLayerMapper', aux_dims=[24, 32]))


def test_view_needing_a_missing_key_names_it():
    model = build_model()
    model.primary.shared_sample = lambda inputs, samples: dict(frames=inputs)
    with pytest.raises(KeyError, match=r'ToyTask sees another task through its "features"'):
        model(*batch(), mode='loss')


def test_vpt_shallow_and_middle_differ_only_in_the_prompt_layer():
    shallow = build_model(
        auxiliaries=None, prompt_layer=0, mapper=dict(type='StaticPrompts', num_prompts=4)
    )
    middle = build_model(auxiliaries=None, mapper=dict(type='StaticPrompts', num_prompts=4))
    assert (shallow.prompt_layer, middle.prompt_layer) == (0, 2)
    assert shallow.trainable_parameters == middle.trainable_parameters == 4 * 32
    inputs, labels = batch()
    shallow.train()
    shallow(inputs, labels, mode='loss')['loss_cls'].backward()
    assert names_with_grad(shallow) == {'mapper.prompts'}


def test_missing_checkpoint_names_the_command_that_makes_it(tmp_path):
    aux = dict(
        AUXILIARIES['wide'],
        checkpoint=str(tmp_path / 'work_dirs' / 'wide'),
        checkpoint_hint='python tools/train.py configs/tasks/wide_demo.py',
    )
    with pytest.raises(
        FileNotFoundError,
        match=r'work_dirs/wide does not exist; produce it with: '
        r'python tools/train.py configs/tasks/wide_demo.py',
    ):
        build_model(auxiliaries=dict(wide=aux))


def test_a_work_dir_checkpoint_resolves_to_its_last_checkpoint(tmp_path):
    source = build_from(TASKS, PRIMARY)
    torch.nn.init.constant_(source.model.head.bias, 0.5)
    work_dir = tmp_path / 'primary_demo'
    work_dir.mkdir()
    torch.save({'state_dict': source.model.state_dict()}, work_dir / 'epoch_3.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_3.pth'))
    model = build_model(primary=dict(PRIMARY, checkpoint=str(work_dir)))
    assert torch.equal(model.primary.model.head.bias, torch.full((3,), 0.5))


def test_a_plugin_can_wrap_a_single_task_config(tmp_path):
    config = tmp_path / 'wide_demo.py'
    config.write_text('model = dict(in_dim=12, dim=48, depth=6, num_classes=5)\n')
    source = build_from(TASKS, AUXILIARIES['wide'])
    work_dir = tmp_path / 'work_dirs' / 'wide_demo'
    work_dir.mkdir(parents=True)
    torch.save({'state_dict': source.model.state_dict()}, work_dir / 'epoch_1.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    config.write_text(config.read_text() + f'work_dir = {str(work_dir)!r}\n')
    model = build_model(auxiliaries=dict(wide=dict(type='ToyTask', task_config=str(config))))
    wide = model.auxiliaries['wide']
    assert (wide.embed_dim, wide.num_layers) == (48, 6)
    assert torch.equal(wide.model.head.weight, source.model.head.weight)
    assert wide.checkpoint_hint == f'python tools/train.py {config}'


# -- exact start on the toy primary ---------------------------------------------------------
@TOY_TASKS.register_module(force=True)
class GatedToyTask(ToyTask):
    """The toy plugin routing its prompt rows' attention share through the core's gate."""

    supports_prompt_gate = True

    def run_layers(self, state, start, stop, prompts=None, gate=None):
        if prompts is not None:
            state = state.prepend(prompts, gate)
        tokens, gate, count = state.tokens, state.gate, state.num_prompts
        for index in range(start, stop):
            layer = self.model.layers[index]
            if gate is None or not count:
                tokens = layer(tokens)
                continue
            normed = layer.norm1(tokens)
            rows, task = normed[:, :count], normed[:, count:]
            attn = layer.self_attn
            task_out = attn(task, task, task, need_weights=False)[0]
            task_out = task_out + gate.layer(index).mha_prompt_term(attn, task, rows, rows)
            rows_out = attn(rows, normed, normed, need_weights=False)[0]
            tokens = tokens + layer.dropout1(torch.cat([rows_out, task_out], dim=1))
            tokens = tokens + layer._ff_block(layer.norm2(tokens))
        return TokenState(tokens, count, state.extras)


GATED_PRIMARY = dict(PRIMARY, type='GatedToyTask')


def plain_logits(model, inputs):
    plugin = model.primary
    with torch.no_grad():
        state = plugin.run_layers(plugin.embed(inputs), 0, plugin.num_layers)
        return torch.stack([p['logits'] for p in plugin.predict(state, None)])


def test_exact_start_gates_are_trained_counted_saved_and_start_at_the_frozen_model():
    plain = build_model(primary=GATED_PRIMARY)
    model = build_model(primary=GATED_PRIMARY, exact_start=True, infer_mode='dynamic')
    gate = model.prompt_gate
    assert gate.logits.shape == (4 - 2, 2) and not gate.logits.any()  # 2 layers, 2 auxiliaries
    assert model.trainable_parameters == plain.trainable_parameters + 4
    assert 'prompt_gate.logits' in model.trained_state_dict()
    inputs, labels = batch()
    model.eval()
    with torch.no_grad():
        prompted = torch.stack([p['logits'] for p in model(inputs, labels, mode='predict')])
    torch.testing.assert_close(prompted, plain_logits(model, inputs), rtol=1e-5, atol=1e-6)
    train_steps(model, steps=2, lr=0.1)
    assert gate.logits.abs().min() > 0 and names_with_grad(model) >= {'mapper.prompts.0'}


def test_an_exact_start_prompt_file_carries_its_gates(tmp_path):
    model = train_steps(build_model(primary=GATED_PRIMARY, exact_start=True), steps=3)
    checkpoint = tmp_path / 'primary.pth'
    torch.save({'state_dict': model.primary.model.state_dict()}, checkpoint)
    prompt_file = str(tmp_path / 'prompts.pth')
    model.export_prompts(prompt_file)
    plain = PromptedTaskModel(task=dict(GATED_PRIMARY, checkpoint=str(checkpoint)),
                              prompt_file=prompt_file)  # fmt: skip
    assert torch.equal(plain.prompt_gate.logits, model.prompt_gate.logits.detach())
    assert plain.trainable_parameters == 0
    model.eval()
    inputs, labels = batch(seed=7)
    for a, b in zip(model(inputs, labels, mode='predict'), plain(inputs, labels, mode='predict')):
        torch.testing.assert_close(a['logits'], b['logits'])
    # the same file with another prompt layer no longer fits its gates
    with pytest.raises(RuntimeError, match='do not fit 8 prompts .* before layer 1 of 4'):
        PromptedTaskModel(task=GATED_PRIMARY, prompt_file=prompt_file, prompt_layer=1)


def test_exact_start_with_vpt_prompts_and_at_the_first_layer():
    model = build_model(
        primary=GATED_PRIMARY,
        auxiliaries=None,
        prompt_layer=0,
        mapper=dict(type='StaticPrompts', num_prompts=4),
        exact_start=True,
    ).eval()
    assert model.prompt_gate.groups == [4] and model.prompt_gate.logits.shape == (4, 1)
    inputs, labels = batch()
    with torch.no_grad():
        prompted = torch.stack([p['logits'] for p in model(inputs, labels, mode='predict')])
    torch.testing.assert_close(prompted, plain_logits(model, inputs), rtol=1e-5, atol=1e-6)


def test_exact_start_needs_a_plugin_that_takes_the_gate_and_a_mapper():
    with pytest.raises(ValueError, match='ToyTask does not'):
        build_model(exact_start=True)
    with pytest.raises(ValueError, match='needs a mapper'):
        build_model(primary=GATED_PRIMARY, mapper=None, auxiliaries=None, exact_start=True)


def test_exact_start_on_the_tap_cache_path_starts_at_the_frozen_loss(tmp_path):
    from mmengine.dataset import Compose

    class Deterministic:
        pipeline = Compose([])

    model = build_model(primary=GATED_PRIMARY, exact_start=True, tap_cache=True).train()
    assert model.attach_tap_cache(str(tmp_path), dataset=Deterministic())
    inputs, labels = batch()
    with torch.no_grad():
        frozen = model.primary.run_layers(model.primary.embed(inputs), 0, 4)
        expected = model.primary.loss(frozen, labels)['loss_cls']
    model(inputs, labels, mode='loss')  # computes the lower halves and stores them
    loss = model(inputs, labels, mode='loss')['loss_cls']  # served from the cache
    assert model.tap_cache.hits == 6
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    loss.backward()
    assert model.prompt_gate.logits.grad.abs().sum() > 0
