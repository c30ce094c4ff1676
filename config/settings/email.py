"""E-mail: Django's mail framework, configured from EMAIL_URL or the usual EMAIL_* variables.

With neither, each message is written as a file under `<INSIGHTSTOCK_VAR_DIR>/mail/` (what
`make run` and the tests read); production settings refuse to start without a configuration.
Mail is sent by the `accounts.send_mail` task (accounts/mail.py), after commit, with retries.
"""

import os

from config.env import email_settings, env, var_dir

_email = email_settings(os.environ, var_dir=var_dir())
EMAIL_BACKEND: str = _email["EMAIL_BACKEND"]
EMAIL_HOST: str = _email["EMAIL_HOST"]
EMAIL_PORT: int = _email["EMAIL_PORT"]
EMAIL_HOST_USER: str = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD: str = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS: bool = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL: bool = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT: float = _email["EMAIL_TIMEOUT"]
EMAIL_FILE_PATH: str = _email["EMAIL_FILE_PATH"]
# Whether the environment chose how mail leaves (production requires it).
EMAIL_CONFIGURED: bool = _email["EMAIL_CONFIGURED"]
del _email

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="InsightStock <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# A failed send (connection refused, 4xx reply, timeout) is tried again this many times, waiting
# EMAIL_RETRY_BACKOFF_SECONDS, then twice that, ... (at most an hour), before it is logged as lost.
EMAIL_SEND_RETRIES = env.int("EMAIL_SEND_RETRIES", default=5)
EMAIL_RETRY_BACKOFF_SECONDS = env.float("EMAIL_RETRY_BACKOFF_SECONDS", default=30.0)
