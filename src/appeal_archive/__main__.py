"""`python -m appeal_archive`: the same command line as `appeal-archive`."""

from appeal_archive.cli.main import run

run()
