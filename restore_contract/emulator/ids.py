"""Resource ids as the real API mints them (``db_`` + a cuid), deterministic per emulator seed.

`IdStyle` lets the suite prove it leans on no particular format: ``cuid`` (``c`` + 24 lower-case
alphanumerics, what the API shows today), ``cuid2`` (24 lower-case alphanumerics, any first letter).
"""

from __future__ import annotations

import random
import string
from enum import StrEnum


class IdStyle(StrEnum):
    CUID = "cuid"
    CUID2 = "cuid2"


class IdMinter:
    def __init__(self, style: IdStyle = IdStyle.CUID, seed: int = 0) -> None:
        self.style = style
        self._random = random.Random(seed)

    def _body(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        tail = "".join(self._random.choice(alphabet) for _ in range(24))
        return "c" + tail if self.style is IdStyle.CUID else tail

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self._body()}"

    def secret(self, length: int = 24) -> str:
        return "".join(self._random.choice(string.ascii_letters + string.digits) for _ in range(length))
