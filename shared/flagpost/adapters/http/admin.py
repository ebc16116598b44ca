"""Admin routes: principals (create, list, rotate, revoke); keys and secrets are shown once, at issue."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from flagpost.adapters.http import deps
from flagpost.adapters.http.auth import BEARER_SECURITY
from flagpost.adapters.http.params import PlatformId, PrincipalId
from flagpost.adapters.http.problems import problem_responses
from flagpost.domain.models.principal import IssuedCredentials, Principal, Role
from flagpost.domain.models.stats import Stats
from flagpost.domain.models.year_report import YearReport
from flagpost.services.principals import PrincipalAdmin
from flagpost.services.stats import StatsService

router = Router()  # type: ignore[no-untyped-call]
Admins = Annotated[PrincipalAdmin, Depends(deps.admin)]

# A platform name as the normalizer gives it (`telegram`, `youtube`, `internet_archive`).
PlatformName = Annotated[
    str,
    BeforeValidator(lambda value: value.strip().lower() if isinstance(value, str) else value),
    StringConstraints(pattern=r"^[a-z0-9_]{1,50}$"),
]
_DOMAIN = r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
MAX_EMAIL_ADDRESSES = 10


def _email_address(address: str) -> str:
    """An address SES can send to (ASCII local part, an IDN domain in its ASCII form), normalised."""
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not an e-mail address notices can be sent to: {exc}") from None
    return checked.ascii_email or checked.normalized


EmailAddress = Annotated[str, StringConstraints(min_length=3, max_length=254), AfterValidator(_email_address)]


class PrincipalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str = Field(min_length=1, max_length=200, description="shown to people: no control or format characters")
    domains: list[str] = Field(default_factory=list, max_length=200)
    platform_ids: list[PlatformName] = Field(
        default_factory=list, max_length=50, description="normalizer platform names it owns, e.g. telegram"
    )
    endpoint: str | None = Field(default=None, max_length=2048)
    email: list[EmailAddress] = Field(
        default_factory=list,
        max_length=MAX_EMAIL_ADDRESSES,
        description="platforms: one address or several; each entry is also sent there as an e-mail notice",
    )

    @field_validator("email", mode="before")
    @classmethod
    def _one_or_several(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        name = name.strip()
        if not name or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
            raise ValueError("must be printable text: no control, bidi or other invisible format characters")
        return name

    @model_validator(mode="after")
    def _platform_fields(self) -> PrincipalIn:
        if self.role is not Role.PLATFORM and (self.domains or self.platform_ids or self.endpoint or self.email):
            raise ValueError("domains, platform_ids, endpoint and email belong to platform principals only")
        self.email = list(dict.fromkeys(self.email))
        self.domains = [d.strip().lower().rstrip(".") for d in self.domains]
        for domain in self.domains:
            if not re.match(_DOMAIN, domain):
                raise ValueError(f"not a domain name: {domain!r}")
        if "web" in self.platform_ids:
            raise ValueError("`web` is every site no platform claims: own web hosts by their domains instead")
        return self


class EmptyBody(BaseModel):
    """What routes without a body accept: nothing (an unknown field is refused like everywhere else)."""

    model_config = ConfigDict(extra="forbid")


class IssuedOut(BaseModel):
    id: str
    role: Role
    name: str
    api_key: str = Field(description="shown once; only a salted hash is stored")
    secret: str | None = Field(default=None, description="whsec_ signing secret, shown once; stored encrypted")
    domains: list[str] = Field(default_factory=list)
    platform_ids: list[str] = Field(default_factory=list)
    endpoint: str | None = None
    email: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, issued: IssuedCredentials) -> IssuedOut:
        p = issued.principal
        return cls(
            id=p.id,
            role=p.role,
            name=p.name,
            api_key=issued.api_key,
            secret=issued.secret,
            domains=p.domains,
            platform_ids=p.platform_ids,
            endpoint=p.endpoint,
            email=p.email,
        )


class PrincipalList(BaseModel):
    principals: list[Principal]


class Revoked(BaseModel):
    id: str
    status: Literal["revoked"]


@router.post(
    "/v1/admin/principals",
    summary="Create a principal; its API key (and signing secret) are shown once",
    tags=["admin"],
    status_code=201,
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 422),
)
def create_principal(principal: PrincipalIn, admin: deps.Admin, admins: Admins) -> tuple[IssuedOut, int]:
    del admin
    issued = admins.create(
        principal.role,
        principal.name,
        domains=principal.domains,
        platform_ids=principal.platform_ids,
        endpoint=principal.endpoint,
        email=principal.email,
    )
    return IssuedOut.of(issued), 201


@router.get(
    "/v1/admin/principals",
    summary="Every principal, never with keys or secrets",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403),
)
def list_principals(admin: deps.Admin, admins: Admins) -> PrincipalList:
    del admin
    return PrincipalList(principals=admins.all())


@router.post(
    "/v1/admin/principals/<principal_id>/rotate",
    summary="Issue a new key (and secret); the old ones keep working for the rotation overlap",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404),
)
def rotate_principal(
    principal_id: PrincipalId, admin: deps.Admin, admins: Admins, body: Annotated[EmptyBody | None, Body()] = None
) -> IssuedOut:
    del admin
    return IssuedOut.of(admins.rotate(principal_id))


@router.delete(
    "/v1/admin/principals/<principal_id>",
    summary="Revoke a principal: its keys and secrets stop working within 5 seconds",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404),
)
def revoke_principal(
    principal_id: PrincipalId, admin: deps.Admin, admins: Admins, body: Annotated[EmptyBody | None, Body()] = None
) -> Revoked:
    revoked = admins.revoke(admin.id, principal_id)
    return Revoked(id=revoked.id, status="revoked")


class Requeued(BaseModel):
    requeued: int = Field(description="failed deliveries queued again")


@router.post(
    "/v1/admin/platforms/<platform_id>/redeliver",
    summary="Push every failed delivery of a platform again (each keeps its seq and webhook-id)",
    tags=["admin"],
    status_code=202,
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404, 422, 503),
)
def redeliver_platform(
    platform_id: PlatformId, admin: deps.Admin, admins: Admins, body: Annotated[EmptyBody | None, Body()] = None
) -> tuple[Requeued, int]:
    del admin
    return Requeued(requeued=admins.redeliver(platform_id)), 202


@router.get(
    "/v1/stats",
    summary="Transparency figures: counts, flagger precision, time to decision and outcome, removal rate",
    tags=["admin"],
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403),
)
def get_stats(
    admin: deps.Admin,
    stats: Annotated[StatsService, Depends(deps.stats)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Stats | YearReport:
    """All-time figures, or with `year` the yearly transparency report (aggregates only)."""
    del admin
    return stats.year(year) if year is not None else stats.current()
