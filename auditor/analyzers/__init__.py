"""Analyzers: one module per implementation, the Protocol and context in ``interface``,
the registry (a plain dict of name -> "module:attribute") in ``registry``."""
