"""docs/troubleshooting.md contains every error message of the package (extracted from the
source at test time by the rule in tests/docs/messages.py, so a new message fails here until it
is documented)."""

from __future__ import annotations

from pathlib import Path

from .messages import messages

DOC = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"


def test_the_extraction_finds_messages_of_every_kind() -> None:
    keys = {m.key for m in messages()}
    assert "no API token: set CCAI_API_TOKEN or pass --token-file PATH" in keys  # raise
    assert "YAML syntax error" in keys  # Diagnostic / err
    assert "simulator stopped" in keys  # click.echo(err=True)
    assert len(keys) > 80


def test_every_message_is_in_troubleshooting_md() -> None:
    text = DOC.read_text(encoding="utf-8")
    gaps = [m for m in messages() if m.key not in text]
    assert not gaps, "docs/troubleshooting.md lacks these messages (key, then the message):\n" + (
        "\n".join(f"{m.where}: {m.key!r}  <- {m.text!r}" for m in gaps)
    )
