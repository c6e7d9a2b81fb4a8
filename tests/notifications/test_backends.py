"""The file email backend the embedded default and the live-worker tests use: one file per message."""

import email
import email.policy
import multiprocessing
from pathlib import Path

import pytest
from django.core.mail import EmailMessage

from notifications.backends import MESSAGE_SEPARATOR, FileEmailBackend

WRITERS = 4
MESSAGES_EACH = 25
ATTACHMENT = b"%PDF-" + bytes(range(256)) * 120  # ~30 KB: larger than one buffered write


def _send_many(directory: str, writer: int) -> int:
    backend = FileEmailBackend(file_path=directory)
    sent = 0
    for n in range(MESSAGES_EACH):
        message = EmailMessage(subject=f"writer {writer} message {n}", body="body", to=["a@example.com"])
        message.attach(f"certificate-{writer}-{n}.pdf", ATTACHMENT, "application/pdf")
        sent += backend.send_messages([message])
    return sent


def read_mailbox(directory: Path) -> list:
    """Read the way the live-worker harness and the benchmark do: every ``*.log``, split on the separator."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        *whole, rest = path.read_bytes().split(MESSAGE_SEPARATOR)
        assert rest == b"", f"{path.name} ends in a half-written message"
        messages += [email.message_from_bytes(chunk, policy=email.policy.default) for chunk in whole]
    return messages


def test_processes_writing_at_once_leave_every_message_whole_in_its_own_file(tmp_path):
    """Four processes send 25 messages each with a 30 KB attachment in the same seconds: 100 files,
    each holding one whole message with its attachment, and nothing left under a partial name."""
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        sent = pool.starmap(_send_many, [(str(tmp_path), w) for w in range(WRITERS)])

    assert sent == [MESSAGES_EACH] * WRITERS
    assert len(list(tmp_path.glob("*.log"))) == WRITERS * MESSAGES_EACH
    assert not [p for p in tmp_path.iterdir() if not p.name.endswith(".log")]
    messages = read_mailbox(tmp_path)
    subjects = sorted(m["Subject"] for m in messages)
    assert subjects == sorted(f"writer {w} message {n}" for w in range(WRITERS) for n in range(MESSAGES_EACH))
    for message in messages:
        [pdf] = message.iter_attachments()
        assert pdf.get_content() == ATTACHMENT


def test_a_failed_write_raises_unless_told_to_fail_silently(tmp_path):
    """The mail directory vanishes after the backend was built: the send raises, or with
    ``fail_silently`` reports nothing sent."""
    message = EmailMessage(subject="s", body="b", to=["a@example.com"])
    directory = tmp_path / "mail"
    loud, quiet = FileEmailBackend(file_path=directory), FileEmailBackend(file_path=directory, fail_silently=True)
    directory.rmdir()

    with pytest.raises(FileNotFoundError):
        loud.send_messages([message])
    assert quiet.send_messages([message]) == 0
    assert not directory.exists()
