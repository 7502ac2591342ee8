"""judge: findings from raw findings (stage, fingerprint, dedupe), suppressions, waivers, baseline,
controls per stage, the RATP risk register and the gate."""
