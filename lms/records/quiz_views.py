"""The learner's quiz pages and the JSON answer endpoint. Thin: the rules are in
quiz_services (writes) and quiz_selectors (what the learner may see)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from courses.models import LessonPage
from courses.quiz_models import Quiz
from lms.records import quiz_selectors, quiz_services, selectors
from lms.records.models import AttemptState

# A JSON answer is one question's response: a few KB at most (long short answers).
MAX_ANSWER_BYTES = 16 * 1024


def _quiz_or_404(quiz_key) -> Quiz:
    quiz = Quiz.objects.select_related("course").filter(key=quiz_key).first()
    if quiz is None:
        raise Http404
    return quiz


def _learner_or_403(request):
    profile = selectors.learner_of(request.user)
    if profile is None:
        raise PermissionDenied(_("Only learners with a learner profile can take quizzes."))
    return profile


def _attempt_or_404(request, attempt_id):
    attempt = quiz_selectors.attempt_of_user(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    return attempt


def _lesson_page(lesson_key):
    return LessonPage.objects.live().filter(translation_key=lesson_key).defer("body").first()


@login_required
def launch(request, quiz_key):
    """The lesson page's quiz button: the quiz's lesson in the learner's curriculum."""
    quiz = _quiz_or_404(quiz_key)
    profile = _learner_or_403(request)
    lesson_key = quiz_selectors.quiz_lesson_key(learner=profile, quiz=quiz)
    if lesson_key is None:
        raise Http404
    return HttpResponseRedirect(
        reverse("quiz:start", kwargs={"quiz_key": quiz.key, "lesson_key": lesson_key})
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def start(request, quiz_key, lesson_key):
    """The quiz's intro: rules, past attempts and the Start/Continue button (POST)."""
    quiz = _quiz_or_404(quiz_key)
    profile = _learner_or_403(request)
    found = quiz_selectors.quiz_lesson(learner=profile, quiz=quiz, lesson_key=lesson_key)
    if found is None:
        raise Http404
    here = reverse("quiz:start", kwargs={"quiz_key": quiz.key, "lesson_key": lesson_key})
    if request.method == "POST":
        try:
            attempt = quiz_services.attempt_start(
                user=request.user, quiz=quiz, lesson_key=lesson_key
            )
        except quiz_services.AccessDenied as exc:
            raise PermissionDenied(exc.message) from None
        except quiz_services.QuizError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(here)
        return HttpResponseRedirect(reverse("quiz:attempt", args=[attempt.pk]))
    status = quiz_selectors.quiz_status(learner=profile, quiz=quiz)
    return render(
        request,
        "records/quiz/start.html",
        {
            "quiz": quiz,
            "lesson": _lesson_page(lesson_key),
            "lesson_info": found[1],
            "status": status,
            "may_start": status.open_attempt is not None
            or (status.attempts_left is None or status.attempts_left > 0),
        },
    )


def _responses_from_post(view, data) -> dict[int, object]:
    """The answers of the page's form (without JavaScript), by question position. Only
    questions the form showed (``q<n>-shown``) are read; an empty field clears an answer."""
    responses = {}
    for question in view.questions:
        prefix = f"q{question.position}-"
        if prefix + "shown" not in data:
            continue
        kind = question.kind
        if kind == "single":
            responses[question.position] = {"choice": data.get(prefix + "choice") or None}
        elif kind == "multiple":
            responses[question.position] = {"choices": data.getlist(prefix + "choices")}
        elif kind == "truefalse":
            value = data.get(prefix + "value")
            responses[question.position] = {
                "value": {"true": True, "false": False}.get(value, value or None)
            }
        elif kind == "short":
            responses[question.position] = {"text": data.get(prefix + "text", "")}
        elif kind == "numeric":
            responses[question.position] = {"value": data.get(prefix + "value", "")}
        elif kind == "matching":
            responses[question.position] = {
                "pairs": {
                    prompt["id"]: data.get(f"{prefix}pair-{prompt['id']}", "")
                    for prompt in question.prompts
                }
            }
        elif kind == "ordering":
            responses[question.position] = _order_from_positions(question, data, prefix)
    return responses


def _order_from_positions(question, data, prefix) -> dict:
    positions = {}
    for item in question.options:
        raw = data.get(f"{prefix}order-{item['id']}", "")
        if raw:
            positions[item["id"]] = raw
    if not positions:
        return {}
    try:
        numbers = {item: int(value) for item, value in positions.items()}
    except ValueError:
        raise quiz_services.BadResponse(_("Choose a position for every item.")) from None
    if len(numbers) != len(question.options) or len(set(numbers.values())) != len(numbers):
        raise quiz_services.BadResponse(
            _("Question %(number)s: give every item a different position.")
            % {"number": question.position}
        )
    return {"order": sorted(numbers, key=numbers.get)}


def _save_form(request, attempt) -> bool:
    """Save the form's answers; False (with a message) when refused."""
    view = quiz_selectors.attempt_for_learner(attempt)
    try:
        responses = _responses_from_post(view, request.POST)
        quiz_services.answers_save(user=request.user, attempt_id=attempt.pk, responses=responses)
    except quiz_services.TimeUp as exc:
        messages.warning(request, exc.message)
        return False
    except quiz_services.AttemptSubmitted:
        return False
    except quiz_services.QuizError as exc:
        messages.error(request, exc.message)
        return False
    return True


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def attempt(request, attempt_id):
    """All questions of the attempt, with the time left. POST (the form without
    JavaScript) saves every answer shown."""
    attempt = _attempt_or_404(request, attempt_id)
    review = HttpResponseRedirect(reverse("quiz:review", args=[attempt.pk]))
    if attempt.state != AttemptState.IN_PROGRESS:
        return review
    if request.method == "POST":
        if _save_form(request, attempt):
            messages.success(request, _("Your answers are saved."))
        attempt.refresh_from_db()
        if attempt.state != AttemptState.IN_PROGRESS:
            return review
        return HttpResponseRedirect(reverse("quiz:attempt", args=[attempt.pk]))
    view = quiz_selectors.attempt_for_learner(attempt)
    # Past the deadline: close it now (the grace is for answers on their way, and a page
    # load carries none).
    if view.seconds_left == 0 and quiz_services.attempt_close_if_overdue(
        user=request.user, attempt_id=attempt.pk
    ):
        messages.warning(request, _("Time is up: your saved answers were submitted."))
        return review
    return render(
        request,
        "records/quiz/attempt.html",
        {"view": view, "attempt": attempt, "lesson": _lesson_page(attempt.lesson_key)},
    )


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@never_cache
@require_POST
def answer(request, attempt_id):
    """POST JSON {"position": n, "response": {...}}: save one answer. 200 {"saved_at",
    "seconds_left"}; 400 bad request; 401 not logged in; 404 not the learner's attempt;
    409 submitted or time up (the page then shows the result)."""
    if not request.user.is_authenticated:
        return _json_error(_("Log in again to save your answers."), 401)
    if len(request.body) > MAX_ANSWER_BYTES:
        return _json_error(_("The answer is too long."), 400)
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict) or "position" not in data:
        return _json_error(
            _('Send JSON such as {"position": 1, "response": {"choice": "a0"}}.'), 400
        )
    try:
        saved = quiz_services.answer_save(
            user=request.user,
            attempt_id=attempt_id,
            position=data["position"],
            response=data.get("response"),
        )
    except quiz_services.QuizError as exc:
        body = {"error": exc.message}
        if exc.status == 409:
            body["review_url"] = reverse("quiz:review", args=[attempt_id])
        return JsonResponse(body, status=exc.status)
    return JsonResponse(
        {"saved_at": saved.saved_at.isoformat(), "seconds_left": saved.seconds_left}
    )


@never_cache
@login_required
@require_POST
def submit(request, attempt_id):
    """The Submit button: saves the answers the form carries, then grades the attempt."""
    attempt = _attempt_or_404(request, attempt_id)
    shown = any(key.endswith("-shown") for key in request.POST)
    if attempt.state == AttemptState.IN_PROGRESS and shown and not _save_form(request, attempt):
        attempt.refresh_from_db()
        if attempt.state == AttemptState.IN_PROGRESS:
            # A refused answer: back to the page, nothing submitted.
            return HttpResponseRedirect(reverse("quiz:attempt", args=[attempt.pk]))
    try:
        quiz_services.attempt_submit(user=request.user, attempt_id=attempt.pk)
    except quiz_services.AttemptNotFound:
        raise Http404 from None
    except quiz_services.QuizError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("quiz:review", args=[attempt.pk]))


@never_cache
@login_required
def review(request, attempt_id):
    """The attempt's result, and the parts of the review the quiz allows now."""
    attempt = _attempt_or_404(request, attempt_id)
    if attempt.state == AttemptState.IN_PROGRESS:
        return HttpResponseRedirect(reverse("quiz:attempt", args=[attempt.pk]))
    view = quiz_selectors.attempt_for_learner(attempt)
    progress = selectors.lesson_progress(request.user, [attempt.lesson_key]).get(attempt.lesson_key)
    return render(
        request,
        "records/quiz/review.html",
        {
            "view": view,
            "attempt": attempt,
            "lesson": _lesson_page(attempt.lesson_key),
            "lesson_completed": bool(progress and progress.completed),
            "start_url": reverse(
                "quiz:start",
                kwargs={"quiz_key": attempt.quiz_key, "lesson_key": attempt.lesson_key},
            ),
        },
    )
