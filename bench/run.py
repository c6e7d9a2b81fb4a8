"""Entry point of the load benchmark: ``make bench`` runs ``bench/run.py`` (``--quick`` for a smoke run).

The benchmark is the package ``bench``: ``bench/main.py`` runs it, the modules next to it say what
each part measures. Run as a script, this file puts the project root on ``sys.path`` first (the
project's apps and the ``bench`` package import from there), as the single-file script did.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.main import main  # after the sys.path line above: bench imports from the project root

if __name__ == "__main__":
    sys.exit(main())
