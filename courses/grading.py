"""Pure functions over a question spec (``Question.spec()``): validate a question, check a
learner's response, grade it, and give what a learner may see while answering.

Nothing here touches the database, so attempts grade the snapshot they copied and a
regrade is just ``grade()`` over a newer spec. The response shapes are the table in
docs/quiz-engine.md. A cleaned response of ``{}`` means "no answer" (the learner cleared
it); ``grade()`` gives such a response, or ``None``, the state ``"unanswered"``.

Numbers are compared as ``Decimal`` so 0.1 + 0.2 lands exactly where a trainer expects;
only the final fraction becomes a float.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

KINDS = ("single", "multiple", "truefalse", "short", "numeric", "matching", "ordering")

# Longest text a learner may send for one answer (short answer, numeric value).
MAX_TEXT_LENGTH = 1000
# A numeric answer longer than this is not a number anyone typed; refusing it early also
# keeps Decimal away from absurd exponents.
MAX_NUMBER_LENGTH = 40
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_SPACES = re.compile(r"\s+")
_HUNDRED = Decimal("100")
_ZERO = Decimal("0")
_ONE = Decimal("1")
# Multiple response: positive credits may miss 100 by a rounding cent (3 x 33.33).
_SUM_SLACK = Decimal("0.01")
_FRACTION_SLACK = Decimal("0.0001")


class ResponseError(ValueError):
    """A response of the wrong shape; ``message`` is translated, for the learner."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SpecError(ValueError):
    """A question that cannot be answered or graded; ``messages`` are translated."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(str(message) for message in messages))
        self.messages = [str(message) for message in messages]


@dataclass(frozen=True)
class Grade:
    fraction: float  # 0..1
    state: str  # "correct" | "partial" | "wrong" | "unanswered"
    feedback: list[str] = field(default_factory=list)


def parse_number(value) -> Decimal | None:
    """A learner's or trainer's number: "3,5", "3.5", "-2", ".5". ``None`` for anything
    else (NaN, infinity, exponents, thousands separators, over-long strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        value = repr(value)
        if "e" in value or "n" in value:  # 1e+20, inf, nan
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_NUMBER_LENGTH or not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern already rules these out
        return None


def normalise_text(text: str) -> str:
    """Trim and collapse runs of whitespace, as short answers are compared."""
    return _SPACES.sub(" ", text).strip()


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _answers(spec: dict) -> list[dict]:
    answers = spec.get("answers")
    return answers if isinstance(answers, list) else []


def _fraction(answer: dict) -> Decimal:
    """An answer's credit in percent; a broken value counts as no credit."""
    return _decimal(answer.get("fraction")) or _ZERO


def _text(answer: dict, key: str = "text") -> str:
    value = answer.get(key)
    return value if isinstance(value, str) else ""


def _prompts(answers: list[dict]) -> list[dict]:
    """Matching: rows with a prompt; rows with only a right-hand text are distractors."""
    return [answer for answer in answers if _text(answer).strip()]


# --- validate -------------------------------------------------------------------------


def validate_spec(spec: dict) -> None:
    """Raise SpecError listing every reason the question could not be answered fairly."""
    if not isinstance(spec, dict):
        raise SpecError([_("The question is missing.")])
    problems: list[str] = []
    kind = spec.get("kind")
    if kind not in KINDS:
        problems.append(_("Unknown question type “%(kind)s”.") % {"kind": kind})
    if not _text(spec).strip():
        problems.append(_("The question text is empty. Write the question."))
    points = _decimal(spec.get("points"))
    if points is None or points <= 0:
        problems.append(_("Points must be a number greater than 0."))
    answers = spec.get("answers")
    if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
        problems.append(_("The answers are missing."))
        raise SpecError(problems)

    for number, answer in enumerate(answers, start=1):
        fraction = _decimal(answer.get("fraction", 0))
        if fraction is None or not -_HUNDRED <= fraction <= _HUNDRED:
            problems.append(
                _("Answer %(number)s: the credit must be a number from -100 to 100.")
                % {"number": number}
            )
    check = _CHECKS.get(kind)
    if check:
        problems.extend(check(answers))
    if problems:
        raise SpecError(problems)


def _empty_answers(answers: list[dict], label) -> list[str]:
    return [
        label % {"number": number}
        for number, answer in enumerate(answers, start=1)
        if not _text(answer).strip()
    ]


def _check_single(answers):
    problems = _empty_answers(answers, _("Answer %(number)s is empty. Write it or remove it."))
    if len(answers) < 2:
        problems.append(_("A single choice question needs at least 2 answers."))
    if not any(_fraction(answer) == _HUNDRED for answer in answers):
        problems.append(_("One answer of a single choice question must give 100%% credit.") % {})
    return problems


def _check_multiple(answers):
    problems = _empty_answers(answers, _("Answer %(number)s is empty. Write it or remove it."))
    if len(answers) < 2:
        problems.append(_("A multiple response question needs at least 2 answers."))
    positive = [_fraction(answer) for answer in answers if _fraction(answer) > 0]
    if not positive:
        problems.append(
            _("Give at least one answer of a multiple response question positive credit.")
        )
    elif abs(sum(positive) - _HUNDRED) > _SUM_SLACK:
        problems.append(
            _(
                "The positive credits of a multiple response question must add up to 100%% "
                "(now %(total)s%%)."
            )
            % {"total": _format_decimal(sum(positive))}
        )
    return problems


def _check_truefalse(answers):
    texts = sorted(_text(answer) for answer in answers)
    if texts != ["false", "true"]:
        return [_("A true/false question needs exactly two answers, “true” and “false”.")]
    if sum(1 for answer in answers if _fraction(answer) == _HUNDRED) != 1:
        return [_("Exactly one of “true” and “false” must give 100%% credit.") % {}]
    return []


def _check_short(answers):
    problems = _empty_answers(
        answers, _("Accepted answer %(number)s is empty. Write it or remove it.")
    )
    if not any(_fraction(answer) > 0 for answer in answers):
        problems.append(
            _("A short answer question needs at least one accepted answer with credit above 0.")
        )
    return problems


def _check_numeric(answers):
    problems = []
    for number, answer in enumerate(answers, start=1):
        if parse_number(_text(answer)) is None:
            problems.append(
                _("Answer %(number)s: “%(text)s” is not a number.")
                % {"number": number, "text": _text(answer)[:50]}
            )
        tolerance = answer.get("tolerance")
        if tolerance not in (None, ""):
            value = _decimal(tolerance)
            if value is None or value < 0:
                problems.append(
                    _("Answer %(number)s: the tolerance must be a number, 0 or more.")
                    % {"number": number}
                )
    if not answers:
        problems.append(_("A numeric question needs at least one answer."))
    elif not any(_fraction(answer) > 0 for answer in answers):
        problems.append(_("A numeric question needs at least one answer with credit above 0."))
    return problems


def _check_matching(answers):
    problems = [
        _("Pair %(number)s has no matching answer. Write it or remove the pair.")
        % {"number": number}
        for number, answer in enumerate(answers, start=1)
        if not _text(answer, "match_text").strip()
    ]
    if len(_prompts(answers)) < 2:
        problems.append(_("A matching question needs at least 2 pairs."))
    return problems


def _check_ordering(answers):
    problems = _empty_answers(answers, _("Item %(number)s is empty. Write it or remove it."))
    if len(answers) < 2:
        problems.append(_("An ordering question needs at least 2 items."))
    return problems


_CHECKS = {
    "single": _check_single,
    "multiple": _check_multiple,
    "truefalse": _check_truefalse,
    "short": _check_short,
    "numeric": _check_numeric,
    "matching": _check_matching,
    "ordering": _check_ordering,
}


def _format_decimal(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- clean ----------------------------------------------------------------------------


def _not_fitting() -> ResponseError:
    return ResponseError(
        _("This answer does not fit the question. Reload the page and answer again.")
    )


def _unknown_choice() -> ResponseError:
    return ResponseError(_("Choose one of the answers shown. Reload the page if they changed."))


def _field(response, name: str):
    if not isinstance(response, dict):
        raise _not_fitting()
    if set(response) - {name}:
        raise _not_fitting()
    return response.get(name)


def clean_response(spec: dict, response) -> dict:
    """The response in its normal form, or ResponseError. ``None`` and blank answers
    (no choice, empty text, empty list) give ``{}``: the question is unanswered."""
    if response is None or response == {}:
        return {}
    kind = spec.get("kind")
    answers = _answers(spec)
    ids = [answer.get("id") for answer in answers]

    if kind == "single":
        choice = _field(response, "choice")
        if choice in (None, ""):
            return {}
        if not isinstance(choice, str):
            raise _not_fitting()
        if choice not in ids:
            raise _unknown_choice()
        return {"choice": choice}

    if kind == "multiple":
        choices = _field(response, "choices")
        if choices is None:
            return {}
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise _not_fitting()
        if len(set(choices)) != len(choices):
            raise ResponseError(_("The same answer was chosen twice. Reload the page."))
        if set(choices) - set(ids):
            raise _unknown_choice()
        if not choices:
            return {}
        # Answer order, so equal choices give equal stored responses.
        return {"choices": [answer_id for answer_id in ids if answer_id in choices]}

    if kind == "truefalse":
        value = _field(response, "value")
        if value is None:
            return {}
        if not isinstance(value, bool):
            raise _not_fitting()
        return {"value": value}

    if kind == "short":
        text = _field(response, "text")
        if text is None:
            return {}
        if not isinstance(text, str):
            raise _not_fitting()
        if len(text) > MAX_TEXT_LENGTH:
            raise _too_long()
        text = normalise_text(text)
        return {"text": text} if text else {}

    if kind == "numeric":
        value = _field(response, "value")
        if value is None or (isinstance(value, str) and not value.strip()):
            return {}
        if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            raise _too_long()
        number = parse_number(value)
        if number is None:
            raise ResponseError(_("Type a number, for example 3,5 or -2."))
        return {"value": _format_decimal(number)}

    if kind == "matching":
        pairs = _field(response, "pairs")
        if pairs is None:
            return {}
        if not isinstance(pairs, dict):
            raise _not_fitting()
        prompt_ids = {answer.get("id") for answer in _prompts(answers)}
        cleaned = {}
        for prompt_id, chosen in pairs.items():
            if prompt_id not in prompt_ids:
                raise _unknown_choice()
            if chosen in (None, ""):
                continue
            if not isinstance(chosen, str):
                raise _not_fitting()
            if chosen not in ids:
                raise _unknown_choice()
            cleaned[prompt_id] = chosen
        if not cleaned:
            return {}
        return {"pairs": {i: cleaned[i] for i in ids if i in cleaned}}

    if kind == "ordering":
        order = _field(response, "order")
        if order is None or order == []:
            return {}
        if not isinstance(order, list) or not all(isinstance(item, str) for item in order):
            raise _not_fitting()
        if len(set(order)) != len(order):
            raise ResponseError(_("The same item was placed twice. Reload the page."))
        if set(order) != set(ids):
            raise _unknown_choice()
        return {"order": list(order)}

    raise _not_fitting()


def _too_long() -> ResponseError:
    return ResponseError(
        _("The answer is too long: at most %(max)s characters.") % {"max": MAX_TEXT_LENGTH}
    )


# --- grade ----------------------------------------------------------------------------


def _clamp(value: Decimal) -> Decimal:
    return max(_ZERO, min(_ONE, value))


def _made(fraction: Decimal, feedback: list[str]) -> Grade:
    fraction = _clamp(fraction)
    if fraction >= _ONE - _FRACTION_SLACK:
        state, fraction = "correct", _ONE
    elif fraction > 0:
        state = "partial"
    else:
        state = "wrong"
    return Grade(fraction=float(fraction), state=state, feedback=[f for f in feedback if f])


def grade(spec: dict, response: dict | None) -> Grade:
    """Grade one response against the spec. A response that no longer fits (the spec was
    changed by a regrade and an answer disappeared) counts as wrong, never as an error."""
    try:
        cleaned = clean_response(spec, response)
    except ResponseError:
        return Grade(fraction=0.0, state="wrong", feedback=[])
    if not cleaned:
        return Grade(fraction=0.0, state="unanswered", feedback=[])
    answers = _answers(spec)
    by_id = {answer.get("id"): answer for answer in answers}
    kind = spec["kind"]

    if kind == "single":
        answer = by_id[cleaned["choice"]]
        return _made(_fraction(answer) / _HUNDRED, [_text(answer, "feedback")])

    if kind == "multiple":
        chosen = [by_id[answer_id] for answer_id in cleaned["choices"]]
        feedback = [_text(answer, "feedback") for answer in chosen]
        if spec.get("partial_credit", True):
            return _made(sum(_fraction(a) for a in chosen) / _HUNDRED, feedback)
        right = {answer.get("id") for answer in answers if _fraction(answer) > 0}
        return _made(_ONE if set(cleaned["choices"]) == right else _ZERO, feedback)

    if kind == "truefalse":
        wanted = "true" if cleaned["value"] else "false"
        answer = next((a for a in answers if _text(a) == wanted), None)
        if answer is None:
            return _made(_ZERO, [])
        return _made(_fraction(answer) / _HUNDRED, [_text(answer, "feedback")])

    if kind == "short":
        answer = _best(
            answer
            for answer in answers
            if _short_matches(
                _text(answer), cleaned["text"], bool(spec.get("case_sensitive", False))
            )
        )
        if answer is None:
            return _made(_ZERO, [])
        return _made(_fraction(answer) / _HUNDRED, [_text(answer, "feedback")])

    if kind == "numeric":
        value = Decimal(cleaned["value"])
        answer = _best(answer for answer in answers if _numeric_matches(answer, value))
        if answer is None:
            return _made(_ZERO, [])
        return _made(_fraction(answer) / _HUNDRED, [_text(answer, "feedback")])

    if kind == "matching":
        prompts = _prompts(answers)
        right = sum(
            1
            for prompt in prompts
            if prompt.get("id") in cleaned["pairs"]
            and _text(by_id[cleaned["pairs"][prompt.get("id")]], "match_text").strip()
            == _text(prompt, "match_text").strip()
        )
        return _made(_share(right, len(prompts), spec), [])

    if kind == "ordering":
        right = sum(
            1
            for position, answer in enumerate(answers)
            if cleaned["order"][position] == answer.get("id")
        )
        return _made(_share(right, len(answers), spec), [])

    return Grade(fraction=0.0, state="wrong", feedback=[])  # pragma: no cover


def _share(right: int, total: int, spec: dict) -> Decimal:
    if not total:
        return _ZERO
    if spec.get("partial_credit", True):
        return Decimal(right) / Decimal(total)
    return _ONE if right == total else _ZERO


def _best(candidates) -> dict | None:
    """The matching answer with the highest credit; the first one on a tie."""
    best = None
    for answer in candidates:
        if best is None or _fraction(answer) > _fraction(best):
            best = answer
    return best


def _short_pattern(accepted: str, case_sensitive: bool) -> re.Pattern:
    # "*" matches any text; "\*" is a literal asterisk (as in Moodle).
    parts = re.split(r"(?<!\\)\*", normalise_text(accepted))
    body = ".*".join(re.escape(part.replace("\\*", "*")) for part in parts)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def _short_matches(accepted: str, given: str, case_sensitive: bool) -> bool:
    if not accepted.strip():
        return False
    if "*" not in accepted:
        accepted = normalise_text(accepted)
        if case_sensitive:
            return accepted == given
        return accepted.casefold() == given.casefold()
    return _short_pattern(accepted, case_sensitive).fullmatch(given) is not None


def _numeric_matches(answer: dict, value: Decimal) -> bool:
    target = parse_number(_text(answer))
    if target is None:
        return False
    tolerance = _decimal(answer.get("tolerance")) or _ZERO
    return abs(value - target) <= abs(tolerance)


# --- answer key and public view -------------------------------------------------------


def correct_response(spec: dict) -> dict:
    """The response that earns full credit (for the review page only)."""
    answers = _answers(spec)
    kind = spec.get("kind")
    if kind == "single":
        best = _best(answers)
        return {"choice": best.get("id")} if best else {}
    if kind == "multiple":
        return {"choices": [a.get("id") for a in answers if _fraction(a) > 0]}
    if kind == "truefalse":
        right = next((a for a in answers if _fraction(a) == _HUNDRED), None)
        return {"value": _text(right) == "true"} if right else {}
    if kind in ("short", "numeric"):
        best = _best(answers)
        if best is None:
            return {}
        return {"text": _text(best)} if kind == "short" else {"value": _text(best)}
    if kind == "matching":
        return {
            "pairs": {
                prompt.get("id"): _first_with_match_text(answers, _text(prompt, "match_text"))
                for prompt in _prompts(answers)
            }
        }
    if kind == "ordering":
        return {"order": [answer.get("id") for answer in answers]}
    return {}


def _first_with_match_text(answers: list[dict], match_text: str) -> str:
    """Rows sharing a right-hand text are one choice: the first row's id stands for it."""
    wanted = match_text.strip()
    for answer in answers:
        if _text(answer, "match_text").strip() == wanted:
            return answer.get("id")
    return ""  # pragma: no cover - the prompt itself always matches


def _in_order(answers: list[dict], answer_order) -> list[dict]:
    """Answers in the attempt's order; ids it lacks (a changed spec) go last, unknown ids
    are dropped, so a stale order never hides or invents an answer."""
    by_id = {answer.get("id"): answer for answer in answers}
    ordered = []
    for answer_id in answer_order or ():
        if answer_id in by_id and by_id[answer_id] not in ordered:
            ordered.append(by_id[answer_id])
    ordered.extend(answer for answer in answers if answer not in ordered)
    return ordered


def public_question(spec: dict, answer_order: list[str]) -> dict:
    """What the learner's page gets while answering: no credit, feedback, tolerance or key.

    - single / multiple: ``answers`` = [{"id", "text"}] in ``answer_order``
    - truefalse, short, numeric: ``answers`` = [] (the page shows true/false or a field)
    - matching: ``prompts`` = [{"id", "text"}] in ``answer_order`` and ``choices`` =
      [{"id", "text"}], the distinct right-hand texts sorted alphabetically, so their order
      says nothing about which prompt they belong to
    - ordering: ``answers`` = [{"id", "text"}] in ``answer_order``, never in the correct
      order if another order exists (then alphabetically)
    """
    answers = _answers(spec)
    kind = spec.get("kind")
    public = {
        "key": spec.get("key"),
        "version": spec.get("version"),
        "kind": kind,
        "text": spec.get("text", ""),
        "points": spec.get("points"),
        "answers": [],
    }
    ordered = _in_order(answers, answer_order)
    if kind in ("single", "multiple"):
        public["answers"] = [{"id": a.get("id"), "text": _text(a)} for a in ordered]
    elif kind == "matching":
        public["prompts"] = [
            {"id": a.get("id"), "text": _text(a)} for a in ordered if _text(a).strip()
        ]
        choices = {}
        for answer in answers:
            text = _text(answer, "match_text").strip()
            choices.setdefault(text, answer.get("id"))
        public["choices"] = [
            {"id": choices[text], "text": text}
            for text in sorted(choices, key=lambda text: (text.casefold(), text))
        ]
    elif kind == "ordering":
        if [a.get("id") for a in ordered] == [a.get("id") for a in answers]:
            # The attempt did not shuffle: showing the key order would give the answer away.
            ordered = sorted(answers, key=lambda a: (_text(a).casefold(), a.get("id")))
        public["answers"] = [{"id": a.get("id"), "text": _text(a)} for a in ordered]
    return public
