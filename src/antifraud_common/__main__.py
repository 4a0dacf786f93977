"""``python -m antifraud_common`` runs the ``antifraud`` command."""

import sys

from antifraud_common.cli import main

sys.exit(main())
