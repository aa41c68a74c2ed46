"""Demo question bank and quizzes: cyber security and digital literacy for ASN, in Bahasa
Indonesia, with every question type the quiz engine grades.

- The national course "Keamanan Digital: Perangkat dan Akun Dinas" gets the whole bank
  (three categories) and a final quiz that draws questions at random from each category,
  placed in a new lesson that completes by passing it.
- The first own course of each demo city gets a short quiz of fixed questions from a
  smaller bank of its own, in a new lesson as well.

Safe to run again: categories, questions (by name), quizzes (by title) and lessons (by
slug) that exist are kept as they are. The texts describe practice in general terms; they
are not official guidance.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from courses import services
from courses.models import CityCurriculumPage, CoursePage, LessonPage
from courses.quiz_models import Question, QuestionAnswer, QuestionCategory, Quiz, QuizSlot

NATIONAL_COURSE_SLUG = "keamanan-digital-perangkat-dan-akun-dinas"

PASSWORDS = "Kata Sandi dan Akun"
PHISHING = "Phishing dan Penipuan Daring"
LITERACY = "Data Pribadi dan Literasi Digital"

CATEGORY_DESCRIPTIONS = {
    PASSWORDS: "Kata sandi, verifikasi dua langkah, dan menangani akun yang diretas.",
    PHISHING: "Mengenali email, pesan, dan telepon penipuan.",
    LITERACY: "Pelindungan data pribadi, cek fakta, dan budaya digital ASN.",
}


@dataclass(frozen=True)
class DemoAnswer:
    text: str
    fraction: int | str = 0
    feedback: str = ""
    match_text: str = ""
    tolerance: str | None = None


@dataclass(frozen=True)
class DemoQuestion:
    category: str
    kind: str
    name: str
    text: str
    answers: tuple[DemoAnswer, ...]
    general_feedback: str = ""
    points: str = "1"
    partial_credit: bool = True


A = DemoAnswer

QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        PASSWORDS,
        "single",
        "Kata sandi paling kuat",
        "Manakah kata sandi yang paling kuat untuk akun email dinas?",
        (
            A("Bukittinggi2024", 0, "Nama kota dan tahun mudah ditebak."),
            A("Kopi-Hujan-Sawah-Merah-27!", 100, "Tepat. Frasa panjang dan acak sulit ditebak."),
            A("12345678", 0, "Ini termasuk kata sandi yang paling sering dicoba penyerang."),
            A("NamaAnda19860926", 0, "Nama dan tanggal lahir mudah ditemukan di media sosial."),
        ),
        "Gunakan frasa sandi yang panjang dan berbeda untuk setiap akun.",
    ),
    DemoQuestion(
        PASSWORDS,
        "truefalse",
        "Verifikasi dua langkah",
        "Verifikasi dua langkah tetap melindungi akun walaupun kata sandi Anda bocor.",
        (
            A("true", 100, "Benar. Penyerang masih membutuhkan kode dari perangkat Anda."),
            A("false", 0, "Kurang tepat. Kode kedua tetap dibutuhkan untuk masuk."),
        ),
    ),
    DemoQuestion(
        PASSWORDS,
        "short",
        "Singkatan verifikasi dua langkah",
        "Tuliskan singkatan bahasa Inggris (tiga karakter) untuk verifikasi dua langkah.",
        (A("2FA", 100), A("MFA", 100, "MFA (multi-factor) juga diterima.")),
        "2FA: two-factor authentication.",
    ),
    DemoQuestion(
        PASSWORDS,
        "ordering",
        "Langkah saat akun diretas",
        "Urutkan langkah yang tepat ketika akun email dinas Anda diretas.",
        (
            A("Ganti kata sandi dari perangkat yang aman"),
            A("Keluarkan semua sesi aktif dan aktifkan verifikasi dua langkah"),
            A("Laporkan ke tim TI atau CSIRT instansi"),
            A("Beri tahu rekan kerja agar mewaspadai email dari akun Anda"),
        ),
        "Amankan akun dulu, lalu laporkan, lalu cegah korban berikutnya.",
    ),
    DemoQuestion(
        PASSWORDS,
        "single",
        "Menyimpan kata sandi",
        "Cara mana yang paling aman untuk mengingat banyak kata sandi akun dinas?",
        (
            A("Pengelola kata sandi (password manager) yang disetujui instansi", 100),
            A("Catatan di kertas yang ditempel di monitor", 0),
            A("Satu kata sandi yang sama untuk semua akun", 0),
            A("Berkas teks di desktop bernama sandi.txt", 0),
        ),
    ),
    DemoQuestion(
        PHISHING,
        "multiple",
        "Ciri email phishing",
        "Manakah yang termasuk ciri email phishing? Pilih semua yang benar.",
        (
            A("Mendesak Anda agar segera bertindak", "33.33"),
            A("Alamat pengirim mirip, tetapi berbeda dari domain resmi", "33.33"),
            A("Meminta kata sandi atau kode OTP", "33.34"),
            A("Berisi undangan rapat dari rekan yang sudah dijadwalkan bersama", -50),
        ),
        "Periksa alamat pengirim dan jangan pernah memberikan OTP.",
    ),
    DemoQuestion(
        PHISHING,
        "truefalse",
        "OTP untuk petugas",
        "Kode OTP boleh diberikan kepada petugas bank atau admin TI yang menelepon Anda.",
        (
            A("true", 0, "Kurang tepat. Petugas resmi tidak pernah meminta OTP."),
            A("false", 100, "Benar. OTP hanya untuk Anda sendiri."),
        ),
    ),
    DemoQuestion(
        PHISHING,
        "single",
        "Pesan mengaku atasan",
        "Anda menerima pesan WhatsApp dari nomor tidak dikenal yang mengaku atasan Anda dan "
        "meminta transfer dana segera. Apa yang Anda lakukan?",
        (
            A("Konfirmasi langsung ke atasan melalui nomor yang sudah Anda simpan", 100),
            A("Segera transfer karena permintaannya mendesak", 0),
            A("Membalas dan meminta nomor rekening lain", 0),
        ),
    ),
    DemoQuestion(
        PHISHING,
        "matching",
        "Jenis serangan dan contohnya",
        "Pasangkan jenis serangan dengan contohnya.",
        (
            A("Phishing", match_text="Email palsu yang meminta Anda masuk ulang"),
            A("Smishing", match_text="SMS berisi tautan hadiah undian"),
            A("Vishing", match_text="Telepon yang mengaku petugas bank dan meminta OTP"),
            A("Ransomware", match_text="Berkas dinas terkunci dan diminta tebusan"),
        ),
    ),
    DemoQuestion(
        PHISHING,
        "single",
        "Ikon gembok di peramban",
        "Apa arti ikon gembok di bilah alamat peramban?",
        (
            A("Koneksi ke situs terenkripsi, tetapi bukan jaminan situsnya asli", 100),
            A("Situs itu pasti milik pemerintah", 0),
            A("Situs itu bebas virus", 0),
        ),
        "Situs phishing pun dapat memakai HTTPS; periksa alamatnya.",
    ),
    DemoQuestion(
        LITERACY,
        "numeric",
        "Nomor UU PDP",
        "Undang-Undang Pelindungan Data Pribadi adalah UU Nomor berapa Tahun 2022?",
        (A("27", 100, "Benar, UU Nomor 27 Tahun 2022.", tolerance="0"),),
    ),
    DemoQuestion(
        LITERACY,
        "numeric",
        "Batas waktu pemberitahuan",
        "Menurut UU PDP, paling lambat berapa jam setelah kegagalan pelindungan data pribadi "
        "terjadi pemberitahuan tertulis harus disampaikan?",
        (A("72", 100, "Benar, 3 x 24 jam.", tolerance="0"),),
    ),
    DemoQuestion(
        LITERACY,
        "multiple",
        "Data pribadi spesifik",
        "Manakah yang termasuk data pribadi yang bersifat spesifik menurut UU PDP?",
        (
            A("Data dan informasi kesehatan", "33.33"),
            A("Data biometrik", "33.33"),
            A("Catatan kejahatan", "33.34"),
            A("Nama instansi tempat bekerja", -50),
        ),
    ),
    DemoQuestion(
        LITERACY,
        "single",
        "Menyimpan dokumen berisi NIK",
        "Di mana sebaiknya dokumen dinas yang memuat NIK warga disimpan?",
        (
            A("Di penyimpanan resmi instansi dengan hak akses terbatas", 100),
            A("Di grup WhatsApp kantor agar mudah dicari", 0),
            A("Di flashdisk pribadi", 0),
            A("Di layanan penyimpanan awan pribadi yang gratis", 0),
        ),
    ),
    DemoQuestion(
        LITERACY,
        "truefalse",
        "Memeriksa sebelum membagikan",
        "Sebelum membagikan informasi di media sosial, ASN sebaiknya memeriksa sumber dan "
        "tanggal beritanya.",
        (A("true", 100), A("false", 0)),
    ),
    DemoQuestion(
        LITERACY,
        "short",
        "Aplikasi naskah dinas",
        "Apa nama aplikasi umum naskah dinas elektronik yang dipakai instansi pemerintah?",
        (A("Srikandi", 100),),
    ),
    DemoQuestion(
        LITERACY,
        "ordering",
        "Langkah cek fakta",
        "Urutkan langkah memeriksa kebenaran sebuah berita.",
        (
            A("Baca seluruh isi berita, bukan hanya judulnya"),
            A("Periksa sumber dan penulisnya"),
            A("Bandingkan dengan sumber resmi atau situs cek fakta"),
            A("Putuskan apakah berita itu layak dibagikan"),
        ),
    ),
    DemoQuestion(
        LITERACY,
        "matching",
        "Pilar literasi digital",
        "Pasangkan pilar literasi digital dengan contohnya.",
        (
            A("Cakap digital", match_text="Menggunakan aplikasi perkantoran dengan baik"),
            A("Aman digital", match_text="Mengaktifkan verifikasi dua langkah"),
            A("Etis digital", match_text="Tidak menyebarkan ujaran kebencian"),
            A("Budaya digital", match_text="Mengutamakan produk digital dalam negeri"),
        ),
    ),
    DemoQuestion(
        LITERACY,
        "numeric",
        "JP minimal setahun",
        "Berapa JP pengembangan kompetensi paling sedikit yang wajib diikuti setiap PNS "
        "dalam setahun?",
        (A("20", 100, "Benar, paling sedikit 20 JP setahun.", tolerance="0"),),
    ),
)

# The national final quiz: random questions per category (drawn anew for each attempt).
NATIONAL_QUIZ = {
    "title": "Kuis Akhir: Keamanan Digital ASN",
    "intro": "Sepuluh soal acak tentang kata sandi, phishing, dan data pribadi. Nilai lulus 70.",
    "draws": ((PASSWORDS, 3), (PHISHING, 4), (LITERACY, 3)),
    "time_limit_minutes": 20,
    "attempts_allowed": 3,
}
NATIONAL_LESSON = ("kuis-keamanan-digital", "Kuis: Keamanan Digital")

# Each city's short quiz: these questions, in this order (one of each type).
CITY_QUESTION_NAMES = (
    "Kata sandi paling kuat",
    "Ciri email phishing",
    "OTP untuk petugas",
    "Singkatan verifikasi dua langkah",
    "Nomor UU PDP",
    "Jenis serangan dan contohnya",
    "Langkah cek fakta",
)
CITY_QUIZ_TITLE = "Kuis Singkat: Aman di Ruang Digital"
CITY_LESSON = ("kuis-singkat-aman-digital", "Kuis Singkat: Aman di Ruang Digital")


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def question_create(category: QuestionCategory, item: DemoQuestion, *, name: str = "") -> Question:
    """One demo question with its answers (the bench builds its quiz with it too)."""
    question = Question.objects.create(
        category=category,
        kind=item.kind,
        name=name or item.name,
        text=item.text,
        points=Decimal(item.points),
        general_feedback=item.general_feedback,
        partial_credit=item.partial_credit,
    )
    QuestionAnswer.objects.bulk_create(
        QuestionAnswer(
            question=question,
            sort_order=order,
            text=answer.text,
            fraction=Decimal(str(answer.fraction)),
            feedback=answer.feedback,
            match_text=answer.match_text,
            tolerance=None if answer.tolerance is None else Decimal(answer.tolerance),
        )
        for order, answer in enumerate(item.answers)
    )
    return question


def _bank(course: CoursePage, items) -> dict[str, Question]:
    """The course's questions by name, creating those that are missing."""
    categories = {}
    for name in dict.fromkeys(item.category for item in items):
        categories[name], _created = QuestionCategory.objects.get_or_create(
            course=course, name=name, defaults={"description": CATEGORY_DESCRIPTIONS[name]}
        )
    existing = {
        question.name: question
        for question in Question.objects.filter(
            category__course=course, name__in=[i.name for i in items]
        )
    }
    for item in items:
        if item.name not in existing:
            existing[item.name] = question_create(categories[item.category], item)
    return existing


def _quiz(course: CoursePage, title: str, **fields) -> tuple[Quiz, bool]:
    quiz = Quiz.objects.filter(course=course, title=title).first()
    if quiz is not None:
        return quiz, False
    return Quiz.objects.create(course=course, title=title, **fields), True


def _quiz_lesson(course: CoursePage, quiz: Quiz, slug: str, title: str) -> None:
    if LessonPage.objects.child_of(course).filter(slug=slug).exists():
        return
    services.lesson_create(
        course=course,
        title=title,
        slug=slug,
        body=[
            {
                "type": "paragraph",
                "value": (
                    "<p>Uji pemahaman Anda. Pelajaran ini selesai bila Anda lulus kuis; "
                    "Anda dapat mengulang bila belum lulus.</p>"
                ),
            },
            {"type": "quiz", "value": {"key": str(quiz.key), "title": quiz.title}},
        ],
        completion_rule="quiz_passed",
    )


def _national_quiz(course: CoursePage, stdout) -> Quiz:
    _bank(course, QUESTIONS)
    quiz, created = _quiz(
        course,
        NATIONAL_QUIZ["title"],
        intro=NATIONAL_QUIZ["intro"],
        time_limit_minutes=NATIONAL_QUIZ["time_limit_minutes"],
        attempts_allowed=NATIONAL_QUIZ["attempts_allowed"],
        shuffle_questions=True,
    )
    if created:
        categories = {c.name: c for c in QuestionCategory.objects.filter(course=course)}
        QuizSlot.objects.bulk_create(
            QuizSlot(quiz=quiz, category=categories[name], draw_count=count, sort_order=order)
            for order, (name, count) in enumerate(NATIONAL_QUIZ["draws"])
        )
        _say(stdout, f"  + {quiz.title}")
    _quiz_lesson(course, quiz, *NATIONAL_LESSON)
    return quiz


def _city_quiz(course: CoursePage, stdout) -> Quiz:
    wanted = [item for item in QUESTIONS if item.name in CITY_QUESTION_NAMES]
    wanted.sort(key=lambda item: CITY_QUESTION_NAMES.index(item.name))
    bank = _bank(course, wanted)
    quiz, created = _quiz(course, CITY_QUIZ_TITLE, pass_mark_percent=Decimal("60"))
    if created:
        QuizSlot.objects.bulk_create(
            QuizSlot(quiz=quiz, question=bank[item.name], sort_order=order)
            for order, item in enumerate(wanted)
        )
        _say(stdout, f"  + {course.title}: {quiz.title}")
    _quiz_lesson(course, quiz, *CITY_LESSON)
    return quiz


@transaction.atomic
def load_demo_quizzes(*, stdout=None) -> list[Quiz]:
    """Build the demo banks, quizzes and quiz lessons for the demo courses that exist
    (after courses.demo.load_demo_courses). Returns the quizzes."""
    quizzes = []
    national = CoursePage.objects.filter(slug=NATIONAL_COURSE_SLUG).first()
    if national is not None:
        quizzes.append(_national_quiz(national, stdout))
    for page in CityCurriculumPage.objects.order_by("path"):
        course = CoursePage.objects.child_of(page).order_by("path").first()
        if course is not None:
            quizzes.append(_city_quiz(course, stdout))
    return quizzes
