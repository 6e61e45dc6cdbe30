"""Email over SMTP (STARTTLS or SSL when asked; login when a user is given).

>>> EmailNotifier(host="smtp.example.com", sender="a@x", to=["b@x"], password="pw", username="a").describe()
'email smtp.example.com:25 -> b@x'
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from mlops_tasks.errors import SourceUnreachableError
from mlops_tasks.notifiers.base import Message, Notifier, secret


class EmailNotifier(Notifier):
    name = "email"

    def __init__(
        self,
        host: str,
        sender: str,
        to: list[str],
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        password_env: str | None = None,
        security: str = "none",  # none | starttls | ssl
        timeout: float = 10,
    ):
        self.host, self.port, self.sender, self.to = host, port, sender, list(to)
        self.username, self.security, self.timeout = username, security, timeout
        self.password = secret(password, password_env, "password", self.name) if username else None

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = f"[{message.severity}] {message.title}"
        mail["From"], mail["To"] = self.sender, ", ".join(self.to)
        lines = [message.text, ""] + [f"{k}: {v}" for k, v in message.fields.items()]
        if message.link:
            lines += ["", message.link]
        mail.set_content("\n".join(lines))
        return mail

    def send(self, message: Message) -> None:
        cls = smtplib.SMTP_SSL if self.security == "ssl" else smtplib.SMTP
        try:
            with cls(self.host, self.port, timeout=self.timeout) as smtp:
                if self.security == "starttls":
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.compose(message))
        except (OSError, smtplib.SMTPException) as exc:
            raise SourceUnreachableError(
                f"email: delivery via {self.host}:{self.port} failed: {type(exc).__name__}"
            ) from None

    def describe(self) -> str:
        return f"email {self.host}:{self.port} -> {', '.join(self.to)}"
