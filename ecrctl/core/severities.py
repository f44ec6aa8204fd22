"""The scanners' severities, most severe first, on their own: ``--fail-on`` is declared by
commands (copy, sync, promote share its module) that need nothing else of models.py."""

from __future__ import annotations

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")
