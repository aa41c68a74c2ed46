"""courses.question_formats: GIFT and Aiken import with line-numbered errors, GIFT export
that reads back the same."""

from decimal import Decimal

import pytest

from courses.grading import grade
from courses.question_formats import (
    FormatError,
    ParsedQuestion,
    export_gift,
    parse_aiken,
    parse_gift,
)


def only(text: str) -> ParsedQuestion:
    questions = parse_gift(text)
    assert len(questions) == 1
    return questions[0]


def errors_of(parser, text: str) -> list[tuple[int, str]]:
    with pytest.raises(FormatError) as caught:
        parser(text)
    return caught.value.errors


def answers(question: ParsedQuestion, *keys: str) -> list[tuple]:
    keys = keys or ("text", "fraction")
    return [tuple(answer[key] for key in keys) for answer in question.answers]


class GiftChoiceTests:
    def test_single_choice_with_title_feedback_and_general_feedback(self):
        question = only(
            "::KS-01 Dua faktor::Apa manfaat utama autentikasi dua faktor?{\n"
            "  =Menambah lapisan keamanan kedua#Tepat, butuh bukti kedua.\n"
            "  ~Mempercepat proses masuk#Justru sedikit lebih lama.\n"
            "  ~Menghapus kebutuhan kata sandi#Kata sandi tetap diperlukan.\n"
            "  ####Autentikasi dua faktor memakai dua jenis bukti identitas.\n"
            "}\n"
        )
        assert question.kind == "single"
        assert question.name == "KS-01 Dua faktor"
        assert question.text == "Apa manfaat utama autentikasi dua faktor?"
        assert question.general_feedback == (
            "Autentikasi dua faktor memakai dua jenis bukti identitas."
        )
        assert answers(question, "text", "fraction", "feedback") == [
            ("Menambah lapisan keamanan kedua", 100, "Tepat, butuh bukti kedua."),
            ("Mempercepat proses masuk", 0, "Justru sedikit lebih lama."),
            ("Menghapus kebutuhan kata sandi", 0, "Kata sandi tetap diperlukan."),
        ]
        assert question.points == Decimal("1") and question.category is None
        assert question.line == 1

    def test_single_choice_keeps_partial_weights_beside_the_right_answer(self):
        question = only("Siapa pengelola SPBE nasional? {=Kementerian PANRB ~%50%Kominfo ~BPS}")
        assert question.kind == "single"
        assert answers(question) == [("Kementerian PANRB", 100), ("Kominfo", 50), ("BPS", 0)]

    def test_weights_without_a_right_answer_make_multiple_response(self):
        question = only(
            "Ciri kata sandi yang kuat? {\n"
            "~%50%Minimal 12 karakter\n~%50%Campuran huruf, angka dan simbol\n"
            "~%-100%Tanggal lahir\n~Nama kota}"
        )
        assert question.kind == "multiple"
        assert answers(question) == [
            ("Minimal 12 karakter", 50),
            ("Campuran huruf, angka dan simbol", 50),
            ("Tanggal lahir", -100),
            ("Nama kota", 0),
        ]

    def test_several_right_answers_share_the_credit(self):
        question = only("Termasuk malware? {=Ransomware =Trojan =Worm ~Firewall}")
        assert question.kind == "multiple"
        assert answers(question) == [
            ("Ransomware", Decimal("33.33")),
            ("Trojan", Decimal("33.33")),
            ("Worm", Decimal("33.34")),
            ("Firewall", 0),
        ]

    def test_thirds_written_as_moodle_does(self):
        question = only("Pilih tiga: {~%33.33333%A ~%33.33333%B ~%33.33333%C ~%-100%D}")
        assert question.kind == "multiple"
        assert [answer["fraction"] for answer in question.answers][:3] == [Decimal("33.33")] * 3


class GiftOtherTypesTests:
    @pytest.mark.parametrize(
        ("block", "right"),
        [("{T}", "true"), ("{TRUE}", "true"), ("{F}", "false"), ("{FALSE}", "false")],
    )
    def test_true_false(self, block, right):
        question = only(f"Phishing memancing korban lewat pesan palsu. {block}")
        assert question.kind == "truefalse"
        assert {a["text"]: a["fraction"] for a in question.answers}[right] == 100

    def test_true_false_feedbacks_go_to_the_answer_a_learner_chose(self):
        question = only(
            "Kata sandi boleh dibagikan ke rekan satu bidang.{F#Keliru: kata sandi bersifat "
            "pribadi.#Benar, jangan pernah membagikannya.}"
        )
        rows = {answer["text"]: answer for answer in question.answers}
        assert rows["false"]["fraction"] == 100
        assert rows["false"]["feedback"] == "Benar, jangan pernah membagikannya."
        assert rows["true"]["feedback"] == "Keliru: kata sandi bersifat pribadi."

    def test_short_answer_with_weights_and_feedback(self):
        question = only(
            "Apa kepanjangan SPBE?{=Sistem Pemerintahan Berbasis Elektronik#Tepat.\n"
            "=%50%Sistem Pemerintahan Elektronik#Kurang satu kata.}"
        )
        assert question.kind == "short"
        assert answers(question, "text", "fraction", "feedback") == [
            ("Sistem Pemerintahan Berbasis Elektronik", 100, "Tepat."),
            ("Sistem Pemerintahan Elektronik", 50, "Kurang satu kata."),
        ]

    def test_missing_word_puts_a_blank_where_the_block_was(self):
        question = only("Serangan {=phishing =pengelabuan} memakai email palsu.")
        assert question.kind == "short"
        assert question.text == "Serangan _____ memakai email palsu."
        question = only("Kata sandi minimal {#12}.")
        assert question.text == "Kata sandi minimal _____."

    def test_matching(self):
        question = only(
            "Pasangkan ancaman dengan cirinya. {\n"
            "=Phishing -> Pesan palsu yang memancing data\n"
            "=Ransomware -> Mengunci berkas dan meminta tebusan\n"
            "=Spyware -> Memata-matai pengguna\n}"
        )
        assert question.kind == "matching"
        assert answers(question, "text", "match_text") == [
            ("Phishing", "Pesan palsu yang memancing data"),
            ("Ransomware", "Mengunci berkas dan meminta tebusan"),
            ("Spyware", "Memata-matai pengguna"),
        ]

    def test_numeric_value_and_tolerance(self):
        question = only("Berapa panjang minimal kata sandi menurut kebijakan? {#12:2}")
        assert question.kind == "numeric"
        assert answers(question, "text", "fraction", "tolerance") == [("12", 100, Decimal("2"))]
        assert grade(question.spec(), {"value": "14"}).state == "correct"
        assert grade(question.spec(), {"value": "14,01"}).state == "wrong"

    def test_numeric_range_becomes_midpoint_and_tolerance(self):
        question = only("Sebutkan angka antara 8 dan 16. {#8..16}")
        assert answers(question, "text", "tolerance") == [("12", Decimal("4"))]
        question = only("Nilai pi? {#3.14:0.01}")
        assert answers(question, "text", "tolerance") == [("3.14", Decimal("0.01"))]

    def test_several_numeric_answers(self):
        question = only("Tahun UU PDP disahkan? {#\n=%100%2022:0#Tepat.\n=%50%2022:1#Hampir.\n}")
        assert answers(question, "text", "fraction", "tolerance", "feedback") == [
            ("2022", 100, 0, "Tepat."),
            ("2022", 50, 1, "Hampir."),
        ]
        assert grade(question.spec(), {"value": "2021"}).fraction == 0.5


class GiftSyntaxTests:
    def test_comments_blank_lines_categories_and_format_markers(self):
        questions = parse_gift(
            "// Bank soal pelatihan keamanan siber\n"
            "$CATEGORY: $course$/top/Keamanan Siber\n"
            "\n"
            "// soal pertama\n"
            "::Sandi::[markdown]Kata sandi yang kuat **panjang**.{T}\n"
            "\n\n\n"
            "$CATEGORY: $course$/top/SPBE//Arsitektur\n"
            "::Arsitektur::[html]<p>Singkatan SPBE?</p>{=[plain]Sistem Pemerintahan "
            "Berbasis Elektronik}\n"
        )
        assert [(q.name, q.category, q.line) for q in questions] == [
            ("Sandi", "Keamanan Siber", 5),
            ("Arsitektur", "SPBE/Arsitektur", 10),
        ]
        assert questions[0].text == "Kata sandi yang kuat **panjang**."
        assert questions[1].text == "<p>Singkatan SPBE?</p>"
        assert questions[1].answers[0]["text"] == "Sistem Pemerintahan Berbasis Elektronik"

    def test_root_category_means_the_imports_own_category(self):
        assert only("$CATEGORY: $course$/top\n\nSoal? {T}").category is None

    def test_question_right_under_its_category_line_keeps_its_line_number(self):
        question = only("$CATEGORY: Kata Sandi\n// catatan\nSoal? {T}\n")
        assert (question.category, question.line) == ("Kata Sandi", 3)

    def test_escapes(self):
        question = only(
            r"::Rumus\: kuat::Tanda \{, \}, \=, \~, \# dan \: tetap tampil\nbaris dua {"
            "\n=a\\=b#Umpan \\#1\n~c\\~d\n}"
        )
        assert question.name == "Rumus: kuat"
        assert question.text == "Tanda {, }, =, ~, # dan : tetap tampil\nbaris dua"
        assert answers(question, "text", "feedback") == [("a=b", "Umpan #1"), ("c~d", "")]

    def test_untitled_questions_are_named_after_their_text(self):
        question = only(
            "Sebutkan satu contoh serangan rekayasa sosial yang sering menyasar ASN "
            "melalui pesan singkat. {=phishing}"
        )
        assert question.name.startswith("Sebutkan satu contoh serangan")
        assert len(question.name) <= 60

    def test_crlf_and_bom(self):
        questions = parse_gift("\ufeffSoal satu? {T}\r\n\r\nSoal dua? {F}\r\n")
        assert [(q.text, q.line) for q in questions] == [("Soal satu?", 1), ("Soal dua?", 3)]


class GiftErrorTests:
    def test_every_problem_is_listed_with_its_line_and_nothing_returned(self):
        text = (
            "// baris 1: komentar\n"
            "::Esai::Jelaskan pentingnya kata sandi. {}\n"  # 2
            "\n"
            "Ini hanya deskripsi tanpa jawaban.\n"  # 4
            "\n"
            "Soal benar? {=Ya ~Tidak}\n"  # 6: fine
            "\n"
            "Pilihan ganda tanpa jawaban benar {~A ~B}\n"  # 8
            "\n"
            "Kurung tidak ditutup {=A ~B\n"  # 10
            "\n"
            "Dua blok {=A ~B} dan {=C ~D}\n"  # 12
            "\n"
            "Angka? {#dua belas}\n"  # 14
        )
        errors = errors_of(parse_gift, text)
        assert [line for line, _message in errors] == [2, 4, 8, 10, 12, 14]
        messages = dict(errors)
        assert messages[2].startswith("Essay questions are not supported: remove it")
        assert "descriptions (text without a question) are not supported" in messages[4]
        assert messages[8] == (
            "Give at least one answer of a multiple response question positive credit."
        )
        assert "no closing “}”" in messages[10]
        assert "only one answer block" in messages[12]
        assert "“dua belas” is not a numeric answer" in messages[14]

    def test_validation_problems_carry_the_questions_line(self):
        errors = errors_of(
            parse_gift,
            "Soal baik {T}\n\n\n::Kosong::{=A ~B}\n\nSatu pasangan {=a -> b}\n\n"
            "Bobot salah {~%60%A ~%60%B}\n",
        )
        assert errors == [
            (4, "The question text is empty. Write the question."),
            (6, "A matching question needs at least 2 pairs."),
            (
                8,
                "The positive credits of a multiple response question must add up to 100% "
                "(now 120%).",
            ),
        ]

    def test_other_syntax_errors(self):
        errors = dict(
            errors_of(
                parse_gift,
                "Teks {awal =A ~B}\n\n"
                "Benar? {TRUE#a#b#c}\n\n"
                "Pasangan {=a -> b ~c}\n\n"
                "Angka {#=5 ~#salah}\n\n"
                "Rentang {#9..1}\n",
            )
        )
        assert errors[1].startswith("“awal” stands before the first answer.")
        assert errors[3].startswith("A true/false answer has at most two feedbacks")
        assert errors[5] == "Write each pair of a matching question as “=prompt -> match”."
        assert errors[7].startswith("Numeric questions here have no “~” answers")
        assert "“9..1” is not a numeric answer" in errors[9]

    def test_empty_file(self):
        assert errors_of(parse_gift, "// hanya komentar\n\n") == [(1, "The file has no questions.")]


class AikenTests:
    def test_questions(self):
        questions = parse_aiken(
            "Apa kepanjangan SPBE?\n"
            "A. Sistem Pelayanan Berbasis Elektronik\n"
            "B. Sistem Pemerintahan Berbasis Elektronik\n"
            "C) Sistem Perizinan Berbasis Elektronik\n"
            "ANSWER: B\n"
            "\n"
            "Manakah kata sandi paling kuat?\n"
            "A. bukittinggi2024\n"
            "B. K0t4!Sorong#Aman-77\n"
            "ANSWER: B\n"
        )
        assert [(q.kind, q.line) for q in questions] == [("single", 1), ("single", 7)]
        assert questions[0].text == "Apa kepanjangan SPBE?"
        assert answers(questions[0]) == [
            ("Sistem Pelayanan Berbasis Elektronik", 0),
            ("Sistem Pemerintahan Berbasis Elektronik", 100),
            ("Sistem Perizinan Berbasis Elektronik", 0),
        ]
        assert questions[1].answers[1]["fraction"] == 100

    def test_without_blank_lines_and_with_bom_and_crlf(self):
        questions = parse_aiken(
            "\ufeffSoal satu?\r\nA. Ya\r\nB. Tidak\r\nANSWER: A\r\nSoal dua?\r\nA. Ya\r\n"
            "B. Tidak\r\nANSWER: b\r\n"
        )
        assert [q.answers[0]["fraction"] for q in questions] == [100, 0]

    def test_errors_with_line_numbers(self):
        errors = errors_of(
            parse_aiken,
            "Soal tanpa kunci?\n"  # 1
            "A. Ya\n"
            "B. Tidak\n"
            "\n"
            "Soal berikutnya dengan kunci salah?\n"  # 5
            "A. Ya\n"
            "B. Tidak\n"
            "ANSWER: D\n"
            "\n"
            "Soal satu pilihan?\n"  # 10
            "A. Ya\n"
            "ANSWER: A\n"
            "\n"
            "Soal terakhir tanpa kunci\n"  # 14
            "A. Ya\n"
            "B. Tidak\n",
        )
        assert errors == [
            (1, "The “ANSWER: …” line is missing. Add it after the options, e.g. “ANSWER: B”."),
            (5, "The answer “D” is not one of the options (A, B)."),
            (10, "A question needs at least 2 options such as “A. …” and “B. …”."),
            (14, "The “ANSWER: …” line is missing. Add it after the options, e.g. “ANSWER: B”."),
        ]

    def test_duplicate_option_and_empty_file(self):
        errors = errors_of(parse_aiken, "Soal?\nA. Ya\nA. Tidak\nANSWER: A\n")
        assert errors == [(3, "Option “A” appears twice.")]
        assert errors_of(parse_aiken, "\n\n") == [(1, "The file has no questions.")]


def spec(kind, rows, **fields):
    base = {
        "key": "k",
        "version": 1,
        "kind": kind,
        "name": fields.pop("name", f"Soal {kind}"),
        "text": fields.pop("text", "Pertanyaan: keamanan {siber} = penting #1?"),
        "points": "1.00",
        "general_feedback": fields.pop("general_feedback", ""),
        "partial_credit": True,
        "case_sensitive": False,
        "answers": [
            {
                "id": f"a{i}",
                "text": "",
                "fraction": "0.00",
                "feedback": "",
                "match_text": "",
                "tolerance": None,
                **row,
            }
            for i, row in enumerate(rows)
        ],
    }
    base.update(fields)
    return base


ROUND_TRIP = [
    spec(
        "single",
        [
            {"text": "Aktifkan 2FA", "fraction": "100.00", "feedback": "Tepat: lapis kedua."},
            {"text": "Ganti sandi ~ tiap hari", "fraction": "50.00", "feedback": "Sebagian."},
            {"text": "Abaikan", "fraction": "0.00", "feedback": ""},
            {"text": "Sandi = tanggal lahir", "fraction": "-50.00", "feedback": "Bahaya #1."},
        ],
        general_feedback="2FA = dua bukti.\nBaris kedua.",
    ),
    spec(
        "multiple",
        [
            {"text": "Panjang", "fraction": "50.00"},
            {"text": "Acak", "fraction": "50.00", "feedback": "Ya."},
            {"text": "Tanggal lahir", "fraction": "-100.00"},
        ],
    ),
    spec(
        "truefalse",
        [
            {"text": "true", "fraction": "0.00", "feedback": "Keliru."},
            {"text": "false", "fraction": "100.00", "feedback": "Benar."},
        ],
    ),
    spec(
        "short",
        [
            {"text": "SPBE", "fraction": "100.00", "feedback": "Tepat."},
            {"text": "Sistem Pemerintahan*", "fraction": "50.00"},
        ],
        text="Singkatan _____ dipakai di Perpres 95/2018.",
    ),
    spec("numeric", [{"text": "12", "fraction": "100.00", "tolerance": "0.5000"}]),
    spec(
        "numeric",
        [
            {"text": "2022", "fraction": "100.00", "tolerance": "0.0000", "feedback": "Tepat."},
            {"text": "-3.5", "fraction": "50.00", "tolerance": "1.2500"},
        ],
    ),
    spec(
        "matching",
        [
            {"text": "Phishing", "match_text": "Pesan palsu"},
            {"text": "Ransomware", "match_text": "Tebusan: bayar"},
        ],
        name="Cocokkan :: ancaman",
    ),
]


class GiftExportTests:
    @pytest.mark.parametrize("original", ROUND_TRIP, ids=lambda s: s["kind"])
    def test_round_trip(self, original):
        exported = export_gift([original], category="Keamanan Siber")
        (parsed,) = parse_gift(exported)
        assert parsed.category == "Keamanan Siber"
        assert parsed.kind == original["kind"]
        assert parsed.name == original["name"]
        assert parsed.text == original["text"]
        assert parsed.general_feedback == original["general_feedback"]
        got = parsed.spec()["answers"]
        assert len(got) == len(original["answers"])
        for want, have in zip(original["answers"], got, strict=True):
            assert have["text"] == want["text"]
            assert Decimal(have["fraction"]) == Decimal(want["fraction"])
            assert have["feedback"] == want["feedback"]
            assert have["match_text"] == want["match_text"]
            assert Decimal(have["tolerance"] or 0) == Decimal(want["tolerance"] or 0)

    def test_ordering_is_left_out_with_a_comment_and_lost_settings_are_noted(self):
        ordering = spec("ordering", [{"text": "Identifikasi"}, {"text": "Pemulihan"}])
        strict = dict(ROUND_TRIP[3], name="Singkatan", case_sensitive=True, points="2.00")
        exported = export_gift([ordering, strict], category="Insiden/Respons")
        assert "// Question “Soal ordering” was left out: GIFT has no ordering questions." in (
            exported
        )
        assert "// “Singkatan” is worth 2 points; set it again after importing." in exported
        assert "// “Singkatan” is case sensitive; set it again after importing." in exported
        assert "$CATEGORY: Insiden//Respons" in exported
        (parsed,) = parse_gift(exported)
        assert parsed.name == "Singkatan" and parsed.category == "Insiden/Respons"

    def test_a_type_gift_cannot_hold_is_noted(self):
        exported = export_gift([spec("essay", [], name="Esai SPBE")])
        assert "// Question “Esai SPBE” was left out: GIFT cannot hold its type." in exported

    def test_export_of_every_kind_reads_back_as_one_file(self):
        exported = export_gift(ROUND_TRIP)
        assert [q.kind for q in parse_gift(exported)] == [s["kind"] for s in ROUND_TRIP]

    def test_text_that_starts_like_a_format_marker_survives(self):
        original = dict(ROUND_TRIP[0], text="[html] adalah penanda format GIFT?")
        (parsed,) = parse_gift(export_gift([original]))
        assert parsed.text == "[html] adalah penanda format GIFT?"
