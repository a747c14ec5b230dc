"""The README's configuration reference is the generated one (run `python -m pictag.config.readme_sync`)."""

from __future__ import annotations

from pathlib import Path

from pictag.config.reference import END, START, markdown_reference

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_reference_is_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    section = START + text.split(START, 1)[1].split(END, 1)[0] + END
    assert section == markdown_reference(), (
        "README config reference is stale: run `python -m pictag.config.readme_sync`"
    )


def test_reference_lists_every_section() -> None:
    ref = markdown_reference()
    for key in (
        "cameras[].url",
        "detector.confidence",
        "tracking.",
        "reid.threshold",
        "storage.path",
        "server.auth_token",
        "privacy.anonymize",
        "runtime.in_flight",
    ):
        assert f"`{key}" in ref
