"""`python -m evalkit` (also what `torchrun -m evalkit` runs)."""

import sys

from evalkit.cli import main

sys.exit(main())
