"""The command line's `demo`: write the synthetic Google Forms exports and import them."""
from __future__ import annotations

from pathlib import Path

from ..admin import auth


def parsers(sub) -> None:
    """Register `demo`."""
    demo_p = sub.add_parser("demo", help="generate synthetic Google Forms exports and import them")
    demo_p.add_argument("--people", type=int, default=None, help="size of the synthetic people pool (default 420)")
    demo_p.add_argument("--seed", type=int, default=2023)
    demo_p.add_argument("--out", type=Path, default=None, help="folder for the exports (default data/demo)")
    demo_p.add_argument("--shape", choices=("sheet", "form"), default=None,
                        help="write every year as the linked Sheet's CSV or as the form's own download "
                             "(default: 2025-26 as the form's download, earlier years as the Sheet's)")


def run(conn, args) -> int:
    """Run `demo`: the first admin if there is none yet, then the exports, imported."""
    from . import build
    auth.announce_first_admin(auth.ensure_first_admin(conn))
    build.load(conn, people=args.people, seed=args.seed, out_dir=args.out, report=print, shape=args.shape)
    return 0
