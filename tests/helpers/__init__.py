"""Helpers the tests share: the toy task plugins, demo sets written under tmp_path, paths."""
