"""The DLM-VMTL demo benchmark as a tool: plan, runner, records, statistics, report.

It drives ``tools/train.py`` and ``tools/test.py`` in subprocesses and imports no task
package; ``tools/reproduce.py`` is its command line (``dlm_bench.cli``).
"""

__version__ = '0.1.0'
