"""``python -m assistant`` is the ``policy-qa`` command (a launcher: the command line itself
lives on top of every layer, in ``ui.cli``)."""

import runpy

runpy.run_module("ui.cli", run_name="__main__", alter_sys=True)
