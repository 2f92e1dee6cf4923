"""``python -m eval run|template|runs|diff|train-selector [options]`` (``… --help``)."""

from __future__ import annotations

import sys

from eval.commands import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
