"""The command line: thin commands over the library (main) and the reporters that print its reports (report).
Nothing below imports it.
"""

from appeal_archive.cli.main import main, run

__all__ = ["main", "run"]
