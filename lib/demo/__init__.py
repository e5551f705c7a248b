"""The demo: realistic SYNTHETIC Google Forms exports of three program years, and the database built from them.

`world` holds the invented people and what every export shares, `survey`, `applications`, `rosters` (and
attendance) and `outcomes` write one form's export each, `build` writes them all and imports them (`load`),
`commands` is the `demo` command line.
"""
