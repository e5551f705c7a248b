"""The annual report to ALI leadership, and the charts the pages share with it.

`model` gathers what the report says into plain parts (text, figures, tables, charts), `render` writes them as
HTML and Markdown and `pdf` as a PDF, `files` chooses the writer for a format, `charts` draws the Vega-Lite
charts, `commands` is its command line. The writers import the model; the model imports no writer.
"""
