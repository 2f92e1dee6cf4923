"""``python -m eval run [options]`` (``python -m eval run --help`` lists the options)."""

from __future__ import annotations

import sys

from eval.run import main

USAGE = "usage: python -m eval run [options]  (python -m eval run --help)"

if __name__ == "__main__":
    if sys.argv[1:2] != ["run"]:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[2:]))
