"""The command-line tools: ``python tools/<tool>.py`` runs one as a script; a package so
that tests import a tool (``from tools import train``) instead of loading its file."""
