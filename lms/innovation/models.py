"""Innovation competitions among a city's civil servants: the competition (theme, timeline,
rubric of weighted criteria, judges), the proposals learners submit alone or in teams,
their attachments, the judges' private scorecards, and the winners' certificates.

The phase of a competition follows from its dates, except the last step: results are
public only once a city admin publishes them (``results_published_at``), which also
freezes each proposal's mean score and rank on the proposal row, so the leaderboard and
the innovation library read one table.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.people.models import City, LearnerProfile


def _verification_code() -> str:
    return secrets.token_urlsafe(16)


class Competition(models.Model):
    """One competition of one city. Submission runs from ``submission_opens_at`` to
    ``submission_closes_at``, judging from then to ``judging_closes_at``; results follow
    when published."""

    class Phase(models.TextChoices):
        UPCOMING = "upcoming", _("Not open yet")
        SUBMISSION = "submission", _("Submission")
        JUDGING = "judging", _("Judging")
        AWAITING_RESULTS = "awaiting_results", _("Awaiting results")
        RESULTS = "results", _("Results published")

    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="competitions", verbose_name=_("city")
    )
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    submission_opens_at = models.DateTimeField(_("submission opens at"))
    submission_closes_at = models.DateTimeField(_("submission closes at"))
    judging_closes_at = models.DateTimeField(_("judging closes at"))
    results_published_at = models.DateTimeField(_("results published at"), null=True, blank=True)
    winners_count = models.PositiveSmallIntegerField(
        _("number of winners"),
        default=3,
        help_text=_("The proposals ranked this high (ties included) win a certificate."),
    )
    judges = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="judged_competitions",
        verbose_name=_("judges"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-submission_opens_at", "-pk"]
        verbose_name = _("innovation competition")
        verbose_name_plural = _("innovation competitions")
        indexes = [models.Index(fields=["city", "results_published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submission_opens_at__lt=models.F("submission_closes_at"))
                & models.Q(submission_closes_at__lt=models.F("judging_closes_at")),
                name="innovation_competition_timeline_in_order",
                violation_error_message=_(
                    "Submission must open before it closes, and close before judging ends."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(winners_count__gte=1),
                name="innovation_competition_at_least_one_winner",
                violation_error_message=_("There must be at least one winner."),
            ),
        ]

    def __str__(self):
        return self.title

    def phase_at(self, moment=None) -> str:
        moment = moment or timezone.now()
        if self.results_published_at is not None:
            return self.Phase.RESULTS
        if moment < self.submission_opens_at:
            return self.Phase.UPCOMING
        if moment < self.submission_closes_at:
            return self.Phase.SUBMISSION
        if moment < self.judging_closes_at:
            return self.Phase.JUDGING
        return self.Phase.AWAITING_RESULTS

    @property
    def phase(self) -> str:
        return self.phase_at()

    def get_phase_display(self) -> str:
        return self.Phase(self.phase).label


class Criterion(models.Model):
    """One criterion of a competition's rubric. Weights are percentages summing to 100
    (checked by the rubric service); a judge scores each criterion from 0 to ``max_score``."""

    competition = models.ForeignKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=_("competition"),
    )
    name = models.CharField(_("name"), max_length=120)
    weight = models.PositiveSmallIntegerField(_("weight (%)"))
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=10)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "name"],
                name="innovation_criterion_name_unique",
                violation_error_message=_("Two criteria of one rubric cannot share a name."),
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=100),
                name="innovation_criterion_weight_range",
                violation_error_message=_("A weight is a percentage from 1 to 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(max_score__gte=1),
                name="innovation_criterion_max_score_positive",
                violation_error_message=_("The maximum score must be at least 1."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight}%)"


class Proposal(models.Model):
    """An innovation proposal of one learner or a team. A draft until submitted; team
    members may edit it until submission closes. ``mean_score``, ``rank`` and
    ``is_winner`` are written once, when the results are published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    competition = models.ForeignKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("competition"),
    )
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    solution = models.TextField(_("solution"))
    expected_impact = models.TextField(_("expected impact"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        LearnerProfile,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    mean_score = models.DecimalField(
        _("mean score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    scorecard_count = models.PositiveSmallIntegerField(_("number of scorecards"), default=0)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    is_winner = models.BooleanField(_("winner"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("innovation proposal")
        verbose_name_plural = _("innovation proposals")
        indexes = [models.Index(fields=["competition", "status", "rank"])]

    def __str__(self):
        return self.title


class ProposalMember(models.Model):
    """A learner on a proposal's team. One proposal per learner per competition: the
    competition is copied here so the database can keep that rule."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="members", verbose_name=_("proposal")
    )
    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="+", verbose_name=_("competition")
    )
    learner = models.ForeignKey(
        LearnerProfile,
        on_delete=models.CASCADE,
        related_name="innovation_memberships",
        verbose_name=_("learner"),
    )
    is_lead = models.BooleanField(_("team lead"), default=False)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["-is_lead", "added_at", "pk"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "learner"],
                name="innovation_one_proposal_per_learner",
                violation_error_message=_(
                    "This person is already on a proposal in this competition."
                ),
            ),
        ]

    def __str__(self):
        return str(self.learner)


def attachment_path(instance, filename: str) -> str:
    # The stored name is random: the original name is kept in a column, never trusted
    # as a path.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"innovation/proposals/{instance.proposal_id}/{secrets.token_hex(8)}.{extension}"


class Attachment(models.Model):
    """A file attached to a proposal, kept in the default storage (filesystem or S3)."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("proposal")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        LearnerProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class Scorecard(models.Model):
    """One judge's private scores of one proposal. ``total`` is the weighted total
    (0-100, two decimals) computed by lms.innovation.scoring.weighted_total."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="scorecards", verbose_name=_("proposal")
    )
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="innovation_scorecards",
        verbose_name=_("judge"),
    )
    total = models.DecimalField(_("weighted total"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "judge"], name="innovation_one_scorecard_per_judge"
            ),
        ]

    def __str__(self):
        return f"{self.proposal_id}/{self.judge_id}: {self.total}"


class Score(models.Model):
    """The score a judge gave one criterion on their scorecard."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="scores", verbose_name=_("scorecard")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="+", verbose_name=_("criterion")
    )
    value = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "criterion"], name="innovation_one_score_per_criterion"
            ),
        ]

    def __str__(self):
        return f"{self.criterion_id}: {self.value}"


class InnovationCertificate(models.Model):
    """A winner's certificate: one per team member of a winning proposal."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="certificates", verbose_name=_("proposal")
    )
    learner = models.ForeignKey(
        LearnerProfile,
        on_delete=models.PROTECT,
        related_name="innovation_certificates",
        verbose_name=_("learner"),
    )
    number = models.CharField(_("number"), max_length=60, unique=True)
    verification_code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=_verification_code
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        ordering = ["-issued_at", "pk"]
        verbose_name = _("innovation certificate")
        verbose_name_plural = _("innovation certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "learner"], name="innovation_one_certificate_per_member"
            ),
        ]

    def __str__(self):
        return self.number
