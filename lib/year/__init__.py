"""The program year: the final circles' meetings, attendance, the end-of-year outcomes, the years side by side.

`meetings` keeps each final circle's calendar, `attendance` the grid of who came (rates, at risk, completion),
`outcomes` the end-of-year survey's figures with their intervals and flags, `cohorts` the years side by side
and their alumni, `overview` the headline figures of a year and their trend, `commands` its command line.
"""
