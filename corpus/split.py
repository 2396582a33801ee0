"""Split assignment from a hash of the document id (configurable ratios)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from goldwire.errors import UsageError

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitRatios:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1
    salt: str = "goldwire"

    def __post_init__(self) -> None:
        values = (self.train, self.validation, self.test)
        if any(v < 0 for v in values) or abs(sum(values) - 1.0) > 1e-6:
            raise UsageError(
                f"split ratios must be >= 0 and sum to 1, got {self.train}, "
                f"{self.validation}, {self.test}; e.g. --split-ratios 0.8,0.1,0.1"
            )

    @classmethod
    def parse(cls, text: str, salt: str = "goldwire") -> SplitRatios:
        try:
            parts = [float(p) for p in text.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 3:
            raise UsageError(
                f"--split-ratios takes three numbers train,validation,test, got {text!r}; "
                "e.g. --split-ratios 0.8,0.1,0.1"
            )
        return cls(*parts, salt=salt)

    def assign(self, doc_id: str) -> str:
        """The split of a document id: the same id always lands in the same split."""
        digest = hashlib.sha256(f"{self.salt}:{doc_id}".encode()).digest()
        x = int.from_bytes(digest[:8], "big") / 2**64
        if x < self.train:
            return "train"
        if x < self.train + self.validation:
            return "validation"
        return "test"
