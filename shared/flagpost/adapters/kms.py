"""Signing secrets sealed with the stack's KMS key, bound to their principal by the encryption context."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from flagpost.adapters import aws
from flagpost.domain.errors import UnavailableError

SECRET_CONTEXT_PURPOSE = "flagpost-webhook-signing"  # noqa: S105 - a KMS context label, not a secret


class SecretBox:
    def __init__(self, kms_key_id: str, *, kms: Any = None) -> None:
        self.kms_key_id = kms_key_id
        self._kms = kms

    def _call(self, operation: str, **request: Any) -> Any:
        """KMS throttled, failing or unreachable is a passing failure (503), never a refusal (401)."""
        try:
            return getattr(self._kms or aws.client("kms"), operation)(**request)
        except (ClientError, BotoCoreError) as exc:
            if aws.is_transient(exc):
                raise UnavailableError() from exc
            raise

    @staticmethod
    def _context(principal_id: str) -> dict[str, str]:
        # A ciphertext copied to another principal's record does not decrypt there.
        return {"principal": principal_id, "purpose": SECRET_CONTEXT_PURPOSE}

    def seal(self, principal_id: str, secret: str) -> bytes:
        sealed: bytes = self._call(
            "encrypt",
            KeyId=self.kms_key_id,
            Plaintext=secret.encode("ascii"),
            EncryptionContext=self._context(principal_id),
        )["CiphertextBlob"]
        return sealed

    def open(self, principal_id: str, ciphertext: bytes) -> str:
        plain: bytes = self._call("decrypt", CiphertextBlob=ciphertext, EncryptionContext=self._context(principal_id))[
            "Plaintext"
        ]
        return plain.decode("ascii")
