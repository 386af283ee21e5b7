"""The sealed ballot box, its inbox, its keys, and what counting takes out of it.

No row here has a timestamp, a client address or a key to an access code. Envelopes and
ballots have random ids and are stored without SQLite's rowid. An acknowledged envelope
first lands in the inbox, in the transaction that burns its code; the mixer moves inbox
envelopes into the box in shuffled batches in a transaction of its own, so neither the
box's transaction ids nor its physical order follow submission order (see
`ballots.mixing`). On PostgreSQL the box is partitioned by campaign, so that counting can
drop a campaign's envelopes with their file instead of leaving dead tuples behind.
"""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import random_id

_NO_ROWID = {"sqlite_with_rowid": False}


class InboxEnvelope(db.Model):
    """An acknowledged envelope waiting to be mixed into the box.

    Written in the transaction that burns the code, so it shares that transaction's traces
    (PostgreSQL `xmin`, SQLite WAL frames) until the mixer rewrites the inbox.
    """
    __tablename__ = "envelope_inbox"
    __table_args__ = _NO_ROWID

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    #: libsodium sealed box of the padded ballot JSON
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    #: the receipt the respondent was shown (`sealing.fingerprint` of `sealed`, so it tells
    #: nothing the envelope does not): counting lists the receipts from here, in SQL
    receipt: Mapped[str] = mapped_column(String(19))
    #: written by a mix (under a fresh id, in its transaction): no longer shares a submission's
    #: traces; a submission mixes when its campaign would have k envelopes not yet mixed
    mixed: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self):
        return f"<InboxEnvelope {self.id[:8]} c={self.campaign_id}>"


class Envelope(db.Model):
    """A ballot sealed to the campaign's public key, mixed into the box, waiting for counting."""
    __tablename__ = "envelopes"
    # PostgreSQL: one partition per campaign (`envelopes_c<id>`), made when the campaign opens
    # and dropped at counting; a partitioned table's key must contain the partition column.
    # SQLite: a rowid table (its key an index of small entries), not WITHOUT ROWID like the
    # inbox: a cell of the latter's one B-tree holds about 1 KB of its envelope, interior
    # cells too, and listing or finding envelopes at counting read most of the box (0006).
    __table_args__ = {"postgresql_partition_by": "LIST (campaign_id)"}

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    #: the group is needed for turnout and is not secret
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    #: libsodium sealed box of the padded ballot JSON
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    #: its receipt, as in the inbox
    receipt: Mapped[str] = mapped_column(String(19))

    def __repr__(self):
        return f"<Envelope {self.id[:8]} c={self.campaign_id}>"


class Ballot(db.Model):
    """An opened ballot: written at counting, in shuffled order, with a fresh id.

    Its answers are packed (see `ballots.packing`): `ratings` holds one byte per (target,
    rating item) in the pinned questionnaire version's order, `choices` every other answer.
    """
    __tablename__ = "ballots"
    __table_args__ = _NO_ROWID

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    #: one byte per (target, rating item): 0 not answered, k + 1 the k-th scale option
    ratings: Mapped[bytes] = mapped_column(LargeBinary)
    #: the other answers, a JSON list of [target or null, item, option]; null when none
    choices: Mapped[str | None] = mapped_column(Text)

    def __repr__(self):
        return f"<Ballot {self.id[:8]} c={self.campaign_id}>"


class CountingRun(db.Model):
    """A count in progress: the lock that refuses a second count, and its progress.

    Written in short transactions of its own, apart from the counting transaction, so
    that other processes see it; removed when the count ends, whether it succeeded or not.
    """
    __tablename__ = "counting_runs"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    started_at: Mapped[datetime]
    #: last sign of life; a run silent for long is taken to have died
    updated_at: Mapped[datetime]
    #: "opening" or "storing"
    phase: Mapped[str] = mapped_column(String(16), default="opening")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<CountingRun c={self.campaign_id} {self.done}/{self.total}>"


class Comment(db.Model):
    """A free-text answer; kept apart from ballots and shown only after moderation."""
    __tablename__ = "comments"
    # a report page reads a target's published comments, the dashboard counts the pending ones, on
    # every view: found in this index, not by reading each of the campaign's comments
    __table_args__ = (Index("ix_comments_campaign_status_target", "campaign_id", "status", "target_id"), _NO_ROWID)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    item_code: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    #: pending, published or hidden
    status: Mapped[str] = mapped_column(String(16), default="pending")

    def __repr__(self):
        return f"<Comment {self.id[:8]} {self.status}>"


class Receipt(db.Model):
    """The fingerprint of a counted envelope; the list is published with the results."""
    __tablename__ = "receipts"
    __table_args__ = _NO_ROWID

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(32), primary_key=True)

    def __repr__(self):
        return f"<Receipt {self.fingerprint}>"


class TurnoutDay(db.Model):
    """Ballots received per group and day: turnout without any time on a ballot."""
    __tablename__ = "turnout_days"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_groups.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<TurnoutDay {self.day} g={self.group_id} {self.count}>"


class CountingPanel(db.Model):
    """The counting officers' panel of an open campaign: any `threshold` of them open its box.

    The box's private key is sealed under a key derived from a random panel secret, which
    exists only split into the officers' shares (`counting_officers`); both tables are
    destroyed once the box is counted. Tables of their own rather than columns of
    `campaigns`: campaign rows are updated all the time, and on PostgreSQL every update leaves
    a dead copy of the row; these are written when a campaign opens or its officers re-share,
    and rewritten (not merely deleted from) when a box is counted or re-shared.
    """
    __tablename__ = "counting_panels"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    #: k: how many officers' passphrases open the box (1 <= k <= number of officers)
    threshold: Mapped[int]
    #: the private key, encrypted (SecretBox) under a key derived from the panel secret; None
    #: for a box sealed before there were panels, whose one officer's passphrase opens the key itself
    sealed_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)

    def __repr__(self):
        return f"<CountingPanel c={self.campaign_id} k={self.threshold}>"


class CountingOfficer(db.Model):
    """One counting officer of a campaign and their share of the panel secret, sealed under their passphrase."""
    __tablename__ = "counting_officers"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    #: 1 to n: the officer's place on the panel, as printed on their sheet
    position: Mapped[int] = mapped_column(primary_key=True)
    #: the officer's name as staff typed it
    name: Mapped[str] = mapped_column(String(200))
    #: the officer's account (role `officer`), when they have one
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the x of the officer's Shamir share (the y is sealed below)
    share_index: Mapped[int]
    #: the share, encrypted (SecretBox) under argon2id of the officer's passphrase
    sealed_share: Mapped[bytes] = mapped_column(LargeBinary)
    #: argon2id salt (the officer's own) and limits used to derive that key
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_opslimit: Mapped[int]
    kdf_memlimit: Mapped[int]
    #: the officer's Ed25519 signing seed, encrypted (SecretBox) under the same key as the share;
    #: None for an officer of a box sealed before results were signed
    sealed_signing_key: Mapped[bytes | None] = mapped_column(LargeBinary)

    def __repr__(self):
        return f"<CountingOfficer c={self.campaign_id} #{self.position} {self.name!r}>"


class ResultSigner(db.Model):
    """A counting officer's public signing key, and once counted their signature of the results.

    Made with the panel (the key printed on the officer's sheet before voting starts) and
    kept for good: the panel's shares go at counting, the public keys and signatures stay so
    that anyone can check the results against them (`ballots.signing`).
    """
    __tablename__ = "result_signers"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    #: the officer's place on the panel, as on their sheet
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: the Ed25519 public key (32 bytes)
    verify_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: the officer's signature (64 bytes) of `signing.message(campaign)`; None unless they counted
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    def __repr__(self):
        return f"<ResultSigner c={self.campaign_id} #{self.position} signed={self.signature is not None}>"
