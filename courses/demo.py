"""Demo courses: the national catalogue of digital-skills courses, each city's own
courses, and each city's curriculum (which national courses it adopts, mandatory or not,
with due dates). Built through courses.services, like the admin would; safe to run twice.

The lesson texts are written for the demo in Bahasa Indonesia. They describe practice in
general terms; they are not official guidance from the institutions named as providers.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from courses import services
from courses.models import (
    CityCurriculumPage,
    CoursePage,
    CurriculumEntry,
    CurriculumIndexPage,
    LessonPage,
    Provider,
)

CATALOGUE_TITLE = "Katalog Kursus Nasional"
CATALOGUE_INTRO = (
    "<p>Kursus keterampilan digital yang disusun bersama perguruan tinggi, instansi "
    "pemerintah, dan mitra teknologi. Setiap kota dapat memasukkannya ke kurikulumnya "
    "sendiri, lengkap dengan tenggat dan status wajib.</p>"
)

PROVIDERS = {
    "unand": ("Universitas Andalas", Provider.Kind.UNIVERSITY, "https://www.unand.ac.id"),
    "pnp": ("Politeknik Negeri Padang", Provider.Kind.UNIVERSITY, "https://www.pnp.ac.id"),
    "bssn": ("Badan Siber dan Sandi Negara (BSSN)", Provider.Kind.GOVERNMENT, "https://bssn.go.id"),
    "diskominfo": ("Diskominfo Provinsi (Mitra Daerah)", Provider.Kind.GOVERNMENT, ""),
    "anri": ("Arsip Nasional Republik Indonesia (ANRI)", Provider.Kind.GOVERNMENT, ""),
    "cloud": ("Nusantara Cloud Academy", Provider.Kind.TECH_COMPANY, ""),
    "office": ("Mitra Produktivitas Digital Indonesia", Provider.Kind.TECH_COMPANY, ""),
    "lan": ("Lembaga Administrasi Negara (LAN)", Provider.Kind.GOVERNMENT, "https://lan.go.id"),
}


@dataclass(frozen=True)
class DemoLesson:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    callout: tuple[str, str, str] | None = None  # (kind, title, text)
    is_required: bool = True


@dataclass(frozen=True)
class DemoCourse:
    slug: str
    title: str
    summary: str
    jp: int
    competency: str
    provider: str
    hours: float
    lessons: tuple[DemoLesson, ...]
    form: str = "e_learning"
    level: str = "basic"
    prerequisites: tuple[str, ...] = field(default_factory=tuple)


NATIONAL_COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        slug="literasi-digital-sektor-pemerintahan",
        title="Literasi Digital Sektor Pemerintahan",
        summary=(
            "Empat pilar literasi digital bagi ASN: cakap, aman, beretika, dan berbudaya "
            "digital dalam pekerjaan sehari-hari di kantor pemerintahan."
        ),
        jp=4,
        competency="digital_literacy",
        provider="unand",
        hours=3,
        lessons=(
            DemoLesson(
                slug="empat-pilar-literasi-digital",
                title="Empat Pilar Literasi Digital",
                paragraphs=(
                    "Literasi digital bukan sekadar bisa memakai komputer atau ponsel. Bagi "
                    "seorang ASN, literasi digital berarti mampu mencari, menilai, memakai, "
                    "dan membagikan informasi secara tepat, sekaligus memahami akibat dari "
                    "setiap tindakan di ruang digital terhadap layanan publik.",
                    "Kerangka yang banyak dipakai di Indonesia membagi literasi digital ke "
                    "dalam empat pilar: cakap digital (digital skills), aman digital "
                    "(digital safety), etika digital (digital ethics), dan budaya digital "
                    "(digital culture). Keempatnya saling terkait: pegawai yang cakap tetapi "
                    "tidak aman justru membuka celah kebocoran data instansi.",
                    "Dalam kursus ini setiap pilar dibahas dengan contoh dari pekerjaan "
                    "kantor: menyusun surat dinas di aplikasi daring, menjawab aduan warga "
                    "di media sosial, menyimpan berkas di penyimpanan awan, dan mengikuti "
                    "rapat virtual lintas OPD.",
                ),
            ),
            DemoLesson(
                slug="mencari-dan-menilai-informasi",
                title="Mencari dan Menilai Informasi",
                paragraphs=(
                    "Setiap hari ASN menerima informasi dari grup percakapan, portal berita, "
                    "dan surat edaran. Sebelum meneruskan atau memakai informasi itu sebagai "
                    "dasar keputusan, periksa tiga hal: siapa sumbernya, kapan diterbitkan, "
                    "dan apakah ada sumber resmi lain yang menyatakan hal yang sama.",
                    "Untuk regulasi, rujuk selalu sumber primer seperti JDIH instansi atau "
                    "basis data peraturan resmi, bukan tangkapan layar yang beredar. Versi "
                    "peraturan bisa sudah diubah atau dicabut, dan tangkapan layar tidak "
                    "menunjukkan perubahan itu.",
                    "Gunakan kata kunci yang spesifik dan operator pencarian sederhana, "
                    "misalnya tanda kutip untuk frasa persis atau site:go.id untuk membatasi "
                    "hasil ke situs pemerintah. Kebiasaan kecil ini menghemat waktu dan "
                    "mengurangi risiko menyebarkan hoaks.",
                ),
                callout=(
                    "tip",
                    "Cek sebelum berbagi",
                    "Jika ragu terhadap sebuah kabar, tahan dulu. Satu pesan keliru dari akun "
                    "pegawai pemerintah bisa dianggap sebagai sikap resmi instansi.",
                ),
            ),
            DemoLesson(
                slug="budaya-digital-di-kantor",
                title="Budaya Digital di Kantor",
                paragraphs=(
                    "Budaya digital menyangkut cara tim bekerja bersama dengan teknologi: "
                    "berbagi dokumen alih-alih mengirim lampiran berulang, mencatat keputusan "
                    "rapat di tempat yang bisa diakses semua anggota, dan menyepakati kanal "
                    "komunikasi untuk urusan yang berbeda.",
                    "Perubahan budaya dimulai dari hal kecil yang konsisten. Pimpinan unit "
                    "dapat memberi contoh dengan memakai dokumen bersama untuk laporan "
                    "mingguan dan menanggapi pertanyaan di kanal yang disepakati, bukan di "
                    "pesan pribadi.",
                ),
                is_required=False,
            ),
        ),
    ),
    DemoCourse(
        slug="keamanan-digital-perangkat-dan-akun-dinas",
        title="Keamanan Digital: Melindungi Perangkat dan Akun Dinas",
        summary=(
            "Kata sandi yang kuat, verifikasi dua langkah, mengenali phishing, dan "
            "langkah pertama ketika akun atau perangkat dinas diretas."
        ),
        jp=3,
        competency="cyber_security",
        provider="bssn",
        hours=2.5,
        lessons=(
            DemoLesson(
                slug="kata-sandi-dan-verifikasi-dua-langkah",
                title="Kata Sandi dan Verifikasi Dua Langkah",
                paragraphs=(
                    "Sebagian besar pembobolan akun berawal dari kata sandi yang lemah atau "
                    "dipakai ulang di banyak layanan. Gunakan frasa sandi yang panjang, "
                    "misalnya gabungan empat kata acak, dan jangan memakai kata sandi akun "
                    "dinas untuk akun pribadi.",
                    "Aktifkan verifikasi dua langkah (2FA) pada surel dinas, aplikasi "
                    "kepegawaian, dan media sosial instansi. Dengan 2FA, pencuri kata sandi "
                    "masih membutuhkan kode dari ponsel Anda untuk masuk.",
                    "Pengelola kata sandi membantu menyimpan banyak kata sandi yang berbeda "
                    "secara aman. Tanyakan kepada pengelola TI instansi aplikasi mana yang "
                    "direkomendasikan dan diizinkan.",
                ),
            ),
            DemoLesson(
                slug="mengenali-phishing",
                title="Mengenali Phishing dan Rekayasa Sosial",
                paragraphs=(
                    "Phishing adalah upaya menipu korban agar menyerahkan kata sandi, kode "
                    "OTP, atau data pribadi dengan menyamar sebagai pihak tepercaya. Pesan "
                    "phishing sering memakai nada mendesak: akun akan diblokir, tunjangan "
                    "tertahan, atau ada undangan rapat penting dari pimpinan.",
                    "Periksa alamat pengirim dan alamat tautan sebelum mengeklik. Domain "
                    "resmi pemerintah berakhiran go.id; waspadai ejaan yang mirip tetapi "
                    "berbeda satu huruf. Jangan pernah memberikan kode OTP kepada siapa pun, "
                    "termasuk yang mengaku petugas TI.",
                    "File lampiran berformat APK, atau dokumen yang meminta mengaktifkan "
                    "makro, adalah tanda bahaya. Laporkan pesan mencurigakan kepada tim TI "
                    "atau CSIRT instansi agar pegawai lain dapat diperingatkan.",
                ),
                callout=(
                    "warning",
                    "Undangan palsu lewat aplikasi pesan",
                    "Modus yang sering muncul: file bernama 'Undangan' atau 'Surat Tilang' "
                    "yang ternyata aplikasi APK berbahaya. Jangan memasangnya.",
                ),
            ),
            DemoLesson(
                slug="jika-akun-diretas",
                title="Jika Akun atau Perangkat Diretas",
                paragraphs=(
                    "Bertindak cepat mengurangi kerugian. Segera ganti kata sandi dari "
                    "perangkat lain yang aman, keluarkan semua sesi yang aktif, dan periksa "
                    "apakah ada aturan penerusan surel atau nomor pemulihan yang diubah.",
                    "Laporkan kejadian kepada atasan dan tim TI atau CSIRT instansi, "
                    "termasuk kapan Anda pertama kali melihat keanehan. Jika data pribadi "
                    "warga ikut terdampak, instansi memiliki kewajiban pemberitahuan sesuai "
                    "UU Pelindungan Data Pribadi.",
                ),
                callout=(
                    "regulation",
                    "UU 27/2022 tentang Pelindungan Data Pribadi",
                    "Pengendali data wajib memberitahukan kegagalan pelindungan data pribadi "
                    "paling lambat 3 x 24 jam kepada subjek data dan lembaga yang berwenang.",
                ),
            ),
        ),
    ),
    DemoCourse(
        slug="etika-digital-netralitas-asn-media-sosial",
        title="Etika Digital dan Netralitas ASN di Media Sosial",
        summary=(
            "Bermedia sosial sebagai ASN: menjaga netralitas, membedakan akun pribadi dan "
            "akun instansi, dan menanggapi warga dengan santun."
        ),
        jp=2,
        competency="digital_communication",
        provider="lan",
        hours=1.5,
        lessons=(
            DemoLesson(
                slug="netralitas-di-ruang-digital",
                title="Netralitas di Ruang Digital",
                paragraphs=(
                    "ASN wajib netral dalam politik praktis, dan kewajiban itu berlaku juga "
                    "di media sosial. Menyukai, membagikan, atau mengomentari unggahan "
                    "kampanye calon tertentu dapat dinilai sebagai bentuk keberpihakan.",
                    "Netralitas tidak berarti ASN tidak boleh memiliki pilihan politik. "
                    "Pilihan itu digunakan di bilik suara, bukan dipromosikan di akun media "
                    "sosial yang dapat dikaitkan dengan jabatan dan instansinya.",
                    "Menjelang pemilu dan pilkada, instansi biasanya menerbitkan surat edaran "
                    "tentang netralitas. Bacalah dan diskusikan contohnya bersama tim agar "
                    "tidak ada yang terjebak tanpa sengaja.",
                ),
                callout=(
                    "regulation",
                    "Dasar aturan",
                    "Asas netralitas ASN diatur dalam Undang-Undang ASN dan ketentuan "
                    "disiplin PNS; pelanggarannya dapat berujung pada hukuman disiplin.",
                ),
            ),
            DemoLesson(
                slug="akun-pribadi-dan-akun-instansi",
                title="Akun Pribadi dan Akun Instansi",
                paragraphs=(
                    "Akun resmi instansi berbicara atas nama lembaga: setiap unggahan harus "
                    "akurat, disetujui sesuai prosedur, dan memakai bahasa yang santun. Akun "
                    "pribadi tetap mencerminkan diri Anda sebagai pegawai pemerintah, "
                    "terutama jika mencantumkan jabatan atau seragam dinas.",
                    "Saat menanggapi keluhan warga di akun instansi, ucapkan terima kasih, "
                    "akui masalahnya, dan arahkan ke kanal pengaduan resmi agar laporan "
                    "dapat ditindaklanjuti dan dilacak. Hindari berdebat di kolom komentar.",
                ),
            ),
        ),
    ),
    DemoCourse(
        slug="tata-naskah-dinas-elektronik-srikandi",
        title="Tata Naskah Dinas Elektronik dengan SRIKANDI",
        summary=(
            "Membuat, memaraf, menandatangani, dan mengarsipkan naskah dinas secara "
            "elektronik di aplikasi umum kearsipan SRIKANDI."
        ),
        jp=4,
        competency="office_software",
        provider="anri",
        hours=3,
        form="bimbingan_teknis",
        lessons=(
            DemoLesson(
                slug="mengenal-srikandi",
                title="Mengenal SRIKANDI",
                paragraphs=(
                    "SRIKANDI (Sistem Informasi Kearsipan Dinamis Terintegrasi) adalah "
                    "aplikasi umum bidang kearsipan yang dipakai bersama oleh instansi "
                    "pemerintah. Dengan satu aplikasi, surat masuk, surat keluar, disposisi, "
                    "dan arsip dinamis dikelola secara elektronik.",
                    "Manfaat utamanya adalah jejak yang jelas: siapa membuat naskah, siapa "
                    "memaraf, kapan ditandatangani, dan ke mana didisposisikan. Naskah tidak "
                    "lagi tercecer dalam bentuk fotokopi atau lampiran surel.",
                    "Sebelum mulai, pastikan akun SRIKANDI Anda sudah dibuat oleh admin unit "
                    "kearsipan dan jabatan Anda terdaftar dengan benar, karena alur "
                    "persetujuan mengikuti struktur jabatan.",
                ),
            ),
            DemoLesson(
                slug="membuat-dan-menandatangani-naskah",
                title="Membuat dan Menandatangani Naskah",
                paragraphs=(
                    "Naskah dinas dibuat dari templat yang sesuai jenisnya, misalnya nota "
                    "dinas, surat dinas, atau undangan. Isi perihal, tujuan, dan sifat "
                    "naskah dengan lengkap supaya klasifikasi arsip dan hak aksesnya tepat.",
                    "Setelah konsep selesai, naskah diteruskan untuk diparaf oleh pejabat "
                    "berjenjang, lalu ditandatangani secara elektronik oleh penandatangan. "
                    "Tanda tangan elektronik tersertifikasi memerlukan sertifikat elektronik "
                    "yang aktif; urus sebelum dibutuhkan.",
                    "Naskah yang sudah dikirim tercatat di arsip. Koreksi dilakukan dengan "
                    "naskah baru atau ralat sesuai ketentuan, bukan dengan mengubah naskah "
                    "yang telah ditandatangani.",
                ),
                callout=(
                    "tip",
                    "Disposisi yang jelas",
                    "Tulis instruksi disposisi yang dapat ditindaklanjuti, misalnya "
                    "'Siapkan telaahan paling lambat Kamis', bukan sekadar 'Untuk diketahui'.",
                ),
            ),
        ),
    ),
    DemoCourse(
        slug="pengelolaan-data-dengan-spreadsheet",
        title="Pengelolaan Data dengan Spreadsheet",
        summary=(
            "Menyusun tabel data yang rapi, membersihkan data, dan merangkumnya dengan "
            "tabel pivot untuk laporan kinerja unit."
        ),
        jp=6,
        competency="data_management",
        provider="pnp",
        hours=4.5,
        level="intermediate",
        lessons=(
            DemoLesson(
                slug="tabel-data-yang-rapi",
                title="Tabel Data yang Rapi",
                paragraphs=(
                    "Banyak laporan sulit diolah karena datanya disusun untuk dicetak, bukan "
                    "untuk dihitung: sel digabung, judul di tengah tabel, dan satu kolom "
                    "berisi beberapa informasi sekaligus. Prinsip data rapi sederhana: satu "
                    "baris untuk satu kejadian, satu kolom untuk satu variabel.",
                    "Gunakan format yang konsisten. Tanggal ditulis sebagai tanggal, bukan "
                    "teks; angka tanpa satuan di dalam sel; dan nama OPD atau kecamatan "
                    "dipilih dari daftar (validasi data) agar tidak ada variasi penulisan.",
                    "Simpan data mentah di satu lembar dan perhitungan di lembar lain. "
                    "Dengan begitu, data baru cukup ditambahkan di bawah tanpa merusak rumus.",
                ),
            ),
            DemoLesson(
                slug="membersihkan-data",
                title="Membersihkan Data",
                paragraphs=(
                    "Data dari berbagai unit sering berisi spasi berlebih, huruf besar-kecil "
                    "yang tidak seragam, dan baris ganda. Fungsi seperti TRIM, PROPER, dan "
                    "fitur hapus duplikat membantu merapikannya dalam hitungan menit.",
                    "Untuk data kependudukan atau kepegawaian, perlakukan NIK dan NIP sebagai "
                    "teks, bukan angka. Jika diformat sebagai angka, digit terakhir dapat "
                    "berubah menjadi nol atau ditampilkan dalam notasi ilmiah.",
                ),
                callout=(
                    "warning",
                    "Data pribadi",
                    "Jangan membagikan berkas berisi NIK, alamat, atau nomor telepon warga "
                    "melalui grup percakapan. Bagikan lewat penyimpanan resmi dengan hak "
                    "akses terbatas.",
                ),
            ),
            DemoLesson(
                slug="tabel-pivot-untuk-laporan",
                title="Tabel Pivot untuk Laporan",
                paragraphs=(
                    "Tabel pivot merangkum ribuan baris menjadi ringkasan per kategori tanpa "
                    "menulis rumus: misalnya jumlah layanan per kecamatan per bulan. Pilih "
                    "rentang data, sisipkan tabel pivot, lalu seret kolom ke bagian baris, "
                    "kolom, dan nilai.",
                    "Tambahkan filter atau slicer untuk memilih periode, dan perbarui "
                    "(refresh) tabel pivot setiap kali data mentah bertambah. Grafik yang "
                    "dibuat dari tabel pivot ikut diperbarui.",
                    "Sebelum laporan dikirim, cocokkan total di tabel pivot dengan jumlah "
                    "baris data mentah untuk memastikan tidak ada data yang terlewat.",
                ),
            ),
        ),
    ),
    DemoCourse(
        slug="pelayanan-publik-berbasis-aplikasi",
        title="Pelayanan Publik Berbasis Aplikasi",
        summary=(
            "Merancang dan menjalankan layanan publik daring yang mudah dipakai warga, "
            "dari alur layanan hingga pengelolaan pengaduan."
        ),
        jp=3,
        competency="e_government",
        provider="diskominfo",
        hours=2.5,
        lessons=(
            DemoLesson(
                slug="layanan-dari-sudut-pandang-warga",
                title="Layanan dari Sudut Pandang Warga",
                paragraphs=(
                    "Aplikasi layanan yang baik dimulai dari kebutuhan warga, bukan dari "
                    "struktur organisasi. Petakan perjalanan warga: dari mencari informasi, "
                    "mengajukan permohonan, menunggu proses, hingga menerima hasil.",
                    "Pada setiap langkah, tanyakan: dokumen apa yang benar-benar perlu, "
                    "apakah data itu sebenarnya sudah dimiliki instansi lain, dan bagaimana "
                    "warga tahu status permohonannya tanpa harus datang ke kantor.",
                    "Ingat bahwa banyak warga memakai ponsel dengan kuota terbatas. Formulir "
                    "yang pendek dan halaman yang ringan sama pentingnya dengan fitur baru.",
                ),
            ),
            DemoLesson(
                slug="mengelola-pengaduan-daring",
                title="Mengelola Pengaduan Daring",
                paragraphs=(
                    "Pengaduan adalah data berharga tentang kualitas layanan. Setiap aduan "
                    "perlu dicatat, diberi nomor, diteruskan ke unit yang berwenang, dan "
                    "dijawab dalam batas waktu yang diumumkan.",
                    "Jawaban yang baik menjelaskan apa yang sudah dilakukan dan apa langkah "
                    "berikutnya. Rekap aduan setiap bulan dapat menunjukkan masalah yang "
                    "berulang sehingga perbaikan dilakukan pada akar masalahnya.",
                ),
                callout=(
                    "info",
                    "SP4N-LAPOR!",
                    "Pengaduan lintas instansi dapat diteruskan melalui Sistem Pengelolaan "
                    "Pengaduan Pelayanan Publik Nasional (SP4N-LAPOR!).",
                ),
            ),
        ),
    ),
    DemoCourse(
        slug="smart-asn-dan-spbe",
        title="Smart ASN dan SPBE",
        summary=(
            "Mengenal Sistem Pemerintahan Berbasis Elektronik (SPBE), arsitektur dan "
            "aplikasi umumnya, serta peran setiap ASN dalam transformasi digital."
        ),
        jp=3,
        competency="e_government",
        provider="lan",
        hours=2,
        form="e_learning",
        prerequisites=("literasi-digital-sektor-pemerintahan",),
        lessons=(
            DemoLesson(
                slug="apa-itu-spbe",
                title="Apa Itu SPBE",
                paragraphs=(
                    "Sistem Pemerintahan Berbasis Elektronik (SPBE) adalah penyelenggaraan "
                    "pemerintahan yang memanfaatkan teknologi informasi dan komunikasi untuk "
                    "memberikan layanan kepada pengguna SPBE, yaitu instansi, pegawai, "
                    "pelaku usaha, dan masyarakat.",
                    "Tujuannya adalah tata kelola yang bersih, efektif, transparan, dan "
                    "akuntabel, serta layanan publik yang berkualitas. SPBE menekankan "
                    "keterpaduan: data dan aplikasi dipakai bersama, bukan dibangun ulang "
                    "oleh setiap instansi.",
                ),
                callout=(
                    "regulation",
                    "Perpres 95/2018",
                    "Peraturan Presiden Nomor 95 Tahun 2018 tentang Sistem Pemerintahan "
                    "Berbasis Elektronik menjadi dasar penerapan SPBE di instansi pusat dan "
                    "daerah.",
                ),
            ),
            DemoLesson(
                slug="peran-smart-asn",
                title="Peran Smart ASN",
                paragraphs=(
                    "Smart ASN adalah pegawai yang berintegritas, nasionalis, profesional, "
                    "berwawasan global, menguasai teknologi informasi dan bahasa asing, "
                    "berjiwa melayani, serta mampu berjejaring. Transformasi digital tidak "
                    "berjalan hanya karena aplikasi tersedia; ia berjalan karena pegawainya "
                    "mau mengubah cara kerja.",
                    "Mulailah dari pekerjaan sendiri: proses mana yang masih memakai kertas, "
                    "data mana yang diminta berulang kali, dan layanan mana yang bisa "
                    "disederhanakan. Usulan kecil yang konkret sering lebih cepat "
                    "diterapkan daripada rencana besar.",
                ),
            ),
        ),
    ),
    DemoCourse(
        slug="komunikasi-dan-kerja-sama-tim-lintas-sektor",
        title="Komunikasi dan Kerja Sama Tim Lintas Sektor",
        summary=(
            "Rapat daring yang efektif, menulis pesan kerja yang jelas, dan membangun "
            "kolaborasi antar-OPD dalam proyek layanan digital."
        ),
        jp=2,
        competency="soft_skills",
        provider="office",
        hours=1.5,
        form="workshop",
        lessons=(
            DemoLesson(
                slug="rapat-daring-yang-efektif",
                title="Rapat Daring yang Efektif",
                paragraphs=(
                    "Rapat daring mudah dijadwalkan, sehingga mudah pula terlalu banyak. "
                    "Sebelum mengundang, pastikan tujuan rapat jelas dan tidak bisa dicapai "
                    "lewat pesan tertulis. Kirim agenda dan bahan paling lambat sehari "
                    "sebelumnya.",
                    "Selama rapat, tunjuk satu orang memandu waktu dan satu orang mencatat "
                    "keputusan. Akhiri rapat dengan daftar tindak lanjut: apa, siapa, dan "
                    "kapan. Bagikan notulen di tempat yang dapat diakses semua peserta.",
                ),
            ),
            DemoLesson(
                slug="kolaborasi-antar-opd",
                title="Kolaborasi Antar-OPD",
                paragraphs=(
                    "Layanan digital jarang dimiliki satu OPD saja. Layanan perizinan, "
                    "misalnya, melibatkan dinas penanaman modal, dinas teknis, dukcapil, dan "
                    "diskominfo. Kolaborasi berjalan lebih lancar jika sejak awal disepakati "
                    "siapa pemilik layanan dan siapa pemilik data.",
                    "Buat ruang kerja bersama untuk dokumen proyek dan satu kanal komunikasi "
                    "resmi. Hargai waktu mitra dari OPD lain: sampaikan permintaan data "
                    "secara tertulis, dengan format dan tenggat yang jelas.",
                    "Rayakan keberhasilan bersama dan sebutkan kontribusi setiap OPD. "
                    "Pengakuan yang adil membuat kolaborasi berikutnya lebih mudah.",
                ),
            ),
        ),
    ),
)

# A city's own courses; a city is matched by a word in its slug or name.
CITY_COURSES: dict[str, tuple[DemoCourse, ...]] = {
    "jakarta": (
        DemoCourse(
            slug="melayani-warga-lewat-jaki",
            title="Melayani Warga Lewat JAKI",
            summary=(
                "Menindaklanjuti laporan warga yang masuk lewat aplikasi JAKI, dari "
                "verifikasi hingga penyelesaian, sesuai tenggat layanan."
            ),
            jp=2,
            competency="e_government",
            provider="diskominfo",
            hours=1.5,
            lessons=(
                DemoLesson(
                    slug="mengenal-jaki",
                    title="Mengenal JAKI",
                    paragraphs=(
                        "JAKI adalah aplikasi layanan warga Pemerintah Provinsi DKI Jakarta "
                        "yang menghimpun informasi dan layanan dalam satu aplikasi, termasuk "
                        "fitur pelaporan masalah kota oleh warga.",
                        "Bagi pegawai, laporan dari JAKI adalah tugas yang harus "
                        "ditindaklanjuti: memeriksa lokasi, memutuskan perangkat daerah yang "
                        "berwenang, dan memperbarui status agar warga dapat mengikuti "
                        "perkembangannya.",
                    ),
                ),
                DemoLesson(
                    slug="menindaklanjuti-laporan-warga",
                    title="Menindaklanjuti Laporan Warga",
                    paragraphs=(
                        "Baca laporan dengan teliti dan periksa foto serta titik lokasinya. "
                        "Jika laporan bukan kewenangan unit Anda, teruskan segera ke unit "
                        "yang tepat dengan catatan singkat, jangan dibiarkan menunggu.",
                        "Saat menyelesaikan laporan, unggah bukti penanganan, misalnya foto "
                        "sebelum dan sesudah, dan tulis penjelasan yang mudah dipahami "
                        "warga. Laporan yang ditutup tanpa penjelasan sering dibuka kembali.",
                    ),
                    callout=(
                        "tip",
                        "Bahasa yang ramah",
                        "Sapa pelapor, sebutkan tindakan yang diambil, dan ucapkan terima "
                        "kasih atas laporannya.",
                    ),
                ),
            ),
        ),
    ),
    "semarang": (
        DemoCourse(
            slug="layanan-adminduk-daring-si-dnok",
            title="Layanan Adminduk Daring dengan SI D'nOK",
            summary=(
                "Memproses permohonan dokumen kependudukan yang diajukan warga Kota "
                "Semarang secara daring melalui SI D'nOK."
            ),
            jp=2,
            competency="e_government",
            provider="diskominfo",
            hours=1.5,
            lessons=(
                DemoLesson(
                    slug="alur-permohonan-daring",
                    title="Alur Permohonan Daring",
                    paragraphs=(
                        "SI D'nOK memungkinkan warga Kota Semarang mengajukan permohonan "
                        "dokumen kependudukan tanpa harus antre di kantor. Permohonan masuk "
                        "dengan berkas pendukung yang diunggah warga.",
                        "Petugas memeriksa kelengkapan dan kesesuaian berkas, lalu "
                        "memproses atau mengembalikan permohonan dengan alasan yang jelas. "
                        "Kecepatan dan kejelasan alasan sangat menentukan kepuasan warga.",
                    ),
                ),
                DemoLesson(
                    slug="verifikasi-berkas-dan-data-pribadi",
                    title="Verifikasi Berkas dan Data Pribadi",
                    paragraphs=(
                        "Berkas kependudukan berisi data pribadi yang dilindungi undang-"
                        "undang. Buka berkas hanya di perangkat dinas, jangan mengunduhnya "
                        "ke ponsel pribadi, dan jangan meneruskannya lewat aplikasi pesan.",
                        "Jika berkas tidak terbaca atau tidak sesuai, kembalikan permohonan "
                        "dengan petunjuk spesifik, misalnya 'Foto KK terpotong di bagian "
                        "bawah', agar warga bisa memperbaikinya pada kesempatan pertama.",
                    ),
                ),
            ),
        ),
    ),
    "palu": (
        DemoCourse(
            slug="dukcapil-online-untuk-warga-palu",
            title="Dukcapil Online untuk Warga Palu",
            summary=(
                "Melayani pengurusan dokumen kependudukan secara daring bagi warga Kota "
                "Palu, termasuk penggantian dokumen yang hilang atau rusak."
            ),
            jp=2,
            competency="e_government",
            provider="diskominfo",
            hours=1.5,
            lessons=(
                DemoLesson(
                    slug="layanan-adminduk-tanpa-antre",
                    title="Layanan Adminduk Tanpa Antre",
                    paragraphs=(
                        "Layanan Dukcapil online memungkinkan warga mengajukan akta, KK, "
                        "dan dokumen lain dari rumah. Bagi warga yang tinggal jauh dari "
                        "kantor atau sedang bekerja, layanan ini menghemat waktu dan biaya.",
                        "Petugas perlu memastikan informasi persyaratan di kanal daring "
                        "selalu sama dengan yang berlaku di loket, agar warga tidak bolak-"
                        "balik karena informasi yang berbeda.",
                    ),
                ),
                DemoLesson(
                    slug="penggantian-dokumen-hilang-atau-rusak",
                    title="Penggantian Dokumen Hilang atau Rusak",
                    paragraphs=(
                        "Setelah bencana, banyak warga kehilangan dokumen kependudukan. "
                        "Karena datanya tersimpan dalam basis data kependudukan, dokumen "
                        "dapat diterbitkan ulang berdasarkan NIK tanpa warga harus membawa "
                        "dokumen lama.",
                        "Dengarkan warga dengan sabar dan bantu mereka menemukan data "
                        "diri di sistem. Layanan yang empatik membantu memulihkan "
                        "kepercayaan warga kepada pemerintah.",
                    ),
                ),
            ),
        ),
    ),
    "bukittinggi": (
        DemoCourse(
            slug="promosi-wisata-digital-bukittinggi",
            title="Promosi Wisata Digital Kota Bukittinggi",
            summary=(
                "Mengelola konten promosi wisata kota di media sosial dan kanal resmi, "
                "dari foto Jam Gadang hingga informasi acara budaya."
            ),
            jp=2,
            competency="digital_communication",
            provider="unand",
            hours=1.5,
            form="workshop",
            lessons=(
                DemoLesson(
                    slug="merencanakan-konten-wisata",
                    title="Merencanakan Konten Wisata",
                    paragraphs=(
                        "Konten wisata yang baik menjawab pertanyaan calon pengunjung: apa "
                        "yang bisa dilihat, kapan waktu terbaik berkunjung, dan bagaimana "
                        "menuju lokasinya. Susun kalender konten bulanan yang mengikuti "
                        "musim liburan dan agenda budaya kota.",
                        "Gunakan foto dan video milik sendiri atau yang izinnya jelas, dan "
                        "cantumkan nama fotografer. Sertakan informasi praktis seperti jam "
                        "buka dan tarif masuk yang selalu diperbarui.",
                    ),
                ),
                DemoLesson(
                    slug="mengukur-hasil-promosi",
                    title="Mengukur Hasil Promosi",
                    paragraphs=(
                        "Jumlah suka bukan satu-satunya ukuran. Perhatikan berapa orang "
                        "yang menyimpan atau membagikan unggahan, mengeklik tautan "
                        "informasi, dan bertanya tentang kunjungan.",
                        "Catat hasilnya setiap bulan di spreadsheet sederhana, lalu "
                        "bandingkan jenis konten yang paling berhasil untuk perencanaan "
                        "bulan berikutnya.",
                    ),
                ),
            ),
        ),
    ),
    "sorong": (
        DemoCourse(
            slug="layanan-digital-di-wilayah-koneksi-terbatas",
            title="Layanan Digital di Wilayah Berkoneksi Terbatas",
            summary=(
                "Menjalankan layanan publik digital ketika sinyal lemah: bekerja luring, "
                "sinkronisasi data, dan kanal alternatif bagi warga."
            ),
            jp=2,
            competency="e_government",
            provider="pnp",
            hours=1.5,
            lessons=(
                DemoLesson(
                    slug="bekerja-saat-sinyal-lemah",
                    title="Bekerja Saat Sinyal Lemah",
                    paragraphs=(
                        "Di banyak distrik dan kampung, koneksi internet tidak selalu "
                        "tersedia. Rencanakan pekerjaan agar formulir dapat diisi luring "
                        "dan dikirim ketika sinyal kembali, serta simpan salinan data di "
                        "perangkat dinas yang terenkripsi.",
                        "Unduh materi dan formulir yang dibutuhkan saat berada di kantor "
                        "dengan koneksi baik, dan biasakan memeriksa bahwa data sudah "
                        "tersinkron sebelum menghapusnya dari perangkat.",
                    ),
                ),
                DemoLesson(
                    slug="kanal-alternatif-untuk-warga",
                    title="Kanal Alternatif untuk Warga",
                    paragraphs=(
                        "Tidak semua warga memiliki ponsel pintar atau kuota. Sediakan "
                        "kanal alternatif seperti layanan jemput bola, pos layanan di "
                        "kantor distrik, atau pemberitahuan melalui SMS.",
                        "Pastikan informasi yang disampaikan lewat kanal mana pun sama, dan "
                        "catat permohonan yang diterima secara luring ke sistem agar tetap "
                        "terpantau.",
                    ),
                ),
            ),
        ),
    ),
}

# What a city adopts from the catalogue: (slug, mandatory, due date). Cities differ a
# little, as real curricula do.
_MANDATORY_DUE = datetime.date(2027, 3, 31)
_SECOND_DUE = datetime.date(2027, 6, 30)
DEFAULT_ADOPTION = (
    ("literasi-digital-sektor-pemerintahan", True, _MANDATORY_DUE),
    ("keamanan-digital-perangkat-dan-akun-dinas", True, _MANDATORY_DUE),
    ("etika-digital-netralitas-asn-media-sosial", True, _SECOND_DUE),
    ("tata-naskah-dinas-elektronik-srikandi", False, None),
    ("pengelolaan-data-dengan-spreadsheet", False, None),
    ("pelayanan-publik-berbasis-aplikasi", False, None),
    ("smart-asn-dan-spbe", False, None),
    ("komunikasi-dan-kerja-sama-tim-lintas-sektor", False, None),
)
CITY_SKIPS = {
    # Sorong starts with the essentials; Bukittinggi leaves out SPBE for now.
    "sorong": {"smart-asn-dan-spbe", "pengelolaan-data-dengan-spreadsheet"},
    "bukittinggi": {"smart-asn-dan-spbe"},
}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _city_key(page: CityCurriculumPage) -> str | None:
    text = f"{page.city.slug} {page.city.name}".lower()
    return next((key for key in CITY_COURSES if key in text), None)


def _providers() -> dict[str, Provider]:
    providers = {}
    for key, (name, kind, website) in PROVIDERS.items():
        providers[key], _created = Provider.objects.get_or_create(
            name=name, defaults={"kind": kind, "website": website}
        )
    return providers


def _lesson_body(lesson: DemoLesson) -> list[dict]:
    body = [{"type": "paragraph", "value": f"<p>{text}</p>"} for text in lesson.paragraphs]
    if lesson.callout:
        kind, title, text = lesson.callout
        # After the first paragraph: the note belongs to what was just introduced.
        body.insert(
            1,
            {"type": "callout", "value": {"kind": kind, "title": title, "body": f"<p>{text}</p>"}},
        )
    return body


def _build_course(parent, spec: DemoCourse, providers, stdout) -> CoursePage:
    course = CoursePage.objects.child_of(parent).filter(slug=spec.slug).first()
    if course is None:
        prerequisites = list(CoursePage.objects.filter(slug__in=spec.prerequisites))
        course = services.course_create(
            parent=parent,
            title=spec.title,
            slug=spec.slug,
            summary=spec.summary,
            jp_value=spec.jp,
            competency_area=spec.competency,
            estimated_duration=int(spec.hours * 3600),
            learning_form=spec.form,
            level=spec.level,
            provider=providers[spec.provider],
            prerequisites=prerequisites,
        )
        _say(stdout, f"  + {course.title}")
    existing = set(LessonPage.objects.child_of(course).values_list("slug", flat=True))
    for lesson in spec.lessons:
        if lesson.slug not in existing:
            services.lesson_create(
                course=course,
                title=lesson.title,
                slug=lesson.slug,
                body=_lesson_body(lesson),
                is_required=lesson.is_required,
            )
    return course


@transaction.atomic
def load_demo_courses(
    *,
    index: CurriculumIndexPage,
    city_pages: dict[str, CityCurriculumPage],
    stdout=None,
) -> None:
    """Build the national catalogue, each city's own courses and each city's curriculum.

    ``city_pages`` maps any key (the city slug, say) to the city's curriculum page. Pages
    that already exist (by slug) are kept as they are, so running it twice changes nothing.
    """
    providers = _providers()
    catalogue = services.national_catalogue_install(
        index=index, title=CATALOGUE_TITLE, intro=CATALOGUE_INTRO
    )
    _say(stdout, f"{catalogue.title}:")
    national = {
        spec.slug: _build_course(catalogue, spec, providers, stdout) for spec in NATIONAL_COURSES
    }
    for page in city_pages.values():
        key = _city_key(page)
        _say(stdout, f"{page.title}:")
        own = [_build_course(page, spec, providers, stdout) for spec in CITY_COURSES.get(key, ())]
        skips = CITY_SKIPS.get(key, set())
        wanted = [
            (national[slug], mandatory, due)
            for slug, mandatory, due in DEFAULT_ADOPTION
            if slug not in skips
        ]
        # A city's own course is mandatory for its staff, due mid-year.
        wanted += [(course, True, _SECOND_DUE) for course in own]
        # Entries already there are left alone: a city admin may have changed them.
        listed = set(CurriculumEntry.objects.filter(page=page).values_list("course_id", flat=True))
        missing = [
            services.EntrySpec(course=course, is_mandatory=mandatory, due_date=due)
            for course, mandatory, due in wanted
            if course.pk not in listed
        ]
        if missing:
            services.curriculum_entries_set(curriculum=page, entries=missing)
