"""courses.grading: validation of question specs, response cleaning, grading and the
learner's public view. Pure functions: specs are built as Question.spec() gives them."""

import json

import pytest

from courses.grading import (
    Grade,
    ResponseError,
    SpecError,
    clean_response,
    correct_response,
    grade,
    parse_number,
    public_question,
    validate_spec,
)


def make_spec(kind, answers, **fields):
    spec = {
        "key": "5f0c8f7e-3b1a-4c2e-9d57-0e4a2b7c9a11",
        "version": 1,
        "kind": kind,
        "name": "Soal uji",
        "text": "Pertanyaan tentang keamanan siber?",
        "points": "1.00",
        "general_feedback": "Umpan balik umum yang tidak boleh bocor.",
        "partial_credit": True,
        "case_sensitive": False,
    }
    spec.update(fields)
    spec["answers"] = []
    for index, answer in enumerate(answers):
        row = {
            "id": f"a{index}",
            "text": "",
            "fraction": "0.00",
            "feedback": "",
            "match_text": "",
            "tolerance": None,
        }
        if isinstance(answer, dict):
            row.update(answer)
        else:
            row["text"] = answer[0]
            row["fraction"] = f"{answer[1]:.2f}"
            if len(answer) > 2:
                row["feedback"] = answer[2]
        spec["answers"].append(row)
    return spec


def single_spec(**fields):
    return make_spec(
        "single",
        [
            ("Menggunakan kata sandi yang sama di semua akun", 0, "Berbahaya jika satu bocor."),
            ("Mengaktifkan autentikasi dua faktor", 100, "Tepat, lapisan kedua."),
            ("Menulis kata sandi di memo tempel", -50, "Mudah dibaca orang lain."),
        ],
        **fields,
    )


def multiple_spec(**fields):
    return make_spec(
        "multiple",
        [
            ("Panjang minimal 12 karakter", 50, "Benar."),
            ("Tanggal lahir sendiri", -100, "Mudah ditebak."),
            ("Campuran huruf, angka, simbol", 50, "Benar."),
            ("Nama instansi", -50, "Mudah ditebak."),
        ],
        **fields,
    )


def truefalse_spec(right=True):
    return make_spec(
        "truefalse",
        [
            ("true", 100 if right else 0, "Ya, phishing memancing data pribadi."),
            ("false", 0 if right else 100, "Keliru."),
        ],
        text="Phishing adalah upaya memancing data pribadi lewat pesan palsu.",
    )


def short_spec(**fields):
    return make_spec(
        "short",
        [
            ("Sistem Pemerintahan Berbasis Elektronik", 100, "Tepat."),
            ("SPBE", 100, "Tepat, singkatannya."),
            ("Sistem Pemerintahan*", 50, "Hampir."),
        ],
        text="Apa kepanjangan SPBE?",
        **fields,
    )


def numeric_spec():
    return make_spec(
        "numeric",
        [
            {"text": "12", "fraction": "100.00", "tolerance": "0", "feedback": "Tepat."},
            {"text": "10", "fraction": "50.00", "tolerance": "2", "feedback": "Mendekati."},
        ],
        text="Berapa panjang minimal kata sandi yang dianjurkan (karakter)?",
    )


def matching_spec(**fields):
    return make_spec(
        "matching",
        [
            {"text": "Phishing", "match_text": "Pesan palsu yang memancing data"},
            {"text": "Ransomware", "match_text": "Mengunci berkas dan meminta tebusan"},
            {"text": "Spyware", "match_text": "Memata-matai pengguna diam-diam"},
        ],
        text="Pasangkan ancaman dengan cirinya.",
        **fields,
    )


def ordering_spec(**fields):
    return make_spec(
        "ordering",
        [("Identifikasi insiden", 0), ("Lokalisasi", 0), ("Pemulihan", 0), ("Evaluasi", 0)],
        text="Urutkan langkah penanganan insiden siber.",
        **fields,
    )


class ParseNumberTests:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("3,5", "3.5"), ("3.5", "3.5"), (" -2 ", "-2"), (".5", "0.5"), ("+7", "7"), (12, "12")],
    )
    def test_accepts_comma_and_point(self, text, expected):
        from decimal import Decimal

        assert parse_number(text) == Decimal(expected)

    @pytest.mark.parametrize(
        "text",
        ["NaN", "nan", "inf", "-Infinity", "1e5", "1.000,5", "3,5,1", "", "abc", "1" * 41, True],
    )
    def test_refuses_non_numbers(self, text):
        assert parse_number(text) is None


class ValidateSpecTests:
    @pytest.mark.parametrize(
        "spec",
        [
            single_spec(),
            multiple_spec(),
            truefalse_spec(),
            short_spec(),
            numeric_spec(),
            matching_spec(),
            ordering_spec(),
        ],
    )
    def test_good_specs_pass(self, spec):
        validate_spec(spec)

    def problems(self, spec):
        with pytest.raises(SpecError) as caught:
            validate_spec(spec)
        return caught.value.messages

    def test_single_needs_two_answers_and_a_full_credit_one(self):
        problems = self.problems(make_spec("single", [("Satu-satunya", 50)]))
        assert "A single choice question needs at least 2 answers." in problems
        assert "One answer of a single choice question must give 100% credit." in problems

    def test_multiple_positive_credits_must_add_up_to_100(self):
        problems = self.problems(make_spec("multiple", [("A", 50), ("B", 40), ("C", -100)]))
        assert problems == [
            "The positive credits of a multiple response question must add up to 100% (now 90%)."
        ]

    def test_multiple_allows_a_rounding_cent(self):
        validate_spec(make_spec("multiple", [("A", 33.33), ("B", 33.33), ("C", 33.33)]))

    def test_multiple_needs_a_positive_answer(self):
        problems = self.problems(make_spec("multiple", [("A", 0), ("B", -50)]))
        assert problems == [
            "Give at least one answer of a multiple response question positive credit."
        ]

    def test_truefalse_needs_true_and_false_with_one_right(self):
        assert self.problems(make_spec("truefalse", [("true", 100), ("ya", 0)])) == [
            "A true/false question needs exactly two answers, “true” and “false”."
        ]
        assert self.problems(make_spec("truefalse", [("true", 100), ("false", 100)])) == [
            "Exactly one of “true” and “false” must give 100% credit."
        ]

    def test_short_needs_an_accepted_answer(self):
        assert self.problems(make_spec("short", [("Jakarta", 0)])) == [
            "A short answer question needs at least one accepted answer with credit above 0."
        ]
        assert "Accepted answer 2 is empty. Write it or remove it." in self.problems(
            make_spec("short", [("Jakarta", 100), ("  ", 50)])
        )

    def test_numeric_answers_must_be_numbers_with_a_tolerance_of_zero_or_more(self):
        problems = self.problems(
            make_spec(
                "numeric",
                [
                    {"text": "dua belas", "fraction": "100"},
                    {"text": "NaN", "fraction": "50"},
                    {"text": "12", "fraction": "100", "tolerance": "-1"},
                ],
            )
        )
        assert problems == [
            "Answer 1: “dua belas” is not a number.",
            "Answer 2: “NaN” is not a number.",
            "Answer 3: the tolerance must be a number, 0 or more.",
        ]
        assert self.problems(make_spec("numeric", [])) == [
            "A numeric question needs at least one answer."
        ]

    def test_matching_needs_two_pairs_each_with_a_match(self):
        problems = self.problems(
            make_spec(
                "matching",
                [{"text": "Phishing", "match_text": ""}, {"text": "", "match_text": "x"}],
            )
        )
        assert problems == [
            "Pair 1 has no matching answer. Write it or remove the pair.",
            "A matching question needs at least 2 pairs.",
        ]

    def test_ordering_needs_two_items(self):
        assert self.problems(make_spec("ordering", [("Satu", 0)])) == [
            "An ordering question needs at least 2 items."
        ]

    def test_points_text_kind_and_credit_range(self):
        problems = self.problems(
            make_spec("single", [("A", 100), ("B", 150)], points="0", text="  ")
        )
        assert problems == [
            "The question text is empty. Write the question.",
            "Points must be a number greater than 0.",
            "Answer 2: the credit must be a number from -100 to 100.",
        ]
        assert self.problems(make_spec("essay", [])) == ["Unknown question type “essay”."]
        assert "Points must be a number greater than 0." in self.problems(single_spec(points="abc"))

    def test_missing_answers_and_non_dict_spec(self):
        spec = single_spec()
        spec["answers"] = "A, B"
        assert self.problems(spec) == ["The answers are missing."]
        assert self.problems(None) == ["The question is missing."]


class CleanResponseTests:
    def refused(self, spec, response):
        with pytest.raises(ResponseError) as caught:
            clean_response(spec, response)
        assert caught.value.message
        return caught.value.message

    @pytest.mark.parametrize(
        ("spec", "blank"),
        [
            (single_spec(), {"choice": None}),
            (multiple_spec(), {"choices": []}),
            (truefalse_spec(), {"value": None}),
            (short_spec(), {"text": "   "}),
            (numeric_spec(), {"value": " "}),
            (matching_spec(), {"pairs": {"a0": None}}),
            (ordering_spec(), {"order": []}),
        ],
    )
    def test_blank_answers_are_unanswered(self, spec, blank):
        assert clean_response(spec, blank) == {}
        assert clean_response(spec, None) == {}
        assert grade(spec, blank) == Grade(fraction=0.0, state="unanswered", feedback=[])

    def test_single(self):
        spec = single_spec()
        assert clean_response(spec, {"choice": "a1"}) == {"choice": "a1"}
        assert self.refused(spec, {"choice": "a9"}) == (
            "Choose one of the answers shown. Reload the page if they changed."
        )
        self.refused(spec, {"choice": 1})
        self.refused(spec, {"choices": ["a1"]})
        self.refused(spec, {"choice": "a1", "extra": True})
        self.refused(spec, "a1")

    def test_multiple_refuses_duplicates_and_sorts_by_answer_order(self):
        spec = multiple_spec()
        assert clean_response(spec, {"choices": ["a2", "a0"]}) == {"choices": ["a0", "a2"]}
        assert self.refused(spec, {"choices": ["a0", "a0"]}) == (
            "The same answer was chosen twice. Reload the page."
        )
        self.refused(spec, {"choices": ["a0", "zz"]})
        self.refused(spec, {"choices": "a0"})
        self.refused(spec, {"choices": [0]})

    def test_truefalse_needs_a_boolean(self):
        spec = truefalse_spec()
        assert clean_response(spec, {"value": False}) == {"value": False}
        self.refused(spec, {"value": "true"})
        self.refused(spec, {"value": 1})

    def test_short_is_trimmed_and_limited(self):
        spec = short_spec()
        assert clean_response(spec, {"text": "  Sistem   Pemerintahan \n"}) == {
            "text": "Sistem Pemerintahan"
        }
        assert clean_response(spec, {"text": "x" * 1000}) == {"text": "x" * 1000}
        assert self.refused(spec, {"text": "x" * 1001}) == (
            "The answer is too long: at most 1000 characters."
        )
        self.refused(spec, {"text": ["SPBE"]})

    def test_numeric_accepts_comma_and_point_and_refuses_the_rest(self):
        spec = numeric_spec()
        assert clean_response(spec, {"value": "3,50"}) == {"value": "3.5"}
        assert clean_response(spec, {"value": "12"}) == {"value": "12"}
        assert clean_response(spec, {"value": 12}) == {"value": "12"}
        for bad in ("NaN", "Infinity", "1e400", "dua belas", "9" * 500, True, [1]):
            assert self.refused(spec, {"value": bad}) in ("Type a number, for example 3,5 or -2.",)
        assert self.refused(spec, {"value": "9" * 1001}) == (
            "The answer is too long: at most 1000 characters."
        )

    def test_matching(self):
        spec = matching_spec()
        assert clean_response(spec, {"pairs": {"a1": "a1", "a0": "a2", "a2": None}}) == {
            "pairs": {"a0": "a2", "a1": "a1"}
        }
        self.refused(spec, {"pairs": {"a9": "a0"}})
        self.refused(spec, {"pairs": {"a0": "a9"}})
        self.refused(spec, {"pairs": {"a0": 2}})
        self.refused(spec, {"pairs": [["a0", "a0"]]})

    def test_ordering_must_be_a_permutation(self):
        spec = ordering_spec()
        assert clean_response(spec, {"order": ["a3", "a2", "a1", "a0"]}) == {
            "order": ["a3", "a2", "a1", "a0"]
        }
        assert self.refused(spec, {"order": ["a0", "a0", "a1", "a2"]}) == (
            "The same item was placed twice. Reload the page."
        )
        self.refused(spec, {"order": ["a0", "a1", "a2"]})
        self.refused(spec, {"order": ["a0", "a1", "a2", "a9"]})
        self.refused(spec, {"order": "a0,a1,a2,a3"})


class GradeTests:
    def test_single_gives_the_chosen_credit_and_clamps_penalties(self):
        spec = single_spec()
        assert grade(spec, {"choice": "a1"}) == Grade(1.0, "correct", ["Tepat, lapisan kedua."])
        assert grade(spec, {"choice": "a0"}) == Grade(0.0, "wrong", ["Berbahaya jika satu bocor."])
        assert grade(spec, {"choice": "a2"}).fraction == 0.0
        half = make_spec("single", [("A", 100), ("B", 50)])
        assert grade(half, {"choice": "a1"}) == Grade(0.5, "partial", [])

    def test_multiple_partial_credit_sums_and_clamps_at_zero(self):
        spec = multiple_spec()
        assert grade(spec, {"choices": ["a0", "a2"]}).state == "correct"
        assert grade(spec, {"choices": ["a0"]}) == Grade(0.5, "partial", ["Benar."])
        assert grade(spec, {"choices": ["a0", "a2", "a3"]}).fraction == 0.5
        assert grade(spec, {"choices": ["a0", "a1"]}) == Grade(
            0.0, "wrong", ["Benar.", "Mudah ditebak."]
        )
        assert grade(spec, {"choices": ["a1", "a3"]}).fraction == 0.0

    def test_multiple_thirds_reach_full_credit(self):
        spec = make_spec("multiple", [("A", 33.33), ("B", 33.33), ("C", 33.34), ("D", -100)])
        assert grade(spec, {"choices": ["a0", "a1", "a2"]}).state == "correct"
        spec = make_spec("multiple", [("A", 33.33), ("B", 33.33), ("C", 33.33), ("D", -100)])
        assert grade(spec, {"choices": ["a0", "a1", "a2"]}) == Grade(1.0, "correct", [])

    def test_multiple_all_or_nothing(self):
        spec = multiple_spec(partial_credit=False)
        assert grade(spec, {"choices": ["a2", "a0"]}).fraction == 1.0
        assert grade(spec, {"choices": ["a0"]}) == Grade(0.0, "wrong", ["Benar."])
        assert grade(spec, {"choices": ["a0", "a2", "a3"]}).fraction == 0.0

    def test_truefalse(self):
        assert grade(truefalse_spec(True), {"value": True}) == Grade(
            1.0, "correct", ["Ya, phishing memancing data pribadi."]
        )
        assert grade(truefalse_spec(True), {"value": False}) == Grade(0.0, "wrong", ["Keliru."])
        assert grade(truefalse_spec(False), {"value": False}).state == "correct"

    def test_short_ignores_case_and_spaces_and_takes_the_best_match(self):
        spec = short_spec()
        assert grade(spec, {"text": "  spbe "}) == Grade(1.0, "correct", ["Tepat, singkatannya."])
        assert grade(spec, {"text": "sistem  pemerintahan berbasis ELEKTRONIK"}).state == "correct"
        assert grade(spec, {"text": "Sistem Pemerintahan Digital"}) == Grade(
            0.5, "partial", ["Hampir."]
        )
        assert grade(spec, {"text": "e-Government"}) == Grade(0.0, "wrong", [])

    def test_short_case_sensitive(self):
        spec = short_spec(case_sensitive=True)
        assert grade(spec, {"text": "spbe"}).state == "wrong"
        assert grade(spec, {"text": "SPBE"}).state == "correct"
        assert grade(spec, {"text": "sistem pemerintahan apa saja"}).state == "wrong"

    def test_short_wildcard_and_literal_asterisk(self):
        spec = make_spec("short", [("*sandi*", 100), (r"a\*b", 100)])
        assert grade(spec, {"text": "Kata Sandi kuat"}).state == "correct"
        assert grade(spec, {"text": "sandi"}).state == "correct"
        assert grade(spec, {"text": "a*b"}).state == "correct"
        assert grade(spec, {"text": "axxb"}).state == "wrong"
        # Regex characters in an accepted answer are plain text.
        dotted = make_spec("short", [("v1.2 (final)", 100)])
        assert grade(dotted, {"text": "v1.2 (final)"}).state == "correct"
        assert grade(dotted, {"text": "v1x2 (final)"}).state == "wrong"

    def test_numeric_tolerance_edges(self):
        spec = numeric_spec()
        assert grade(spec, {"value": "12"}) == Grade(1.0, "correct", ["Tepat."])
        assert grade(spec, {"value": "12,0"}).state == "correct"
        assert grade(spec, {"value": "11,99"}).state == "partial"  # 10 +/- 2
        assert grade(spec, {"value": "8"}) == Grade(0.5, "partial", ["Mendekati."])
        assert grade(spec, {"value": "7.999"}).state == "wrong"
        assert grade(spec, {"value": "12.001"}).state == "wrong"
        tolerant = make_spec("numeric", [{"text": "3.14", "fraction": "100", "tolerance": "0.01"}])
        assert grade(tolerant, {"value": "3,15"}).state == "correct"
        assert grade(tolerant, {"value": "3.13"}).state == "correct"
        assert grade(tolerant, {"value": "3.1500001"}).state == "wrong"

    def test_matching_partial_and_all_or_nothing(self):
        spec = matching_spec()
        right = {"pairs": {"a0": "a0", "a1": "a1", "a2": "a2"}}
        assert grade(spec, right) == Grade(1.0, "correct", [])
        two = {"pairs": {"a0": "a0", "a1": "a1", "a2": "a0"}}
        assert grade(spec, two).fraction == pytest.approx(2 / 3)
        assert grade(spec, {"pairs": {"a0": "a0"}}).state == "partial"
        assert grade(matching_spec(partial_credit=False), two) == Grade(0.0, "wrong", [])
        assert grade(matching_spec(partial_credit=False), right).state == "correct"

    def test_matching_rows_sharing_a_right_hand_text_are_one_choice(self):
        spec = make_spec(
            "matching",
            [
                {"text": "Kata sandi", "match_text": "Sesuatu yang Anda ketahui"},
                {"text": "PIN", "match_text": "Sesuatu yang Anda ketahui"},
                {"text": "Token", "match_text": "Sesuatu yang Anda miliki"},
                {"text": "", "match_text": "Sesuatu yang Anda lupakan"},  # a distractor
            ],
        )
        validate_spec(spec)
        answer = {"pairs": {"a0": "a0", "a1": "a0", "a2": "a2"}}
        assert grade(spec, answer).state == "correct"
        assert grade(spec, correct_response(spec)).state == "correct"
        assert grade(spec, {"pairs": {"a0": "a3", "a1": "a1", "a2": "a2"}}).fraction == (
            pytest.approx(2 / 3)
        )
        with pytest.raises(ResponseError):
            clean_response(spec, {"pairs": {"a3": "a3"}})  # a distractor is no prompt

    def test_ordering_partial_and_all_or_nothing(self):
        spec = ordering_spec()
        assert grade(spec, {"order": ["a0", "a1", "a2", "a3"]}).state == "correct"
        assert grade(spec, {"order": ["a0", "a1", "a3", "a2"]}) == Grade(0.5, "partial", [])
        assert grade(spec, {"order": ["a3", "a2", "a1", "a0"]}).state == "wrong"
        strict = ordering_spec(partial_credit=False)
        assert grade(strict, {"order": ["a0", "a1", "a3", "a2"]}).fraction == 0.0

    def test_unanswered_and_stale_responses(self):
        assert grade(single_spec(), None) == Grade(0.0, "unanswered", [])
        assert grade(single_spec(), {}) == Grade(0.0, "unanswered", [])
        # After a regrade removed an answer, the old response grades as wrong, no error.
        assert grade(single_spec(), {"choice": "a7"}) == Grade(0.0, "wrong", [])
        assert grade(ordering_spec(), {"order": ["a0", "a1"]}).state == "wrong"

    @pytest.mark.parametrize(
        "spec",
        [
            single_spec(),
            multiple_spec(),
            truefalse_spec(False),
            short_spec(),
            numeric_spec(),
            matching_spec(),
            ordering_spec(),
        ],
    )
    def test_correct_response_earns_full_credit(self, spec):
        key = correct_response(spec)
        assert clean_response(spec, key) == key or spec["kind"] in ("short", "numeric")
        assert grade(spec, key).state == "correct"


class PublicQuestionTests:
    SECRETS = (
        "fraction",
        "feedback",
        "tolerance",
        "match_text",
        "general_feedback",
        "Umpan balik umum",
        "name",
    )

    def dump(self, spec, order):
        public = public_question(spec, order)
        dumped = json.dumps(public, ensure_ascii=False)
        for secret in self.SECRETS:
            assert secret not in dumped
        for answer in spec["answers"]:
            if answer["feedback"]:
                assert answer["feedback"] not in dumped
        return public, dumped

    def test_single_and_multiple_in_the_attempts_order(self):
        public, dumped = self.dump(single_spec(), ["a2", "a0", "a1"])
        assert [a["id"] for a in public["answers"]] == ["a2", "a0", "a1"]
        assert public["answers"][2] == {"id": "a1", "text": "Mengaktifkan autentikasi dua faktor"}
        assert public["text"] == "Pertanyaan tentang keamanan siber?"
        assert public["points"] == "1.00"
        assert "100" not in dumped
        public, _ = self.dump(multiple_spec(), ["a3", "a1", "a0", "a2"])
        assert [a["id"] for a in public["answers"]] == ["a3", "a1", "a0", "a2"]

    def test_truefalse_short_and_numeric_send_no_answer_text(self):
        for spec in (truefalse_spec(), short_spec(), numeric_spec()):
            public, dumped = self.dump(spec, ["a0", "a1"])
            assert public["answers"] == []
        _, dumped = self.dump(short_spec(), ["a0", "a1", "a2"])
        assert "SPBE" not in dumped.replace("Apa kepanjangan SPBE?", "")
        assert "Elektronik" not in dumped
        _, dumped = self.dump(numeric_spec(), ["a0", "a1"])
        assert "12" not in dumped.replace("5f0c8f7e-3b1a-4c2e-9d57-0e4a2b7c9a11", "")

    def test_matching_hides_the_pairing(self):
        spec = matching_spec()
        public, dumped = self.dump(spec, ["a2", "a0", "a1"])
        assert [p["id"] for p in public["prompts"]] == ["a2", "a0", "a1"]
        # Right-hand texts come alphabetically, whatever the prompt order.
        assert [c["text"] for c in public["choices"]] == [
            "Memata-matai pengguna diam-diam",
            "Mengunci berkas dan meminta tebusan",
            "Pesan palsu yang memancing data",
        ]
        assert public_question(spec, ["a0", "a1", "a2"])["choices"] == public["choices"]
        assert "prompts" in public and public["answers"] == []

    def test_ordering_never_shows_the_key_order(self):
        spec = ordering_spec()
        public, _ = self.dump(spec, ["a2", "a0", "a3", "a1"])
        assert [a["id"] for a in public["answers"]] == ["a2", "a0", "a3", "a1"]
        unshuffled, _ = self.dump(spec, ["a0", "a1", "a2", "a3"])
        assert [a["id"] for a in unshuffled["answers"]] != ["a0", "a1", "a2", "a3"]
        assert sorted(a["id"] for a in unshuffled["answers"]) == ["a0", "a1", "a2", "a3"]

    def test_stale_answer_order_neither_hides_nor_invents_answers(self):
        public, _ = self.dump(single_spec(), ["a9", "a2"])
        assert [a["id"] for a in public["answers"]] == ["a2", "a0", "a1"]


@pytest.mark.django_db
class QuestionSpecTests:
    def test_model_spec_validates_and_grades(self, jakarta):
        from tests.courses.conftest import make_course
        from tests.quiz_factories import category, question, single_choice

        course = make_course(jakarta.curriculum)
        bank = category(course, "Keamanan Siber")
        made = single_choice(bank, right="Autentikasi dua faktor", text="Cara terbaik?")
        spec = made.spec()
        validate_spec(spec)
        assert grade(spec, {"choice": "a0"}) == Grade(1.0, "correct", ["Tepat."])
        numeric = question(
            bank, "numeric", answers=[{"text": "12", "fraction": 100, "tolerance": "0.5"}]
        )
        assert grade(numeric.spec(), {"value": "12,5"}).state == "correct"
