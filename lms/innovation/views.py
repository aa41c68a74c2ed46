"""Learner, judge and public pages of innovation competitions (mounted at /inovasi/).
Thin: reads from selectors, writes through services; a refusal renders its message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lms.innovation import rules, selectors, services
from lms.innovation.certificate_pdf import certificate_file_name, innovation_certificate_pdf
from lms.innovation.forms import (
    AttachmentForm,
    MemberAddForm,
    ProposalForm,
    ScorecardForm,
    add_service_errors,
)
from lms.innovation.models import Competition, ProposalMember
from lms.innovation.services import InnovationRefused
from lms.people.models import City, LearnerProfile
from lms.records.selectors import learner_of


def _refused(request, message: str, status: int = 403):
    return render(request, "innovation/refused.html", {"message": message}, status=status)


# --- learners -----------------------------------------------------------------------------


@login_required
@require_safe
def index(request):
    """GET /inovasi/: the competitions of the learner's city, their proposals, the
    competitions they judge, and the library."""
    profile = learner_of(request.user)
    competitions = list(selectors.competitions_of_city(profile.city_id)) if profile else []
    return render(
        request,
        "innovation/index.html",
        {
            "profile": profile,
            "competitions": competitions,
            "my_proposals": list(selectors.proposals_of_learner(profile)) if profile else [],
            "judged": list(selectors.judged_competitions(request.user)),
            "certificates": list(selectors.certificates_of_learner(profile)) if profile else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def competition_detail(request, pk: int):
    """The competition (theme, timeline, rubric), the learner's proposal, and the form to
    start one while submission is open. Learners of other cities see published ones only
    (through the library)."""
    profile = learner_of(request.user)
    competition = get_object_or_404(Competition.objects.select_related("city"), pk=pk)
    if not (
        rules.may_take_part(profile, competition) or rules.can_manage(request.user, competition)
    ):
        raise Http404
    proposal = selectors.proposal_of_learner(profile, competition) if profile else None
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(
                learner=profile, competition=competition, **form.cleaned_data
            )
        except InnovationRefused as exc:
            return _refused(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your draft is saved. Add your team and attachments, then submit it."),
            )
            return redirect("innovation:proposal", pk=proposal.pk)
    return render(
        request,
        "innovation/competition.html",
        {
            "competition": competition,
            "criteria": list(competition.criteria.all()),
            "proposal": proposal,
            "form": form,
            "can_submit": profile is not None
            and proposal is None
            and competition.phase == Competition.Phase.SUBMISSION,
        },
        status=400 if request.method == "POST" else 200,
    )


def _proposal_or_404(request, pk: int):
    profile = learner_of(request.user)
    proposal = selectors.proposal_for_member(profile, pk)
    if proposal is None:
        raise Http404(_("No such proposal, or you are not on its team."))
    return profile, proposal


def _proposal_page(request, profile, proposal, *, status=200, **forms):
    editable = proposal.competition.phase == Competition.Phase.SUBMISSION
    context = {
        "proposal": proposal,
        "competition": proposal.competition,
        "members": list(proposal.members.all()),
        "attachments": list(proposal.attachments.all()),
        "editable": editable,
        "is_lead": any(m.is_lead and m.learner_id == profile.pk for m in proposal.members.all()),
        "profile": profile,
        "form": forms.get("form")
        or ProposalForm(
            initial={
                "title": proposal.title,
                "problem": proposal.problem,
                "solution": proposal.solution,
                "expected_impact": proposal.expected_impact,
            }
        ),
        "member_form": forms.get("member_form") or MemberAddForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "search_query": forms.get("search_query", ""),
        "candidates": forms.get("candidates", []),
        "max_mb": f"{services.attachment_max_bytes() / (1024 * 1024):g}",
        "types": "PDF, DOCX, PPTX, XLSX, PNG, JPG",
    }
    return render(request, "innovation/proposal.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_detail(request, pk: int):
    """A team member's view of the proposal; its form saves the text while submission
    is open."""
    profile, proposal = _proposal_or_404(request, pk)
    if request.method == "POST":
        form = ProposalForm(request.POST)
        if form.is_valid():
            try:
                services.proposal_update(learner=profile, proposal=proposal, **form.cleaned_data)
            except InnovationRefused as exc:
                return _refused(request, exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The proposal is saved."))
                return redirect("innovation:proposal", pk=proposal.pk)
        return _proposal_page(request, profile, proposal, form=form, status=400)
    query = request.GET.get("cari", "")[:60]
    candidates = selectors.team_candidates(proposal=proposal, query=query) if query else []
    return _proposal_page(request, profile, proposal, search_query=query, candidates=candidates)


@login_required
@require_POST
def proposal_submit(request, pk: int):
    profile, proposal = _proposal_or_404(request, pk)
    try:
        submitted = services.proposal_submit(learner=profile, proposal=proposal)
    except InnovationRefused as exc:
        return _refused(request, exc.message)
    if submitted:
        messages.success(
            request, _("The proposal is submitted. Your team may still edit it until the deadline.")
        )
    else:
        messages.info(request, _("The proposal was already submitted."))
    return redirect("innovation:proposal", pk=proposal.pk)


@login_required
@require_POST
def member_add(request, pk: int):
    profile, proposal = _proposal_or_404(request, pk)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        new_member = (
            LearnerProfile.objects.filter(nip=form.cleaned_data["nip"], is_active=True)
            .select_related("city")
            .first()
        )
        if new_member is None or new_member.city_id != proposal.competition.city_id:
            form.add_error(
                "nip",
                _("No active civil servant of %(city)s has this NIP.")
                % {"city": proposal.competition.city.name},
            )
        else:
            try:
                services.proposal_member_add(by=profile, proposal=proposal, new_member=new_member)
            except InnovationRefused as exc:
                return _refused(request, exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("%(name)s joined the team.") % {"name": new_member.full_name}
                )
                return redirect("innovation:proposal", pk=proposal.pk)
    return _proposal_page(request, profile, proposal, member_form=form, status=400)


@login_required
@require_POST
def member_remove(request, pk: int, member_pk: int):
    profile, proposal = _proposal_or_404(request, pk)
    member = get_object_or_404(ProposalMember, pk=member_pk, proposal=proposal)
    try:
        services.proposal_member_remove(by=profile, proposal=proposal, member=member)
    except InnovationRefused as exc:
        return _refused(request, exc.message)
    messages.success(request, _("The member left the team."))
    if member.learner_id == profile.pk:
        return redirect("innovation:index")
    return redirect("innovation:proposal", pk=proposal.pk)


@login_required
@require_POST
def attachment_add(request, pk: int):
    profile, proposal = _proposal_or_404(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(by=profile, proposal=proposal, upload=form.cleaned_data["file"])
        except InnovationRefused as exc:
            return _refused(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The file is attached."))
            return redirect("innovation:proposal", pk=proposal.pk)
    return _proposal_page(request, profile, proposal, attachment_form=form, status=400)


@login_required
@require_POST
def attachment_delete(request, pk: int, attachment_pk: int):
    profile, proposal = _proposal_or_404(request, pk)
    attachment = get_object_or_404(proposal.attachments, pk=attachment_pk)
    try:
        services.attachment_delete(by=profile, attachment=attachment)
    except InnovationRefused as exc:
        return _refused(request, exc.message)
    messages.success(request, _("The file is removed."))
    return redirect("innovation:proposal", pk=proposal.pk)


@login_required
@require_safe
def attachment_download(request, pk: int):
    attachment = selectors.attachment_for_user(request.user, pk)
    if attachment is None:
        raise Http404(_("No such file, or you may not open it."))
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


# --- judges -------------------------------------------------------------------------------


@login_required
@require_safe
def judging(request):
    """GET /inovasi/penilaian/: per competition the user judges, the proposals they may
    score (their own agency's left out) and their own totals."""
    rows = []
    for competition in selectors.judged_competitions(request.user):
        queue = (
            selectors.judge_queue(request.user, competition)
            if competition.phase == Competition.Phase.JUDGING
            else []
        )
        rows.append({"competition": competition, "proposals": queue})
    return render(request, "innovation/judging.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def score(request, pk: int):
    proposal = selectors.proposal_for_judge(request.user, pk)
    if proposal is None:
        raise Http404(_("No such proposal, or you do not judge it."))
    competition = proposal.competition
    if rules.has_conflict(request.user, proposal):
        return _refused(
            request,
            _(
                "You cannot score this proposal: a member of its team works in your own "
                "agency (conflict of interest)."
            ),
        )
    criteria = list(competition.criteria.all())
    initial = {f"criterion_{k}": v for k, v in selectors.own_scores(request.user, proposal).items()}
    form = ScorecardForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            card = services.scorecard_save(
                judge=request.user,
                proposal=proposal,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except InnovationRefused as exc:
            return _refused(request, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your score is saved: %(total)s of 100.") % {"total": card.total},
            )
            return redirect("innovation:judging")
    return render(
        request,
        "innovation/score.html",
        {
            "proposal": proposal,
            "competition": competition,
            "form": form,
            "open": competition.phase == Competition.Phase.JUDGING,
            "attachments": list(proposal.attachments.all()),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- public results -----------------------------------------------------------------------


@require_safe
def results(request, pk: int):
    """GET /inovasi/hasil/<id>/: the leaderboard, public, once the results are published;
    a "not yet" page (404) before."""
    competition = selectors.published_competition(pk)
    if competition is None:
        known = Competition.objects.select_related("city").filter(pk=pk).first()
        if known is None:
            raise Http404
        return render(
            request, "innovation/results_pending.html", {"competition": known}, status=404
        )
    return render(
        request,
        "innovation/results.html",
        {"competition": competition, "proposals": selectors.leaderboard(competition)},
    )


@require_safe
def city_results(request, slug: str):
    """GET /inovasi/kota/<slug>/: a city's published competitions, latest leaderboard first."""
    city = get_object_or_404(City, slug=slug)
    competitions = list(selectors.published_competitions_of_city(city))
    latest = competitions[0] if competitions else None
    return render(
        request,
        "innovation/city_results.html",
        {
            "city": city,
            "competitions": competitions,
            "latest": latest,
            "proposals": selectors.leaderboard(latest) if latest else [],
        },
    )


@login_required
@require_safe
def library(request):
    """GET /inovasi/pustaka/: every city's published proposals, searchable."""
    query = request.GET.get("q", "")[:100]
    page = selectors.library_page(query=query, page=request.GET.get("page", 1))
    return render(request, "innovation/library.html", {"page": page, "query": query})


@login_required
@require_safe
def library_detail(request, pk: int):
    proposal = selectors.library_proposal(pk)
    if proposal is None:
        raise Http404
    return render(
        request,
        "innovation/library_detail.html",
        {"proposal": proposal, "competition": proposal.competition},
    )


# --- certificates -------------------------------------------------------------------------


@login_required
@require_safe
@never_cache
def certificate_download(request, pk: int):
    certificate = selectors.certificate_for_owner(learner_of(request.user), pk)
    if certificate is None:
        raise Http404(_("No such certificate, or it is not yours."))
    response = HttpResponse(innovation_certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_file_name(certificate)}"'
    return response


@require_safe
@never_cache
def certificate_verify(request, code: str):
    """The public page the certificate's QR code opens: the name, the competition and the
    rank, nothing else (no NIP)."""
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        response = render(request, "innovation/certificate_unknown.html", status=404)
    else:
        proposal = certificate.proposal
        response = render(
            request,
            "innovation/certificate_verify.html",
            {
                "number": certificate.number,
                "learner_name": certificate.learner.full_name,
                "competition": proposal.competition.title,
                "city": proposal.competition.city.name,
                "proposal_title": proposal.title,
                "rank": proposal.rank,
                "issued_at": certificate.issued_at,
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
