"""`pm doctor`'s findings: one record per check."""

from __future__ import annotations

from typing import Any

from pm.services.doctor import Diagnosis


def findings(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    return [
        {
            "check": f.check,
            "status": f.status,
            "detail": f.detail,
            "account_id": diagnosis.account_id,
        }
        for f in diagnosis.findings
    ]
