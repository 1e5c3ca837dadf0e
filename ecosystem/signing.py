"""The signing keys parsed once per process. allauth's provider parses the RSA private key from
its PEM for every ID token it signs and every JWKS it serves (allauth.core.internal.jwkkit);
with the key checks cryptography makes, that is about 50 ms of CPU, most of a token request
(bench/README.md, "App token refresh"). The parsed key depends on the PEM alone, so it is
kept, per PEM, for the life of the process; a rotated key is a new PEM and is parsed once in
its turn."""

from functools import lru_cache

from allauth.core.internal import jwkkit

_parse = lru_cache(maxsize=16)(jwkkit.load_jwk_from_pem)


def load_jwk_from_pem(pem: str):
    jwk, private_key = _parse(pem)
    return dict(jwk), private_key  # callers may add to the JWK: each gets its own copy


def parse_keys_once() -> None:
    """Put the cached parse in allauth's place (from EcosystemConfig.ready)."""
    jwkkit.load_jwk_from_pem = load_jwk_from_pem
