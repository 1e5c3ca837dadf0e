"""The portal's keys: a key for each purpose (encrypting secrets at rest, hashing codes, device
tokens, browser keys...), derived through HKDF from `ENCRYPTION_KEYS`, a setting of its own.

`ENCRYPTION_KEYS` lists the keys newest first. Writing (encrypting, hashing a new token) always
uses the newest; reading tries each (MultiFernet for encrypted values, every hash for lookups),
so a new key goes first and the old ones stay readable until `manage.py reencrypt` has moved
everything encrypted to the newest (tokens and browsers hashed under an old key are hashed
again under the newest as they are used). Values made before these keys existed were keyed by
`SECRET_KEY`; they stay readable through `SECRET_KEY` and `SECRET_KEY_FALLBACKS`, so rotating
SECRET_KEY (the old one in SECRET_KEY_FALLBACKS) loses nothing either.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _hkdf(master: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"portal:{purpose}".encode()
    ).derive(master.encode())


def _legacy(secret: str, purpose: str) -> bytes:
    """How keys were derived from SECRET_KEY before ENCRYPTION_KEYS: read-only now."""
    return hashlib.sha256(f"portal:{purpose}:{secret}".encode()).digest()


def _keys(purpose: str) -> tuple[bytes, ...]:
    """Every key of `purpose`, the one to write with first (derived once per set of keys:
    every device request hashes its token)."""
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", []))
    return _derived(tuple(settings.ENCRYPTION_KEYS), secrets, purpose)


@lru_cache(maxsize=64)
def _derived(masters: tuple[str, ...], secrets: tuple[str, ...], purpose: str):
    current = [_hkdf(key, purpose) for key in masters]
    return (*current, *(_legacy(secret, purpose) for secret in secrets))


def _hmac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


# --- Keyed hashes --------------------------------------------------------------------------------
def keyed_hash(purpose: str, value: str) -> str:
    """A keyed hash of `value` (a cookie, a token) under the newest key, for lookups without
    storing the value."""
    return _hmac(_keys(purpose)[0], value)


def keyed_hashes(purpose: str, value: str) -> list[str]:
    """The hashes of `value` under every key, newest first: what a lookup accepts."""
    return [_hmac(key, value) for key in _keys(purpose)]


def _code_message(code_id: int, purpose: str, destination: str, code: str) -> str:
    return f"{code_id}:{purpose}:{destination}:{code}"


def hash_code(*, code_id: int, purpose: str, destination: str, code: str) -> str:
    """A keyed hash binding the code to its record, purpose and destination."""
    return _hmac(_keys("codes")[0], _code_message(code_id, purpose, destination, code))


def code_matches(*, code_hash: str, code_id: int, purpose: str, destination: str, code: str):
    """Whether `code` is the one hashed into `code_hash`, under any key."""
    message = _code_message(code_id, purpose, destination, code)
    found = False
    for key in _keys("codes"):
        found |= hmac.compare_digest(_hmac(key, message), code_hash)
    return found


# --- Encryption at rest --------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])


def _encryption() -> MultiFernet:
    return _fernet(_keys("messages"))


def encrypt(text: str) -> str:
    return _encryption().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _encryption().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("this value cannot be decrypted with any of ENCRYPTION_KEYS") from exc


def reencrypt(token: str) -> str:
    """The same value encrypted under the newest key (`manage.py reencrypt`)."""
    return _encryption().rotate(token.encode()).decode()
