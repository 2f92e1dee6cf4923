"""``python -m assistant`` is the ``policy-qa`` command."""

import sys

from assistant.cli import main

sys.exit(main())
