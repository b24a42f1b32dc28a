"""pyHanko's logging, silenced: it logs a traceback for every certificate it cannot chain and every
revocation source it cannot reach, and every caller here reports those failures as data instead."""

from __future__ import annotations

import logging


def quiet_pyhanko() -> None:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
