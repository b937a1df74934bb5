"""A toolkit for Leonar's REST API: spec, client and CrewAI tools.

Import what you need from its modules (`crew.leonar.spec`, `.client`, `.tools`,
...); this package imports nothing itself, so reading the spec never loads CrewAI.
"""
