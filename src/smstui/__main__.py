"""Allow `python -m smstui`."""

from smstui.cli import main

raise SystemExit(main())
