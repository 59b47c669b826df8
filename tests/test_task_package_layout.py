"""Every task package has the same layout, and its registries reach every class it registers
through their ``locations``: importing the package imports no module only to register it,
and the first lookup in a registry imports the modules that register into it."""

from __future__ import annotations

import json
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap

import pytest

from tests.helpers.paths import ROOT, repo_env

PACKAGES = ('tasks_recognition', 'tasks_detection', 'tasks_segmentation')
REQUIRED = ('plugins', 'models', 'datasets', 'datasets/transforms', 'demo')
OPTIONAL = ('evaluation', 'hooks', 'visualization', 'compat', 'configs')
TOP_MODULES = ('__init__.py', 'registry.py')
REGISTERED = re.compile(r'@(\w+)\.register_module\(\)\s*\nclass (\w+)')

# Run in a fresh interpreter: which modules the package imports, then what its registries hold
# once they have imported their locations.
CHECKS = textwrap.dedent("""
    import importlib
    import json
    import sys

    packages = sys.argv[1:]
    out = {}
    for name in packages:
        package = importlib.import_module(name)
        imported = sorted(m for m in sys.modules if m.split('.')[0] == name)
        registries = {}
        for key in ('TASKS', 'MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS'):
            registry = getattr(package, key)
            registry.import_from_location()
            registries[key] = sorted(registry.module_dict)
        out[name] = dict(imported=imported, registries=registries)
    print('CHECKS ' + json.dumps(out))
""")


def package_dir(name: str) -> str:
    return osp.join(ROOT, 'packages', name, name)


def registered_in_source(name: str) -> dict[str, set[str]]:
    """``{registry name: {class names}}`` of every ``@X.register_module()`` class in ``name``."""
    found: dict[str, set[str]] = {}
    for folder, _, files in os.walk(package_dir(name)):
        for file in files:
            if file.endswith('.py'):
                with open(osp.join(folder, file), encoding='utf-8') as handle:
                    for registry, cls in REGISTERED.findall(handle.read()):
                        found.setdefault(registry, set()).add(cls)
    return found


@pytest.mark.parametrize('name', PACKAGES)
def test_task_package_has_the_common_layout(name):
    root = package_dir(name)
    for folder in REQUIRED:
        assert osp.isfile(osp.join(root, folder, '__init__.py')), f'{name}/{folder}/ is missing'
    entries = {e for e in os.listdir(root) if e != '__pycache__'}
    extra = entries - set(REQUIRED) - set(OPTIONAL) - set(TOP_MODULES)
    assert not extra, f'{name} has top-level entries outside the common layout: {sorted(extra)}'


@pytest.fixture(scope='module')
def fresh_imports() -> dict:
    result = subprocess.run(
        [sys.executable, '-c', CHECKS, *PACKAGES],
        cwd=ROOT,
        env=repo_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith('CHECKS '))
    return json.loads(line[len('CHECKS ') :])


@pytest.mark.parametrize('name', PACKAGES)
def test_importing_a_task_package_registers_nothing(fresh_imports, name):
    modules = fresh_imports[name]['imported']
    lazy = [m for m in modules if m not in (name, f'{name}.registry')]
    assert all(m.startswith(f'{name}.compat') for m in lazy), lazy


@pytest.mark.parametrize('name', PACKAGES)
def test_registry_locations_reach_every_registered_class(fresh_imports, name):
    source = registered_in_source(name)
    assert source, f'no registered class found in {name}'
    held = fresh_imports[name]['registries']
    for registry, classes in source.items():
        missing = classes - set(held[registry])
        assert not missing, f'{name}.{registry} does not reach {sorted(missing)}'
