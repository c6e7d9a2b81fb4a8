"""Email backends the platform ships besides Django's own."""

import datetime
import os
import uuid
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends import filebased

MESSAGE_SEPARATOR = b"-" * 79 + b"\n"


class FileEmailBackend(filebased.EmailBackend):
    """Django's file backend with one file per message, written whole and then renamed into place.

    Django's backend appends to a file named by the second and ``id(self)``. Two worker processes
    forked from one parent can share both, and then their appends interleave: a reader splits two
    messages as one and a certificate email seems lost. Here every message has its own name (time,
    then a random part), is written under a hidden ``.part`` name and renamed, so a reader of
    ``*.log`` sees each message once and never a half-written one. The format inside a file is
    Django's (the message, a newline, a line of 79 dashes)."""

    def open(self) -> bool:
        return False  # no shared stream: each message opens its own file

    def close(self) -> None:
        return None

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages or ():
            try:
                self._write_file(message)
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _write_file(self, message: EmailMessage) -> None:
        name = f"{datetime.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex}.log"
        partial = os.path.join(self.file_path, f".{name}.part")
        with open(partial, "wb") as stream:
            stream.write(message.message().as_bytes() + b"\n" + MESSAGE_SEPARATOR)
        os.replace(partial, os.path.join(self.file_path, name))
