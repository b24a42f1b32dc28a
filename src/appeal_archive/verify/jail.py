"""Verifying in a jail: the parsers verify relies on (pyHanko, pikepdf, pypdf, bagit) read hostile files, and
a small file can make any of them ask for gigabytes or hours. So verification runs in a forked child
process whose memory and processor time are capped by the kernel (setrlimit); a child that hits a cap is
reported as a file made to exhaust its reader, never as a crash, a hang or a machine out of memory.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from appeal_archive.memory import frozen_heap

T = TypeVar("T")

BASE_MEMORY = 128 << 20  # what any input may cost on top of what the process holds (with the checkers imported)
MEMORY_PER_BYTE = 12  # and per byte of input: a PDF of 40 MB of records needs about 500 MB to check
BASE_SECONDS = 30
SECONDS_PER_MEGABYTE = 2


class ResourceLimit(Exception):
    """The child process hit its memory or time cap."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what  # "memory" or "time"


def limits_for(size: int) -> tuple[int, int]:
    """(extra bytes of memory, processor seconds) that checking an input of `size` bytes may take."""
    return BASE_MEMORY + MEMORY_PER_BYTE * size, BASE_SECONDS + SECONDS_PER_MEGABYTE * (size >> 20)


def _data_size() -> int:
    """The process's data segment (what RLIMIT_DATA counts), from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


def run_jailed(function: Callable[..., T], *args: Any, memory: int, seconds: int) -> T:
    """function(*args) in a forked child, with at most `memory` more bytes of data and `seconds` of processor
    time; its result, or its exception raised here. Where the kernel cannot cap (no fork, no /proc), it runs
    here, uncapped."""
    if not hasattr(os, "fork") or not os.path.exists("/proc/self/status"):
        return function(*args)
    reader, writer = os.pipe()
    with frozen_heap():  # the child's collector would copy the whole heap: 3x slower from a 300 MB process
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child; its outcome is what the tests check
            os.close(reader)
            _answer_and_exit(function, args, writer, memory, seconds)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        raise ResourceLimit("time")
    if not payload:
        raise ResourceLimit("memory")  # the child died before it could answer: a C library's failed allocation
    kind, value = pickle.loads(payload)
    if kind == "limit":
        raise ResourceLimit(value)
    if kind == "error":
        raise value
    return value


def _answer_and_exit(function: Callable[..., Any], args: tuple, writer: int, memory: int, seconds: int) -> NoReturn:
    """In the child: cap it, run function(*args), send the outcome through `writer`, and end the process."""
    code = 0
    try:
        cap = _data_size() + memory
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
        try:
            outcome = ("result", function(*args))
        except MemoryError:
            outcome = ("limit", "memory")
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            # C++ libraries (qpdf) report a refused allocation as an error of their own.
            outcome = ("limit", "memory") if "bad_alloc" in str(error) else ("error", error)
        try:
            payload = pickle.dumps(outcome)
        except Exception as error:  # noqa: BLE001 - an exception that cannot travel travels as text
            payload = pickle.dumps(("error", RuntimeError(f"{type(outcome[1]).__name__}: {error}")))
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    except MemoryError:
        code = 75
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        os._exit(code)
