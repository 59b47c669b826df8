"""The fixes of docs/method.md §5: mmaction2's missing DRN module, dlm_core's isolation."""

import subprocess
import sys
import textwrap

import pytest


def run_python(code, **kwargs):
    return subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, **kwargs
    )


def test_mmaction_models_imports_once_dlm_core_is_imported():
    result = run_python("""
        import dlm_core
        import mmaction.models
        from mmaction.models.localizers import DRN, BMN
        try:
            DRN()
        except ImportError as err:
            print('DRN:', err)
        """)
    assert result.returncode == 0, result.stderr
    assert 'ships without mmaction/models/localizers/drn' in result.stdout


def test_task_packages_make_mmaction_importable():
    result = run_python('import tasks_recognition, mmaction.models')
    assert result.returncode == 0, result.stderr


def _fake_mmaction(root, with_drn):
    localizers = root / 'mmaction' / 'models' / 'localizers'
    localizers.mkdir(parents=True)
    for package in (root / 'mmaction', root / 'mmaction' / 'models'):
        (package / '__init__.py').write_text('')
    (localizers / '__init__.py').write_text('from .drn.drn import DRN\n')
    if with_drn:
        (localizers / 'drn').mkdir()
        (localizers / 'drn' / '__init__.py').write_text('')
        (localizers / 'drn' / 'drn.py').write_text('class DRN:\n    real = True\n')


@pytest.mark.parametrize('with_drn', [True, False], ids=['fixed-mmaction', 'broken-mmaction'])
def test_drn_finder_acts_only_when_the_module_is_missing(tmp_path, with_drn):
    _fake_mmaction(tmp_path, with_drn)
    result = run_python(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import dlm_core
        from mmaction.models.localizers import DRN
        print(getattr(DRN, 'real', False))
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(with_drn)


def test_without_the_fix_the_broken_layout_fails(tmp_path):
    """Guards the test above: the fake broken layout really reproduces the defect."""
    _fake_mmaction(tmp_path, with_drn=False)
    result = run_python(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from mmaction.models.localizers import DRN
        """)
    assert result.returncode != 0
    assert "No module named 'mmaction.models.localizers.drn'" in result.stderr


def test_dlm_core_imports_no_task_library():
    result = run_python("""
        import sys
        import dlm_core, dlm
        from dlm_core.registry import MODELS, TASKS
        MODELS.get('MultiTaskPromptModel'); TASKS.import_from_location()
        loaded = {name.split('.')[0] for name in sys.modules}
        print(sorted(loaded & {'mmaction', 'mmdet', 'mmcv', 'tasks_recognition',
                               'tasks_detection', 'tasks_segmentation', 'sklearn'}))
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'
