"""Hostile corpus and fuzzing: the scanner must not be turned against the machine it runs on."""
