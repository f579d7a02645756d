"""``python -m tsauto``: the ``tsauto`` command (:func:`tsauto.cli.main`)."""

import sys

from tsauto.cli import main

sys.exit(main())
