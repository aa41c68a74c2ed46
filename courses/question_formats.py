"""Question files trainers bring from Moodle: GIFT and Aiken import, GIFT export.

The parsers are pure: text in, ``ParsedQuestion`` list out, or ``FormatError`` listing every
problem with its (1-based) line number, so a trainer fixes the whole file in one go and
nothing is ever half-imported. Each parsed question is checked with
``courses.grading.validate_spec``, the same rules the question editor applies.

GIFT follows Moodle's documented syntax (docs.moodle.org/en/GIFT_format). Choices made where
Moodle leaves room:

- ``{=a ~b ~%50%c}`` (exactly one ``=``) is single choice, partial credit allowed; no ``=``
  at all with weights (``{~%50%a ~%50%b ~%-100%c}``) is multiple response, as in Moodle;
  several ``=`` are multiple response with the credit shared equally.
- Essay ``{}`` and description items (no answer block) have no native type yet: they are
  reported, not skipped, so a trainer knows what did not come across.
- Ordering questions have no GIFT syntax: the export leaves them out with a comment.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from courses.grading import SpecError, parse_number, validate_spec

NAME_MAX_LENGTH = 255
MATCH_TEXT_MAX_LENGTH = 255
BLANK = "_____"

_CENT = Decimal("0.01")
_TOLERANCE_STEP = Decimal("0.0001")

# GIFT escapes become private-use characters while parsing, so the syntax characters can
# be split on safely; they are turned back into plain characters at the end.
_ESCAPES = {
    "\\\\": "\ue000",
    "\\~": "\ue001",
    "\\=": "\ue002",
    "\\#": "\ue003",
    "\\{": "\ue004",
    "\\}": "\ue005",
    "\\:": "\ue006",
    "\\n": "\ue008",
}
_UNESCAPE = {placeholder: sequence[1] for sequence, placeholder in _ESCAPES.items()}
_UNESCAPE["\ue008"] = "\n"
_FORMAT_MARKER = re.compile(r"^\s*\[(html|moodle|markdown|plain)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:[.,]\d+)?)%")
_TITLE = re.compile(r"^\s*::(.*?)::", re.DOTALL)
_CATEGORY = re.compile(r"^\s*\$CATEGORY:\s*(.*)$", re.IGNORECASE)


class FormatError(ValueError):
    """Every problem of a file: ``errors`` = [(line number, translated message), ...]."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = sorted(
            ((int(line), str(message)) for line, message in errors), key=lambda error: error[0]
        )
        super().__init__("; ".join(f"line {line}: {message}" for line, message in self.errors))


@dataclass
class ParsedQuestion:
    kind: str
    name: str
    text: str
    general_feedback: str = ""
    points: Decimal = Decimal("1")
    partial_credit: bool = True
    case_sensitive: bool = False
    answers: list[dict] = field(default_factory=list)
    category: str | None = None
    line: int = 1

    def spec(self) -> dict:
        """The question as ``Question.spec()`` would give it, for ``validate_spec``."""
        return {
            "key": None,
            "version": 1,
            "kind": self.kind,
            "name": self.name,
            "text": self.text,
            "points": str(self.points),
            "general_feedback": self.general_feedback,
            "partial_credit": self.partial_credit,
            "case_sensitive": self.case_sensitive,
            "answers": [
                {
                    "id": f"a{index}",
                    "text": answer.get("text", ""),
                    "fraction": str(answer.get("fraction", Decimal("0"))),
                    "feedback": answer.get("feedback", ""),
                    "match_text": answer.get("match_text", ""),
                    "tolerance": (
                        None if answer.get("tolerance") is None else str(answer["tolerance"])
                    ),
                }
                for index, answer in enumerate(self.answers)
            ],
        }


def _answer(text="", fraction=Decimal("0"), feedback="", match_text="", tolerance=None) -> dict:
    return {
        "text": text,
        "fraction": fraction,
        "feedback": feedback,
        "match_text": match_text,
        "tolerance": tolerance,
    }


def _name_from(text: str) -> str:
    """Moodle's default name: the start of the question text."""
    flat = re.sub(r"<[^>]+>", " ", text)
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= 60 else flat[:59].rstrip() + "…"


def _check(question: ParsedQuestion, errors: list[tuple[int, str]]) -> None:
    problems = []
    if len(question.name) > NAME_MAX_LENGTH:
        problems.append(
            _("The title is too long: at most %(max)s characters.") % {"max": NAME_MAX_LENGTH}
        )
    for number, answer in enumerate(question.answers, start=1):
        if len(answer.get("match_text", "")) > MATCH_TEXT_MAX_LENGTH:
            problems.append(
                _("Pair %(number)s: the matching answer is too long (at most %(max)s characters).")
                % {"number": number, "max": MATCH_TEXT_MAX_LENGTH}
            )
    try:
        validate_spec(question.spec())
    except SpecError as error:
        problems.extend(error.messages)
    errors.extend((question.line, problem) for problem in problems)


def _text_lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --- GIFT import ----------------------------------------------------------------------


def _escape_in(text: str) -> str:
    for sequence, placeholder in _ESCAPES.items():
        text = text.replace(sequence, placeholder)
    return text


def _escape_out(text: str) -> str:
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _clean(text: str) -> str:
    """A finished piece of text: markers stripped, escapes resolved, trimmed."""
    text = _FORMAT_MARKER.sub("", text, count=1)
    return _escape_out(text).strip()


def _gift_blocks(text: str):
    """Each blank-line separated item as [(line number, line)], comments dropped."""
    block = []
    for number, line in enumerate(_text_lines(text), start=1):
        if line.strip().startswith("//"):
            continue
        if not line.strip():
            if block:
                yield block
            block = []
            continue
        block.append((number, line))
    if block:
        yield block


def parse_gift(text: str) -> list[ParsedQuestion]:
    """Parse a GIFT file; FormatError lists every problem, nothing is partly returned."""
    questions: list[ParsedQuestion] = []
    errors: list[tuple[int, str]] = []
    category: str | None = None
    for block in _gift_blocks(text):
        start = block[0][0]
        match = _CATEGORY.match(block[0][1])
        if match:
            category = _category_name(match.group(1)) or None
            if category and len(category) > NAME_MAX_LENGTH:
                errors.append(
                    (
                        start,
                        _("The category name is too long: at most %(max)s characters.")
                        % {"max": NAME_MAX_LENGTH},
                    )
                )
            # A question may follow its category line without a blank line between.
            block = block[1:]
            if not block:
                continue
            start = block[0][0]
        try:
            question = _gift_question("\n".join(line for _number, line in block), start)
        except _ItemError as error:
            errors.append((start, error.message))
            continue
        question.category = category
        _check(question, errors)
        questions.append(question)
    if not questions and not errors:
        errors.append((1, _("The file has no questions.")))
    if errors:
        raise FormatError(errors)
    return questions


def _category_name(path: str) -> str:
    """The last segment of a Moodle category path ("$course$/top/Keamanan Siber");
    Moodle writes a slash inside a name as "//"."""
    segments = path.strip().replace("//", "\ue007").split("/")
    name = segments[-1].replace("\ue007", "/").strip()
    if name.lower() == "top" or re.fullmatch(r"\$\w+\$", name):
        return ""  # the root of a Moodle bank: the import's own category
    return name


class _ItemError(Exception):
    def __init__(self, message: str):
        self.message = message


def _gift_question(raw: str, line: int) -> ParsedQuestion:
    raw = _escape_in(raw)
    title = ""
    match = _TITLE.match(raw)
    if match:
        title = _escape_out(match.group(1)).strip()
        raw = raw[match.end() :]
    opening = raw.find("{")
    if opening == -1:
        raise _ItemError(
            _(
                "This item has no answer block {…}: descriptions (text without a question) "
                "are not supported. Remove it, or add answers in braces."
            )
        )
    closing = raw.find("}", opening)
    if closing == -1:
        raise _ItemError(_("The answer block has no closing “}”. Add it, or escape “{” as “\\{”."))
    before, body, after = raw[:opening], raw[opening + 1 : closing], raw[closing + 1 :]
    if "{" in body or "{" in after or "}" in after or "}" in before:
        raise _ItemError(
            _(
                "A question may have only one answer block {…}. Split it into several "
                "questions, or escape the braces as “\\{” and “\\}”."
            )
        )
    text = _clean(before)
    after_text = _clean(after)
    if after_text:
        # Missing-word question: the blank goes where the answer block was.
        glue = "" if after_text[:1] in ".,;:!?)" else " "
        text = f"{text} {BLANK}{glue}{after_text}".strip()

    body, general_feedback = _split_general_feedback(body)
    kind, answers = _gift_answers(body)
    question = ParsedQuestion(
        kind=kind,
        name=title or _name_from(text),
        text=text,
        general_feedback=general_feedback,
        answers=answers,
        line=line,
    )
    return question


def _split_general_feedback(body: str) -> tuple[str, str]:
    if "####" in body:
        body, feedback = body.split("####", 1)
        return body, _clean(feedback)
    return body, ""


def _gift_answers(body: str) -> tuple[str, list[dict]]:
    stripped = body.strip()
    if not stripped:
        raise _ItemError(
            _(
                "Essay questions are not supported: remove it, or turn it into a short "
                "answer question with accepted answers."
            )
        )
    if stripped.startswith("#"):
        return "numeric", _gift_numeric(stripped[1:])
    head, _hash, _rest = stripped.partition("#")
    if _FORMAT_MARKER.sub("", head).strip().upper() in ("T", "TRUE", "F", "FALSE"):
        return "truefalse", _gift_truefalse(stripped)
    parts = _split_answers(stripped)
    if "->" in stripped:
        return "matching", _gift_matching(parts)
    if any(marker == "~" for marker, _part in parts):
        return _gift_choice(parts)
    return "short", _gift_short(parts)


def _split_answers(body: str) -> list[tuple[str, str]]:
    """[(marker, text)] of ``=a ~b`` answers; text before the first marker is an error."""
    pieces = re.split(r"([=~])", body)
    if pieces[0].strip():
        raise _ItemError(
            _(
                "“%(text)s” stands before the first answer. Start every answer with “=” "
                "(right) or “~” (wrong)."
            )
            % {"text": _escape_out(pieces[0].strip())[:40]}
        )
    return [(pieces[i], pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)]


def _weight_and_rest(text: str) -> tuple[Decimal | None, str]:
    stripped = text.lstrip()
    match = _WEIGHT.match(stripped)
    if not match:
        return None, text
    weight = Decimal(match.group(1).replace(",", "."))
    return weight.quantize(_CENT, rounding=ROUND_HALF_UP), stripped[match.end() :]


def _text_and_feedback(text: str) -> tuple[str, str]:
    answer, _hash, feedback = text.partition("#")
    return _clean(answer), _clean(feedback)


def _gift_choice(parts) -> tuple[str, list[dict]]:
    rights = sum(1 for marker, _part in parts if marker == "=")
    answers = []
    for marker, part in parts:
        weight, rest = _weight_and_rest(part)
        text, feedback = _text_and_feedback(rest)
        if weight is None:
            weight = Decimal("100") if marker == "=" else Decimal("0")
        answers.append(_answer(text, weight, feedback))
    if rights == 1:
        return "single", answers
    if rights > 1:
        # Several "=" answers: each right answer earns its share of the points.
        unweighted = [
            answer
            for (marker, part), answer in zip(parts, answers, strict=True)
            if marker == "=" and _weight_and_rest(part)[0] is None
        ]
        _share_equally(unweighted)
    return "multiple", answers


def _share_equally(answers: list[dict]) -> None:
    if not answers:
        return
    share = (Decimal("100") / len(answers)).quantize(_CENT, rounding=ROUND_HALF_UP)
    for answer in answers:
        answer["fraction"] = share
    # The last one takes the rounding cent, so the shares add up to exactly 100.
    answers[-1]["fraction"] = Decimal("100") - share * (len(answers) - 1)


def _gift_truefalse(body: str) -> list[dict]:
    value, *feedbacks = body.split("#")
    if len(feedbacks) > 2:
        raise _ItemError(
            _(
                "A true/false answer has at most two feedbacks: {TRUE#when wrong#when right}. "
                "Escape other “#” as “\\#”."
            )
        )
    wrong_feedback = _clean(feedbacks[0]) if feedbacks else ""
    right_feedback = _clean(feedbacks[1]) if len(feedbacks) > 1 else ""
    right = _FORMAT_MARKER.sub("", value).strip().upper() in ("T", "TRUE")
    true_row = _answer("true", Decimal("100") if right else Decimal("0"))
    false_row = _answer("false", Decimal("0") if right else Decimal("100"))
    # Each row's feedback is what a learner who chose it reads.
    (true_row if right else false_row)["feedback"] = right_feedback
    (false_row if right else true_row)["feedback"] = wrong_feedback
    return [true_row, false_row]


def _gift_short(parts) -> list[dict]:
    answers = []
    for _marker, part in parts:
        weight, rest = _weight_and_rest(part)
        text, feedback = _text_and_feedback(rest)
        answers.append(_answer(text, Decimal("100") if weight is None else weight, feedback))
    return answers


def _gift_matching(parts) -> list[dict]:
    answers = []
    for marker, part in parts:
        if marker != "=" or "->" not in part:
            raise _ItemError(_("Write each pair of a matching question as “=prompt -> match”."))
        left, right = part.split("->", 1)
        right, _feedback = _text_and_feedback(right)
        answers.append(_answer(_clean(left), Decimal("0"), match_text=right))
    return answers


def _gift_numeric(body: str) -> list[dict]:
    body = body.strip()
    if "~" in body:
        raise _ItemError(
            _(
                "Numeric questions here have no “~” answers (feedback for any other value). "
                "Remove them; unmatched values get no credit."
            )
        )
    if "=" not in body:
        value, feedback = _text_and_feedback(body)
        return [_numeric_answer(value, Decimal("100"), feedback)]
    pieces = _split_answers(body)
    answers = []
    for _marker, part in pieces:
        weight, rest = _weight_and_rest(part)
        value, feedback = _text_and_feedback(rest)
        answers.append(
            _numeric_answer(value, Decimal("100") if weight is None else weight, feedback)
        )
    return answers


def _numeric_answer(value: str, fraction: Decimal, feedback: str) -> dict:
    bad = _ItemError(
        _(
            "“%(value)s” is not a numeric answer. Write it as 3.14, 3.14:0.01 (value and "
            "tolerance) or 1..5 (range)."
        )
        % {"value": value[:40]}
    )
    value = value.strip()
    if ".." in value:
        low, _dots, high = value.partition("..")
        low_number, high_number = parse_number(low), parse_number(high)
        if low_number is None or high_number is None or high_number < low_number:
            raise bad
        middle = (low_number + high_number) / 2
        tolerance = (high_number - low_number) / 2
        return _answer(_plain(middle), fraction, feedback, tolerance=_tolerance(tolerance))
    number_text, colon, tolerance_text = value.partition(":")
    number = parse_number(number_text)
    tolerance = parse_number(tolerance_text) if colon else Decimal("0")
    if number is None or tolerance is None or tolerance < 0:
        raise bad
    return _answer(_plain(number), fraction, feedback, tolerance=_tolerance(tolerance))


def _plain(number: Decimal) -> str:
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text


def _tolerance(value: Decimal) -> Decimal:
    # QuestionAnswer.tolerance keeps four decimals.
    return value.quantize(_TOLERANCE_STEP, rounding=ROUND_HALF_UP)


# --- Aiken import ---------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"^([A-Z])[.)]\s+(.*\S)\s*$")
_AIKEN_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE)


def parse_aiken(text: str) -> list[ParsedQuestion]:
    """Parse an Aiken file (single choice only); FormatError lists every problem."""
    questions: list[ParsedQuestion] = []
    errors: list[tuple[int, str]] = []
    current: dict | None = None

    def finish(answer_line: int | None, letter: str | None) -> None:
        line = current["line"]
        problems = []
        if not current["text"]:
            problems.append(_("The question text is missing before the options."))
        if len(current["options"]) < 2 and not current.get("duplicate"):
            problems.append(_("A question needs at least 2 options such as “A. …” and “B. …”."))
        if answer_line is None:
            problems.append(
                _("The “ANSWER: …” line is missing. Add it after the options, e.g. “ANSWER: B”.")
            )
        elif letter not in current["options"]:
            problems.append(
                _("The answer “%(letter)s” is not one of the options (%(letters)s).")
                % {"letter": letter, "letters": ", ".join(current["options"]) or "-"}
            )
        if problems or current.get("duplicate"):
            errors.extend((line, problem) for problem in problems)
            return
        text = "\n".join(current["text"])
        question = ParsedQuestion(
            kind="single",
            name=_name_from(text),
            text=text,
            answers=[
                _answer(option, Decimal("100") if key == letter else Decimal("0"))
                for key, option in current["options"].items()
            ],
            line=line,
        )
        _check(question, errors)
        questions.append(question)

    for number, raw in enumerate(_text_lines(text), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _AIKEN_ANSWER.match(line)
        option = _AIKEN_OPTION.match(line)
        if current is None:
            current = {"line": number, "text": [], "options": {}}
        if answer:
            finish(number, answer.group(1).strip().upper())
            current = None
        elif option and (current["text"] or current["options"]):
            letter = option.group(1)
            if letter in current["options"]:
                errors.append(
                    (number, _("Option “%(letter)s” appears twice.") % {"letter": letter})
                )
                current["duplicate"] = True
            else:
                current["options"][letter] = option.group(2)
        elif current["options"]:
            # Text after the options: the previous question lost its ANSWER line.
            finish(None, None)
            current = {"line": number, "text": [line], "options": {}}
        else:
            current["text"].append(line)
    if current is not None:
        finish(None, None)
    if not questions and not errors:
        errors.append((1, _("The file has no questions.")))
    if errors:
        raise FormatError(errors)
    return questions


# --- GIFT export ----------------------------------------------------------------------


def _gift_escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _gift_text(text: str) -> str:
    escaped = _gift_escape(text)
    # A text that happens to start like a format marker keeps it through a re-import.
    return f"[plain]{escaped}" if _FORMAT_MARKER.match(text) else escaped


def _weight(fraction: Decimal) -> str:
    return f"%{_plain(fraction)}%"


def _feedback(answer: dict) -> str:
    feedback = answer.get("feedback") or ""
    return f"#{_gift_escape(feedback)}" if feedback else ""


def _export_block(spec: dict) -> str | None:
    kind = spec["kind"]
    answers = spec.get("answers", [])
    fractions = [Decimal(str(answer.get("fraction") or 0)) for answer in answers]
    parts: list[str] = []
    if kind == "single":
        first_right = next((i for i, f in enumerate(fractions) if f == 100), None)
        for index, (answer, fraction) in enumerate(zip(answers, fractions, strict=True)):
            if index == first_right:
                prefix = "="
            elif fraction == 0:
                prefix = "~"
            else:
                prefix = "~" + _weight(fraction)
            parts.append(prefix + _gift_escape(answer["text"]) + _feedback(answer))
    elif kind == "multiple":
        for answer, fraction in zip(answers, fractions, strict=True):
            prefix = "~" if fraction == 0 else "~" + _weight(fraction)
            parts.append(prefix + _gift_escape(answer["text"]) + _feedback(answer))
    elif kind == "truefalse":
        right = next((a for a, f in zip(answers, fractions, strict=True) if f == 100), None)
        wrong = next((a for a in answers if a is not right), None)
        value = "TRUE" if right and right["text"] == "true" else "FALSE"
        right_fb = (right or {}).get("feedback") or ""
        wrong_fb = (wrong or {}).get("feedback") or ""
        if right_fb:
            value += f"#{_gift_escape(wrong_fb)}#{_gift_escape(right_fb)}"
        elif wrong_fb:
            value += f"#{_gift_escape(wrong_fb)}"
        parts.append(value)
    elif kind == "short":
        for answer, fraction in zip(answers, fractions, strict=True):
            weight = "" if fraction == 100 else _weight(fraction)
            parts.append("=" + weight + _gift_escape(answer["text"]) + _feedback(answer))
    elif kind == "numeric":
        items = []
        for answer, fraction in zip(answers, fractions, strict=True):
            tolerance = answer.get("tolerance")
            value = _gift_escape(answer["text"])
            if tolerance not in (None, "") and Decimal(str(tolerance)) != 0:
                value += ":" + _plain(Decimal(str(tolerance)))
            items.append((fraction, value + _feedback(answer)))
        if len(items) == 1 and items[0][0] == 100:
            parts.append("#" + items[0][1])
        else:
            parts.append("#")
            parts.extend("=" + _weight(fraction) + value for fraction, value in items)
    elif kind == "matching":
        for answer in answers:
            parts.append(
                "="
                + _gift_escape(answer["text"])
                + " -> "
                + _gift_escape(answer.get("match_text") or "")
            )
    else:
        return None
    if spec.get("general_feedback"):
        parts.append("####" + _gift_escape(spec["general_feedback"]))
    if len(parts) == 1:
        return "{" + parts[0] + "}"
    return "{\n" + "".join(f"\t{part}\n" for part in parts) + "}"


def export_gift(specs: Iterable[dict], category: str | None = None) -> str:
    """GIFT text of the questions (``Question.spec()`` dicts, optionally with a
    ``"category"`` name each) that ``parse_gift`` reads back. GIFT has no points,
    partial-credit switch or case sensitivity: those come back as defaults, and comments
    in the file say which questions lose them."""
    out = [
        "// " + _("Questions exported from the ASN learning platform (GIFT format)."),
        "",
    ]
    current = None
    for spec in specs:
        # A spec may name its own category (a whole course's export); else ``category``.
        wanted = spec.get("category") or category
        if wanted and wanted != current:
            out += [f"$CATEGORY: {wanted.replace('/', '//')}", ""]
            current = wanted
        block = _export_block(spec)
        name = (spec.get("name") or "").replace("\n", " ")
        if block is None:
            if spec.get("kind") == "ordering":
                note = _("Question “%(name)s” was left out: GIFT has no ordering questions.")
            else:
                note = _("Question “%(name)s” was left out: GIFT cannot hold its type.")
            out += ["// " + note % {"name": name}, ""]
            continue
        for note in _export_notes(spec):
            out.append("// " + note)
        text = spec.get("text") or ""
        title = f"::{_gift_escape(name)}::" if name else ""
        if text.count(BLANK) == 1 and text.split(BLANK)[1].strip():
            before, after = text.split(BLANK)
            out.append(f"{title}{_gift_text(before)}{block}{_gift_escape(after)}")
        else:
            out.append(f"{title}{_gift_text(text)} {block}")
        out.append("")
    return "\n".join(out)


def _export_notes(spec: dict) -> list[str]:
    notes = []
    name = spec.get("name") or ""
    points = Decimal(str(spec.get("points") or "1"))
    if points != 1:
        notes.append(
            _("“%(name)s” is worth %(points)s points; set it again after importing.")
            % {"name": name, "points": _plain(points)}
        )
    if spec.get("kind") == "short" and spec.get("case_sensitive"):
        notes.append(
            _("“%(name)s” is case sensitive; set it again after importing.") % {"name": name}
        )
    if spec.get("kind") in ("multiple", "matching") and not spec.get("partial_credit", True):
        notes.append(
            _("“%(name)s” gives no partial credit; set it again after importing.") % {"name": name}
        )
    return notes
