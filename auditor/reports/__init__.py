"""Reporters: one module per output format behind ``interface``; every format is a pure function of
the results document (and the rule catalog for its texts), never of the scanned tree."""
