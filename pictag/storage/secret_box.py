"""Authenticated encryption of small files with the database key (AES-256-GCM, scrypt).

The storage key is a passphrase-like string (at least 16 characters, often typed by a
person), so the AES key is derived with scrypt and a random salt kept beside the
ciphertext; a fresh 96-bit nonce is drawn for every write. GCM authenticates the whole
content, so a wrong key and a changed file are both refused, never decrypted to garbage.

Envelope (JSON-safe, base64 fields)::

    {"cipher": "AES-256-GCM", "kdf": {"name": "scrypt", "n": 16384, "r": 8, "p": 1, "salt": ...},
     "nonce": ..., "data": ...}

Uses the maintained ``cryptography`` package (OpenSSL); nothing home-made.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

CIPHER = "AES-256-GCM"
KDF = "scrypt"
#: scrypt cost: 16 MiB of memory and ~50 ms here, once per process (the derived key is kept).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32


class SecretBoxError(ValueError):
    """The envelope is malformed or of an unknown kind."""


class WrongKeyError(SecretBoxError):
    """The key does not open the envelope: another key, or its bytes were altered."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise SecretBoxError(f"{what} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as err:
        raise SecretBoxError(f"{what} is not base64") from err


@dataclass(frozen=True)
class _Params:
    salt: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P


class SecretBox:
    """Seals and opens envelopes with one passphrase; the scrypt result is cached per salt."""

    def __init__(self, passphrase: str, aad: bytes) -> None:
        """``aad`` names what is sealed, so an envelope of one kind cannot pass for another."""
        self._passphrase = passphrase.encode("utf-8")
        self._aad = aad
        self._keys: dict[_Params, bytes] = {}
        self._params: _Params | None = None

    def _key(self, params: _Params) -> bytes:
        key = self._keys.get(params)
        if key is None:
            kdf = Scrypt(salt=params.salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
            key = kdf.derive(self._passphrase)
            self._keys[params] = key
        return key

    def seal(self, plaintext: bytes) -> dict[str, Any]:
        """Encrypt ``plaintext`` into a new envelope (same salt as the last one opened or sealed)."""
        if self._params is None:
            self._params = _Params(os.urandom(SALT_BYTES))
        params = self._params
        nonce = os.urandom(NONCE_BYTES)
        data = AESGCM(self._key(params)).encrypt(nonce, plaintext, self._aad)
        kdf = {"name": KDF, "n": params.n, "r": params.r, "p": params.p, "salt": _b64(params.salt)}
        return {"cipher": CIPHER, "kdf": kdf, "nonce": _b64(nonce), "data": _b64(data)}

    def open(self, envelope: dict[str, Any]) -> bytes:
        """Decrypt an envelope made by `seal`.

        Raises:
            WrongKeyError: the key does not open it (GCM cannot tell another key from altered bytes).
            SecretBoxError: unknown cipher/KDF or malformed fields.
        """
        kdf = envelope.get("kdf")
        if envelope.get("cipher") != CIPHER or not isinstance(kdf, dict) or kdf.get("name") != KDF:
            raise SecretBoxError(f"unsupported cipher or key derivation (expected {CIPHER} with {KDF})")
        try:
            params = _Params(_unb64(kdf.get("salt"), "salt"), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        except (KeyError, TypeError, ValueError) as err:
            raise SecretBoxError(f"key derivation parameters are malformed ({type(err).__name__})") from err
        if params.n > 1 << 20 or params.r > 32 or params.p > 16:  # noqa: PLR2004 - refuse a memory bomb
            raise SecretBoxError("key derivation parameters are out of range")
        nonce = _unb64(envelope.get("nonce"), "nonce")
        data = _unb64(envelope.get("data"), "data")
        try:
            plaintext = AESGCM(self._key(params)).decrypt(nonce, data, self._aad)
        except (InvalidTag, ValueError) as err:
            raise WrongKeyError("the key does not open it (another key, or the file was altered)") from err
        self._params = params
        return plaintext
