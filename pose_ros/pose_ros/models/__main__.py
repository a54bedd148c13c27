"""``python -m pose_ros.models``: the ``fetch_model`` command without the console script."""

import sys

from pose_ros.models.cli import main

sys.exit(main())
