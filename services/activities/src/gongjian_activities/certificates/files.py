"""The certificate PDF behind a signed link: ``/files/activities/certificates/<number>``.

Registered on the activities ServiceDefinition as ``files={"certificates/": certificate_file}``;
the kit has checked the link's signature before this runs.
"""

from __future__ import annotations

import re

from gongjian_kit.runtime import Runtime

PDF = "application/pdf"
# GJ-2026-7K3Q9M2XPA; anything else is no certificate number (and no query is spent on it).
NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{2,63}")


async def certificate_file(runtime: Runtime, rest: str) -> tuple[bytes, str, str] | None:
    """The PDF of certificate ``rest`` (its number, ``.pdf`` optional; kept encrypted, as it
    holds the person's name), or None."""
    number = rest.removesuffix(".pdf")
    if not NUMBER.fullmatch(number):
        return None
    from gongjian_activities.usecases.certificates import certificate_pdf  # noqa: PLC0415

    found = await certificate_pdf(runtime, number)
    if found is None:
        return None
    pdf, number = found
    return pdf, PDF, f"志愿服务时长证明-{number}.pdf"
