"""RATP, the Risk Analysis and Treatment Plan as code: the plan file (``plan``), its gaps (``gaps``),
the draft ``auditor ratp init`` writes (``draft``) and the risk register a scan computes
(``register``)."""
