"""``python -m org_backup``: the same as the ``org-backup`` command."""

import sys

from org_backup.main import main

sys.exit(main())
