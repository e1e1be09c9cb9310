"""``python -m pipeline.demo``: see ``pipeline.demo.main``."""

from pipeline.demo import main

raise SystemExit(main())
