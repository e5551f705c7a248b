"""Peer Mentorship Circles: criteria, drafts proposed by the grouping engine and edited by hand, rosters.

`criteria` says what makes a good circle, `drafts` reads, proposes and compares, `edits` changes and
finalises, `rosters` hands out files and emails, `guests` links circles to the Skills Directory.
"""
