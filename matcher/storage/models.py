"""SQLAlchemy 2 models: organisations, accounts, catalogue, pipeline, audit.

Premise and project rows carry exactly the columns of
:data:`matcher.domain.PREMISE_COLUMNS` / :data:`~matcher.domain.PROJECT_COLUMNS`
(the record id is the integer primary key ``id`` and the owner is the
``organisation_id`` foreign key), plus private fields listed in
:data:`PREMISE_PRIVATE_FIELDS` / :data:`PROJECT_PRIVATE_FIELDS` that only the
owning organisation (and, for projects that applied, the fund) may read.
Rows edited by several people carry a ``version`` used for optimistic locking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention (for migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


# --------------------------------------------------------------------------- accounts


class Organisation(Timestamped, Base):
    """A commune, an owner, a project holder, the fund or the administration."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: One of matcher.domain.ROLES: the role of the organisation's members.
    kind: Mapped[str] = mapped_column(String(20))
    siren: Mapped[str | None] = mapped_column(String(9))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class User(Timestamped, Base):
    """A person who logs in; belongs to one organisation and has one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: argon2 hash; None for accounts that only log in through OpenID Connect.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Optimistic locking of the admin's edits (logins write last_login_at without it).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Invitation(Base):
    """A one-time link: join an organisation, or reset a password; only its SHA-256 is stored.

    ``purpose`` is "join" (``email``, ``role`` and ``organisation_id`` say the
    account to create) or "reset" (``user_id`` is the account whose password
    the link resets). ``revoked_at`` is set when the link may no longer be
    used (its inviter was deactivated, a newer reset link was made...).
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    purpose: Mapped[str] = mapped_column(String(20), default="join", server_default="join")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One login attempt, kept to throttle password guessing per account and per client.

    ``client`` is the key the application passes for the caller (its remote
    address); ``throttled`` attempts were refused without checking the
    password, because they came before the delay had passed.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    client: Mapped[str | None] = mapped_column(String(100))
    throttled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class UserSession(Base):
    """A server-side login session; the browser's cookie holds a random id, we keep its hash.

    A session ends at ``expires_at`` (absolute lifetime), after
    ``MATCHER_SESSION_IDLE_MINUTES`` without activity (``last_seen_at``), or
    when revoked (logout, password change, deactivation: ``revoked_reason``).
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    client: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))


# --------------------------------------------------------------------------- catalogue


class ImportBatch(Base):
    """One import of a file: every row it wrote points back to it."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "premises" | "projects"
    source: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(500))
    mode: Mapped[str] = mapped_column(String(20))  # "all_or_nothing" | "valid_only"
    status: Mapped[str] = mapped_column(String(20))  # "committed" | "refused"
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    report_path: Mapped[str | None] = mapped_column(String(1000))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


#: Premise fields only the owning organisation (and admins) may read.
PREMISE_PRIVATE_FIELDS: Final[tuple[str, ...]] = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "internal_notes",
)


class Premise(Timestamped, Base):
    """A vacant or under-used building offered by an organisation."""

    __tablename__ = "premises"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_premises_source_source_id"),
        Index("ix_premises_organisation_id", "organisation_id"),
        Index("ix_premises_status", "status"),
        Index("ix_premises_insee_code", "insee_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str | None] = mapped_column(String(500))
    insee_code: Mapped[str | None] = mapped_column(String(5))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[str | None] = mapped_column(String(20))
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    land_area_m2: Mapped[float | None] = mapped_column(Float)
    levels: Mapped[int | None] = mapped_column(Integer)
    ground_floor_access: Mapped[bool | None] = mapped_column(Boolean)
    condition: Mapped[str | None] = mapped_column(String(20))
    works_estimate_eur: Mapped[float | None] = mapped_column(Float)
    tenure: Mapped[str | None] = mapped_column(String(20))
    price_eur: Mapped[float | None] = mapped_column(Float)
    rent_eur_m2_year: Mapped[float | None] = mapped_column(Float)
    available_from: Mapped[dt.date | None] = mapped_column(Date)
    connectivity: Mapped[str | None] = mapped_column(String(20))
    distance_to_station_m: Mapped[float | None] = mapped_column(Float)
    parking_spaces: Mapped[int | None] = mapped_column(Integer)
    pmr_accessible: Mapped[bool | None] = mapped_column(Boolean)
    pollution: Mapped[str | None] = mapped_column(String(20))
    heritage_listed: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default="available")
    source: Mapped[str] = mapped_column(String(100), default="manual")
    source_id: Mapped[str | None] = mapped_column(String(200))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # public details shown on the premise's sheet (not engine columns)
    description: Mapped[str | None] = mapped_column(Text)
    #: Web addresses (photos, plans, listing), one per line.
    links: Mapped[str | None] = mapped_column(Text)
    # private fields
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    # bookkeeping
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    #: Catalogue version at this row's last write (lets the engine patch its snapshot).
    catalogue_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


#: Public premise fields shown on its sheet but not read by the engine.
PREMISE_DETAIL_FIELDS: Final[tuple[str, ...]] = ("description", "links")


class PremisePhoto(Base):
    """A small photo of a premise, re-encoded on upload (no metadata, bounded size)."""

    __tablename__ = "premise_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premise_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    #: "image/jpeg" or "image/png" (what the re-encoding wrote, not what was sent).
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width_px: Mapped[int] = mapped_column(Integer)
    height_px: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FormSubmission(Base):
    """The token of one rendered form, kept once it created an object (no double submit)."""

    __tablename__ = "form_submissions"
    __table_args__ = (UniqueConstraint("user_id", "token", name="uq_form_submissions_user_token"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CatalogueState(Base):
    """Single row holding the catalogue version, bumped with every premise write."""

    __tablename__ = "catalogue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CatalogueRemoval(Base):
    """A premise row deleted from the catalogue, at which catalogue version (for the engine)."""

    __tablename__ = "catalogue_removals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premise_id: Mapped[int] = mapped_column(Integer)
    catalogue_seq: Mapped[int] = mapped_column(BigInteger, index=True)


#: Project fields only the holder organisation, the fund (once applied) and admins read.
PROJECT_PRIVATE_FIELDS: Final[tuple[str, ...]] = (
    "budget_purchase_eur",
    "budget_works_eur",
    "max_rent_eur_year",
    "contact_email",
    "internal_notes",
)


class Project(Timestamped, Base):
    """A tiers-lieu project looking for premises."""

    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_projects_source_source_id"),
        Index("ix_projects_organisation_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(300))
    project_type: Mapped[str] = mapped_column(String(40))
    activities: Mapped[str | None] = mapped_column(String(300))
    target_lon: Mapped[float | None] = mapped_column(Float)
    target_lat: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float | None] = mapped_column(Float)
    target_insee_codes: Mapped[str | None] = mapped_column(Text)
    surface_min_m2: Mapped[float | None] = mapped_column(Float)
    surface_target_m2: Mapped[float | None] = mapped_column(Float)
    surface_max_m2: Mapped[float | None] = mapped_column(Float)
    budget_purchase_eur: Mapped[float | None] = mapped_column(Float)
    budget_works_eur: Mapped[float | None] = mapped_column(Float)
    max_rent_eur_year: Mapped[float | None] = mapped_column(Float)
    tenures: Mapped[str | None] = mapped_column(String(200))
    fibre_required: Mapped[bool | None] = mapped_column(Boolean)
    pmr_required: Mapped[bool | None] = mapped_column(Boolean)
    ground_floor_required: Mapped[bool | None] = mapped_column(Boolean)
    max_station_distance_m: Mapped[float | None] = mapped_column(Float)
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    expected_jobs: Mapped[float | None] = mapped_column(Float)
    expected_users: Mapped[float | None] = mapped_column(Float)
    fabrique_territoire: Mapped[bool | None] = mapped_column(Boolean)
    qpv_target: Mapped[bool | None] = mapped_column(Boolean)
    hosts_public_service: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100), default="manual")
    source_id: Mapped[str | None] = mapped_column(String(200))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    applied_to_fund: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # private fields (besides the budgets above)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Shortlist(Timestamped, Base):
    """A named list of premises kept for one project."""

    __tablename__ = "shortlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class KeptMatch(Base):
    """A match (project x premise with its scores) that a user kept in a shortlist."""

    __tablename__ = "kept_matches"
    __table_args__ = (UniqueConstraint("shortlist_id", "premise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(
        ForeignKey("shortlists.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    score_total: Mapped[float | None] = mapped_column(Float)
    #: Per-criterion scores, weights and contributions, as produced by the engine.
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    explanation: Mapped[str | None] = mapped_column(Text)
    engine_version: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    kept_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PremiseRequest(Base):
    """A project holder's request to a premise's owner (visit, information...)."""

    __tablename__ = "premise_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    from_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|answered|closed
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- fund pipeline


class Deal(Timestamped, Base):
    """A project (optionally with a kept match) in the fund's pipeline.

    ``impact`` and ``esg`` hold checked, versioned structures (see
    :func:`matcher.fund.impact.check_impact` and :func:`matcher.fund.esg.check_grid`,
    ``schema_version`` inside); the deal belongs to one fund organisation.
    """

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The fund organisation that owns the deal (its notes and decisions go with it).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    premise_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("kept_matches.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(20), default="identified", index=True)
    ticket_eur: Mapped[float | None] = mapped_column(Float)
    impact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    esg: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary: Mapped[str | None] = mapped_column(Text)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Due-diligence checklist ``{"version", "items": {code: {done, comment}}}``.
    checklist: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    committee_decision: Mapped[str | None] = mapped_column(String(20))
    committee_ticket_eur: Mapped[float | None] = mapped_column(Float)
    committee_conditions: Mapped[str | None] = mapped_column(Text)
    committee_date: Mapped[dt.date | None] = mapped_column(Date)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Labelled synthetic deal of the demo.
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class FundScenario(Timestamped, Base):
    """A saved set of portfolio rules of a fund organisation (see matcher.fund.scenario)."""

    __tablename__ = "fund_scenarios"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class DealDecision(Base):
    """A stage change of a deal: who decided, when and why."""

    __tablename__ = "deal_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    #: For a committee's decision: approved, declined or postponed (else None).
    committee_decision: Mapped[str | None] = mapped_column(String(20))


class DealNote(Base):
    """A free-text note on a deal (private to the fund)."""

    __tablename__ = "deal_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --------------------------------------------------------------------------- audit


class AuditEntry(Base):
    """Who changed what and when, with old and new values (same transaction as the change)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)


#: Premise columns that mirror matcher.domain.PREMISE_COLUMNS (premise_id is ``id``,
#: owner_org comes from the organisation).
PREMISE_DATA_FIELDS: Final[tuple[str, ...]] = tuple(
    c
    for c in Premise.__table__.columns.keys()  # noqa: SIM118 - keys() keeps order
    if c
    not in {
        "id",
        "organisation_id",
        "import_batch_id",
        "catalogue_seq",
        "version",
        "created_at",
        "updated_at",
        *PREMISE_PRIVATE_FIELDS,
        *PREMISE_DETAIL_FIELDS,
    }
)
#: Project columns that mirror matcher.domain.PROJECT_COLUMNS plus the fund flag.
PROJECT_DATA_FIELDS: Final[tuple[str, ...]] = tuple(
    c
    for c in Project.__table__.columns.keys()  # noqa: SIM118
    if c
    not in {
        "id",
        "organisation_id",
        "import_batch_id",
        "version",
        "created_at",
        "updated_at",
        "applied_at",
    }
)


# --------------------------------------------------------------------------- decision events


class DecisionList(Base):
    """A result list shown for a project: weights, engine version, who (pseudonymous), when.

    Append-only: rows are never edited, only purged after the retention period, so they
    carry no version column. ``actor_pseudonym`` is a keyed hash, never the user id.
    """

    __tablename__ = "decision_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    actor_pseudonym: Mapped[str] = mapped_column(String(32))
    actor_role: Mapped[str] = mapped_column(String(20))
    shown_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    engine_version: Mapped[str] = mapped_column(String(40))
    #: Normalised weights the list was ranked with (criterion -> weight, sum 1).
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The project's expert preset, normalised over its active criteria.
    expert_weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    weights_source: Mapped[str] = mapped_column(String(20), default="expert")
    #: Position of the exploration slot's premise (None: no exploration).
    explored_position: Mapped[int | None] = mapped_column(Integer)
    n_items: Mapped[int] = mapped_column(Integer, default=0)


class DecisionItem(Base):
    """A premise shown in a list, at its position, with its per-criterion scores."""

    __tablename__ = "decision_items"
    __table_args__ = (UniqueConstraint("list_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(
        ForeignKey("decision_lists.id", ondelete="CASCADE"), index=True
    )
    #: No foreign key: a premise withdrawn later still tells what was shown.
    premise_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    insee_code: Mapped[str | None] = mapped_column(String(5))
    score_total: Mapped[float | None] = mapped_column(Float)
    #: criterion -> score in [0, 1], None when unknown.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)


class DecisionAction(Base):
    """An action on a shown premise (explanation opened, kept, request, decline, deal...)."""

    __tablename__ = "decision_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int | None] = mapped_column(
        ForeignKey("decision_lists.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    premise_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    #: Coded reason of a decline (matcher.learning.events.DECLINE_REASONS); no free text.
    reason: Mapped[str | None] = mapped_column(String(30))
    actor_pseudonym: Mapped[str] = mapped_column(String(32))
    actor_role: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class PseudonymKey(Base):
    """The secret key of the actors' pseudonyms when none is given in the environment."""

    __tablename__ = "pseudonym_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hex: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
