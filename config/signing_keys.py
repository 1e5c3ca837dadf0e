"""The keys that sign the ID tokens of ecosystem sign-in (OpenID Connect), as allauth's provider
takes them (`IDP_OIDC_PRIVATE_KEYS`).

`OIDC_SIGNING_KEYS` lists PEM files of RSA private keys, newest first, comma-separated. The
newest signs; every listed key is published in the JWKS, so tokens signed by an older key
still verify while apps hold them. The newest may end in `@<ISO 8601 time>`: until then it is
only published (apps' caches of the JWKS learn it) and the next one signs. Rotating, step by
step: docs/ecosystem.md.

In development (DEBUG) with nothing set, a key is made once under VAR_DIR and kept there;
production settings refuse to start without the setting.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Newest first in the setting; allauth signs with the key of the latest `issued_at`.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def signing_keys(listed: list[str], *, var_dir: Path, debug: bool) -> list[dict]:
    """allauth's `IDP_OIDC_PRIVATE_KEYS` from `OIDC_SIGNING_KEYS` (or the development key)."""
    if not listed:
        # Without DEBUG none is made: production settings refuse to start without the setting.
        return [{"pem": development_key(var_dir / "oidc-signing-key.pem")}] if debug else []
    keys = []
    for age, entry in enumerate(listed):
        path, _, starts = entry.partition("@")
        if starts and age:
            raise ImproperlyConfigured(
                "OIDC_SIGNING_KEYS: only the newest (first) key may wait with @<time>."
            )
        key = {"pem": _read_pem(Path(path)), "issued_at": _EPOCH - timedelta(days=age)}
        if starts:
            key["not_before"] = _parse_time(starts)
        keys.append(key)
    return keys


def _read_pem(path: Path) -> str:
    try:
        pem = path.read_text()
    except OSError as error:
        raise ImproperlyConfigured(f"OIDC_SIGNING_KEYS: cannot read {path} ({error})") from error
    if "PRIVATE KEY" not in pem:
        raise ImproperlyConfigured(f"OIDC_SIGNING_KEYS: {path} holds no PEM private key")
    return pem


def _parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ImproperlyConfigured(f"OIDC_SIGNING_KEYS: {text!r} is not an ISO time") from error
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def development_key(path: Path) -> str:
    """An RSA key for development, made the first time and kept (tokens stay valid across
    restarts)."""
    if path.exists():
        return path.read_text()
    pem = new_private_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(pem)
    return pem


def new_private_key() -> str:
    """A 2048-bit RSA private key as PEM (RS256, what every OpenID Connect client verifies)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
