"""`python -m appeal_archive`: the same command line as `appeal-archive`."""

from .cli import run

run()
