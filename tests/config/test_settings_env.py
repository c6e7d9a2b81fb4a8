"""The configuration surface stays documented: every variable the settings read is in .env.example."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_is_in_env_example():
    read = set()
    for path in (ROOT / "config").glob("*.py"):
        read |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', path.read_text()))
    documented = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    assert read, "no settings found"
    assert read - documented == set(), f"missing from .env.example: {sorted(read - documented)}"
    assert documented - read == set(), f".env.example lists unknown variables: {sorted(documented - read)}"
