"""Credentials in data-source configuration: DVC remotes (``.dvc/config``), dbt ``profiles.yml``,
Great Expectations / Kedro / Feast / dlt data-source files, and database URLs with an inline password.
Values are redacted (first four characters, then ``****``) before they leave this module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_FILES: tuple[str, ...] = (
    ".dvc/config", ".dvc/config.local", "**/.dvc/config", "**/.dvc/config.local",
    "**/profiles.yml", "**/profiles.yaml", "**/great_expectations.yml", "**/great_expectations/**/*.yml",
    "**/datasources/**", "**/*datasource*.y*ml", "**/*datasource*.json", "**/*datasource*.toml",
    "**/*datasource*.ini", "**/*datasource*.cfg", "**/conf/**/catalog*.yml", "**/conf/**/credentials*.yml",
    "**/feature_store.yaml", "**/.dlt/secrets.toml", "**/.dlt/config.toml", "**/dvc.yaml", "**/params.yaml",
    "**/data/**/*.yaml", "**/data/**/*.yml", "**/data/**/*.json", "**/data/**/*.toml", "**/data/**/*.ini",
    "**/data/**/*.cfg", "**/data/**/*.conf", "**/data/**/.env",
)

CRED_KEYS = frozenset({
    "password", "passwd", "pwd", "pass", "secret", "secret_key", "secret_access_key", "access_key_id",
    "aws_access_key_id", "aws_secret_access_key", "session_token", "aws_session_token", "account_key",
    "sas_token", "connection_string", "gdrive_client_secret", "client_secret", "token", "api_key",
    "apikey", "private_key", "private_key_passphrase", "oauth_token", "refresh_token", "key_secret",
})
PASSWORD_KEYS = frozenset({"password", "passwd", "pwd", "pass"})
_KEY_VALUE = re.compile(
    r"""^\s*["']?(?P<key>[A-Za-z_][\w.-]{0,60})["']?\s*(?::|=)\s*(?P<q>["']?)(?P<secret>[^\s"'#,;{}]{3,400})(?P=q)"""
)
_DB_URL = re.compile(
    r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mssql|sqlserver|oracle|mongodb(?:\+srv)?|rediss?|amqps?|"
    r"snowflake|redshift|clickhouse|db2|cockroachdb|presto|trino|hive|jdbc:[a-z0-9]+)(?:\+[a-z0-9_]+)?"
    r"://[^\s:/@'\"]{0,100}:(?P<secret>[^\s@/'\"]{3,200})@"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$\{?.*|\{\{.*|<.*>|%\(.*|env[:(].*|.*env_var\(.*|none|null|nil|true|false|~|"
    r"your[_-]?.*|changeme|change_me|placeholder|example|redacted|secret|password|xxx+|\*+|\.\.\.+|"
    r"[A-Z_]{3,}_(?:KEY|SECRET|TOKEN|PASSWORD))$"
)


@dataclass(frozen=True)
class Credential:
    line: int
    key: str
    redacted: str
    snippet: str


def redact(secret: str) -> str:
    """First four characters, then ``****``; short values are masked entirely."""
    return "****" if len(secret) <= 8 else secret[:4] + "****"


def _is_cred_key(key: str) -> bool:
    low = key.lower().rsplit(".", 1)[-1]
    return low in CRED_KEYS or low.endswith(("_password", "_secret", "_secret_key", "_token", "_access_key"))


def _placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value)) or len(set(value)) == 1


_PATHLIKE = re.compile(r"^(?:[/~]|\.{1,2}/|[A-Za-z]:\\)|^[\w.-]+\.(?:json|pem|key|p12|pfx|txt|ya?ml|ini|cfg)$")
_SPECIAL_TOKEN = re.compile(r"^[\[<].*[\]>]$")


def _looks_secret(key: str, value: str) -> bool:
    """A literal value that can be a credential: not a placeholder or reference, not a file path, not
    a tokenizer special token (``pad_token: [PAD]``), not a bare number (except for passwords)."""
    if _placeholder(value) or _PATHLIKE.search(value) or _SPECIAL_TOKEN.match(value):
        return False
    low = key.lower().rsplit(".", 1)[-1]
    if low in PASSWORD_KEYS or low.endswith("_password"):
        return True
    return len(value) >= 8 and not value.replace(".", "").isdigit()


def find_credentials(text: str) -> Iterator[Credential]:
    """Literal credentials: a credential key with a literal value, or a database URL password."""
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 4000 or line.lstrip().startswith(("#", ";", "//")):
            continue
        m = _KEY_VALUE.match(line)
        if m and _is_cred_key(m.group("key")) and _looks_secret(m.group("key"), m.group("secret")):
            secret = m.group("secret")
            yield Credential(number, m.group("key"), redact(secret),
                             line.replace(secret, redact(secret)).strip()[:240])
            continue
        u = _DB_URL.search(line)
        if u and not _placeholder(u.group("secret")):
            secret = u.group("secret")
            yield Credential(number, "database URL password", redact(secret),
                             line.replace(secret, redact(secret)).strip()[:240])
