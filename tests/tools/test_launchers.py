"""``--launcher slurm`` reaches MMEngine's slurm set-up (issue #12).

No slurm here: the test plays ``srun -n 2``'s part, starting two tasks with the
``SLURM_*`` variables srun sets. Each runs tools/train.py through MMEngine's real
``_init_dist_slurm`` (which reads them, sets ``RANK``/``WORLD_SIZE`` and makes the process
group); only what a CPU machine lacks is stood in for: ``torch.cuda.set_device`` does
nothing, the backend is gloo, DDP gets no device ids, and ``MASTER_ADDR`` is set (so
``scontrol``, which picks the first node, is not needed).
"""

from __future__ import annotations

import glob
import socket
import subprocess
import sys

import torch

from dlm_core.compat.safe_checkpoint import load_checkpoint_file
from tests.helpers.paths import ROOT, repo_env
from tests.helpers.toy_runs import toy_run_text

CONFIG = toy_run_text(batch_size=4, num_samples=16, max_epochs=1, lr=1e-3, rest="""
    default_hooks = dict(logger=dict(interval=1))
    custom_hooks = [dict(type='SaveTrainedTensorsHook')]
    env_cfg = dict(dist_cfg=dict(backend='gloo'))
    model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None)
""")  # fmt: skip

# tools/train.py as srun starts it, on a machine without a GPU
TASK = (
    'import sys, torch; torch.cuda.set_device = lambda device: None; '
    'from tools.train import main; main(sys.argv[1:])'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_slurm_launcher_starts_one_process_group_from_the_slurm_variables(tmp_path):
    config = tmp_path / 'toy.py'
    config.write_text(CONFIG)
    work_dir = tmp_path / 'work'
    port = str(free_port())
    tasks = []
    for proc_id in range(2):
        env = repo_env(
            OMP_NUM_THREADS='1',
            SLURM_PROCID=str(proc_id),
            SLURM_LOCALID=str(proc_id),
            SLURM_NTASKS='2',
            SLURM_NODELIST='localhost',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=port,
        )
        for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):  # set by the slurm init, not us
            env.pop(name, None)
        command = [sys.executable, '-c', TASK, str(config), '--work-dir', str(work_dir)]
        tasks.append(
            subprocess.Popen(
                [*command, '--launcher', 'slurm'],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [task.communicate(timeout=300)[0] for task in tasks]
    for task, output in zip(tasks, outputs):
        assert task.returncode == 0, output[-3000:]
    (log,) = glob.glob(str(work_dir / '*' / '*.log'))
    with open(log) as handle:
        text = handle.read()
    assert 'Distributed launcher: slurm' in text
    assert 'Distributed training: True' in text
    assert 'GPU number: 2' in text  # MMEngine's name for the world size
    # both ranks trained the same replicated mapper (DDP averaged their gradients)
    ranks = [load_checkpoint_file(str(work_dir / f'trained_rank{r}.pth')) for r in range(2)]
    assert ranks[0].keys() == ranks[1].keys()
    for key in ranks[0]:
        torch.testing.assert_close(ranks[0][key], ranks[1][key])
