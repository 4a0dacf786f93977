"""``python -m antifraud_common.conformance run|impl ...``: the conformance command line.

The same as ``antifraud conformance ...``.
"""

from __future__ import annotations

import sys

from antifraud_common.conformance.command import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
