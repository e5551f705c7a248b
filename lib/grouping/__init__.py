"""Grouping engine: put people into groups with size bounds, maximising the sum of pair scores, with hard rules.

Used to form peer-mentoring circles; measured on maximally diverse grouping problem (MDGP) instances
(`python -m lib grouping mdgp FILE`, `bench/mdgp.py`). See `model.Problem`, `engine.solve`,
`model.evaluate`.
"""
