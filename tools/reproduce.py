"""Reproduce the paper's Tables 1 and 2 and Fig. 3 on the demo benchmark (resumable).

    python tools/reproduce.py [--quick] [--dry-run] [--report-only]
        [--primaries P ...] [--methods M ...] [--seeds K ...] [--root DIR]

The command line of the ``dlm_bench`` package (packages/dlm_bench): see ``dlm_bench.cli``
for what it plans, runs and writes (docs/results.json, docs/results.md).
"""

from __future__ import annotations

import sys

from dlm_bench.cli import main

if __name__ == '__main__':
    sys.exit(main())
