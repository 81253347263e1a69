"""``python -m kaohe``: the same as the ``kaohe`` command."""

from .cli import entry

entry()
