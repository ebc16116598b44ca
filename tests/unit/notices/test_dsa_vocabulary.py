"""The DSA Transparency Database's own spellings, pinned: a platform files its statement of reasons under
exactly these keys (digital-services-act/transparency-database, app/Http/Requests/StatementStoreRequest.php
and the constants of app/Models/Statement.php). A typo here would be accepted by us and refused by them."""

from __future__ import annotations

from flagpost.domain.models import dsa
from flagpost.domain.models.notice import StatementOfReasonsKeys
from flagpost.domain.models.report import Category


def test_every_notice_names_the_statement_of_reasons_keys_it_is_filed_under() -> None:
    keys = StatementOfReasonsKeys(illegal_content_legal_ground="x").model_dump(mode="json")
    assert keys["category"] == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    assert keys["category_specification"] == ["KEYWORD_TERRORIST_CONTENT"]
    assert keys["source_type"] == "SOURCE_TRUSTED_FLAGGER"


def test_the_module_constants_are_the_databases_spellings() -> None:
    assert dsa.STATEMENT_CATEGORY == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
    assert dsa.CATEGORY_SPECIFICATION == ("KEYWORD_TERRORIST_CONTENT",)
    assert dsa.SOURCE_TRUSTED_FLAGGER == "SOURCE_TRUSTED_FLAGGER"
    assert dsa.PUID_PATTERN == r"^[a-zA-Z0-9\-_]{1,500}$"


def test_the_decision_enums_are_the_databases_spellings() -> None:
    assert {v.value for v in dsa.DecisionVisibility} == {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "DECISION_VISIBILITY_OTHER",
    }
    assert {v.value for v in dsa.DecisionAccount} == {"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"}
    assert {v.value for v in dsa.DecisionProvision} == {
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    }
    assert {v.value for v in dsa.DecisionMonetary} == {
        "DECISION_MONETARY_SUSPENSION",
        "DECISION_MONETARY_TERMINATION",
        "DECISION_MONETARY_OTHER",
    }
    assert {v.value for v in dsa.DecisionGround} == {
        "DECISION_GROUND_ILLEGAL_CONTENT",
        "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    }


def test_every_tco_category_has_its_point_of_article_2_7() -> None:
    from flagpost.domain.models.notice import CATEGORY_POINTS, legal_ground

    assert {c: p for c, (p, _) in CATEGORY_POINTS.items()} == {
        Category.INCITEMENT: "a",
        Category.SOLICITATION: "b",
        Category.RECRUITMENT: "c",
        Category.INSTRUCTION: "d",
        Category.THREAT: "e",
    }
    assert legal_ground(Category.THREAT) == (
        "Regulation (EU) 2021/784 on addressing the dissemination of terrorist content online, Art. 2(7)(e)"
    )
