"""Keys derived from SECRET_KEY: to hash codes and tokens, and to encrypt message content and
secrets at rest."""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(purpose: str) -> bytes:
    return hashlib.sha256(f"portal:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def hash_code(*, code_id: int, purpose: str, destination: str, code: str) -> str:
    """A keyed hash binding the code to its record, purpose and destination."""
    message = f"{code_id}:{purpose}:{destination}:{code}".encode()
    return hmac.new(_derive("codes"), message, hashlib.sha256).hexdigest()


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed hash of `value` (a cookie, a token) for lookups without storing the value."""
    return hmac.new(_derive(purpose), value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive("messages")))


def encrypt(text: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.SECRET_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("message content cannot be decrypted with this SECRET_KEY") from exc
