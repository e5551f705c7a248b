"""The ALI Annual Skills Directory: who is in it, finding people in it, publishing it, and its taxonomies.

`members` holds each person's latest answer and what is published or held for review, `search` finds members
by skills and words, `publication` writes the directory as CSV, XLSX and HTML and `booklet` as a PDF,
`coverage` counts the state's skills by region, `skills` and `institutions` are the taxonomies that typed
answers are recognised against, `commands` is its command line.
"""
