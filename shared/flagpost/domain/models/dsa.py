"""The vocabulary of the EU DSA Transparency Database that Flagpost speaks with platforms.

Spellings are those of the database's own API validation (`digital-services-act/transparency-database`,
`app/Http/Requests/StatementStoreRequest.php` and the constants of `app/Models/Statement.php`);
tests/unit/notices/test_dsa_vocabulary.py pins them.
"""

from __future__ import annotations

from enum import StrEnum

# What a statement of reasons for acting on a Flagpost notice is filed under.
SOURCE_TRUSTED_FLAGGER = "SOURCE_TRUSTED_FLAGGER"
STATEMENT_CATEGORY = "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
CATEGORY_SPECIFICATION = ("KEYWORD_TERRORIST_CONTENT",)
PUID_PATTERN = r"^[a-zA-Z0-9\-_]{1,500}$"


class DecisionVisibility(StrEnum):
    CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
    CONTENT_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED"
    CONTENT_DEMOTED = "DECISION_VISIBILITY_CONTENT_DEMOTED"
    CONTENT_AGE_RESTRICTED = "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"
    CONTENT_INTERACTION_RESTRICTED = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
    CONTENT_LABELLED = "DECISION_VISIBILITY_CONTENT_LABELLED"
    OTHER = "DECISION_VISIBILITY_OTHER"


class DecisionAccount(StrEnum):
    SUSPENDED = "DECISION_ACCOUNT_SUSPENDED"
    TERMINATED = "DECISION_ACCOUNT_TERMINATED"


class DecisionProvision(StrEnum):
    PARTIAL_SUSPENSION = "DECISION_PROVISION_PARTIAL_SUSPENSION"
    TOTAL_SUSPENSION = "DECISION_PROVISION_TOTAL_SUSPENSION"
    PARTIAL_TERMINATION = "DECISION_PROVISION_PARTIAL_TERMINATION"
    TOTAL_TERMINATION = "DECISION_PROVISION_TOTAL_TERMINATION"


class DecisionMonetary(StrEnum):
    SUSPENSION = "DECISION_MONETARY_SUSPENSION"
    TERMINATION = "DECISION_MONETARY_TERMINATION"
    OTHER = "DECISION_MONETARY_OTHER"


class DecisionGround(StrEnum):
    ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
    INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


# Decisions after which the reported content is no longer reachable: Flagpost counts them as `removed`.
# Every other restriction (demotion, labels, age gates, partial or monetary measures) is `restricted`.
REMOVING: frozenset[str] = frozenset(
    {
        DecisionVisibility.CONTENT_REMOVED,
        DecisionVisibility.CONTENT_DISABLED,
        DecisionAccount.SUSPENDED,
        DecisionAccount.TERMINATED,
        DecisionProvision.TOTAL_SUSPENSION,
        DecisionProvision.TOTAL_TERMINATION,
    }
)
