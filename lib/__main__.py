"""Entry point of `python -m lib`."""
from .cli import main

raise SystemExit(main())
