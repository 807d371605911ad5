"""Run a sipvicious tool from a chosen source address:

    python tests/e2e/sipvicious_from.py ADDRESS svwar|svcrack [the tool's own arguments]

sipvicious 0.3.8's svwar and svcrack take -b but never hand it to their scanner classes, so
every packet leaves from the default address (on loopback, 127.0.0.1, which is also where the
test phones are). This gives the classes the address, then runs the tool's own main()."""

import importlib
import sys
from typing import Any

address, tool, *arguments = sys.argv[1:]
module = importlib.import_module(f"sipvicious.{tool}")
scanner = {"svwar": "TakeASip", "svcrack": "ASipOfRedWine"}[tool]
cls = getattr(module, scanner)
original = cls.__init__


def from_address(self: Any, *args: Any, **kwargs: Any) -> None:
    kwargs["bindingip"] = address
    kwargs["externalip"] = kwargs.get("externalip") or address
    original(self, *args, **kwargs)


cls.__init__ = from_address
sys.argv = [f"sipvicious_{tool}", *arguments]
module.main()
