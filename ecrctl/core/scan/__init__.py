"""Image scans: start, wait, read findings (scans.py); the scan use case (outcome.py); SARIF."""
