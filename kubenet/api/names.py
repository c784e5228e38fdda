"""Generated object names (k8s.io/apiserver pkg/storage/names SimpleNameGenerator, utilrand.String)."""
from __future__ import annotations

import random

# utilrand.String's alphabet: no vowels (no words) and no look-alikes (0/o, 1/l, 3/e).
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
RANDOM_LENGTH = 5
MAX_GENERATED_NAME_LENGTH = 63 - RANDOM_LENGTH


def random_suffix(length: int = RANDOM_LENGTH) -> str:
    return "".join(random.choices(ALPHABET, k=length))


def simple_name(base: str) -> str:
    """GenerateName: the base (cut to leave room) and 5 random characters."""
    return base[:MAX_GENERATED_NAME_LENGTH] + random_suffix()
