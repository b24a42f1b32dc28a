"""Build: the commands that put the rooms together and write: a build of an edition (archive), its atomic
publication (publish), the manifest and proof commands, and renewal (renew). Imports every room but the
command line.
"""

from appeal_archive.build.archive import BuildResult, build_archive

__all__ = ["BuildResult", "build_archive"]
