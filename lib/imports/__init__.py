"""Importing the committee's Google Forms exports: reading, understanding, checking, committing and undoing.

`sheets` reads an upload (after `workbook_guard` has checked a workbook's size once unpacked), `forms` knows each
form's questions, `answers` reads typed answers, `guesses` proposes a field from a column's answers,
`validation` checks every row and stages what is written, `checks` adds the preview's warnings, `batches`
commits an import in one transaction and undoes it, `commands` is its command line.
"""
