"""Principals (flaggers, reviewers, platforms, admins), their API keys and their signing secrets."""

from flagpost.principals.models import IssuedCredentials, Principal, Role

__all__ = ["IssuedCredentials", "Principal", "Role"]
