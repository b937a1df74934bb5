"""``python -m crew.sandbox``."""

from __future__ import annotations

import sys

from crew.sandbox.serve import main

sys.exit(main())
