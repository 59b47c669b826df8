"""The test suite; its folders mirror the repository: one per package, configs, docs, tools."""
