"""Statements with attachments (multipart/mixed), stored through Django's storage."""

import hashlib
import json

from lms.lrs.models import Attachment
from lms.records.models import Statement
from tests.lms.lrs.conftest import statement

PDF = b"%PDF-1.4 sertifikat"


def declared(data: bytes, **extra) -> dict:
    return {
        "usageType": "http://adlnet.gov/expapi/attachments/certificate",
        "display": {"id-ID": "Sertifikat"},
        "contentType": "application/pdf",
        "length": len(data),
        "sha2": hashlib.sha256(data).hexdigest(),
        **extra,
    }


def multipart(statements, parts) -> tuple[bytes, str]:
    boundary = "batasxapi"
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(statements).encode(),
        b"\r\n",
    ]
    for data, sha2 in parts:
        chunks += [
            (
                f"--{boundary}\r\nContent-Type: application/pdf\r\n"
                f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n"
            ).encode(),
            data,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'


class AttachmentTests:
    def test_an_attachment_is_stored_and_served_back(self, lrs, tmp_path, settings):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path)},
            },
        }
        data = statement(attachments=[declared(PDF)])
        sha2 = hashlib.sha256(PDF).hexdigest()
        body, content_type = multipart(data, [(PDF, sha2)])
        response = lrs.post(body, content_type=content_type)
        assert response.status_code == 200, response.content
        attachment = Attachment.objects.get(sha2=sha2)
        assert attachment.file.read() == PDF
        got = lrs.get({"statementId": data["id"], "attachments": "true"})
        assert got["Content-Type"].startswith("multipart/mixed")
        assert PDF in got.content
        assert sha2.encode() in got.content
        plain = lrs.get({"statementId": data["id"]})
        assert plain["Content-Type"] == "application/json"

    def test_a_hash_that_does_not_match_is_400(self, lrs):
        data = statement(attachments=[declared(PDF)])
        body, content_type = multipart(data, [(b"other bytes", hashlib.sha256(PDF).hexdigest())])
        assert lrs.post(body, content_type=content_type).status_code == 400
        assert not Statement.objects.exists()
        assert not Attachment.objects.exists()

    def test_a_declared_attachment_that_was_not_sent_is_400(self, lrs):
        body, content_type = multipart(statement(attachments=[declared(PDF)]), [])
        response = lrs.post(body, content_type=content_type)
        assert response.status_code == 400
        assert not Statement.objects.exists()

    def test_a_json_statement_with_a_file_url_needs_no_part(self, lrs):
        data = statement(attachments=[declared(PDF, fileUrl="https://tool.example/s.pdf")])
        assert lrs.post(data).status_code == 200

    def test_a_json_statement_declaring_an_inline_attachment_is_400(self, lrs):
        assert lrs.post(statement(attachments=[declared(PDF)])).status_code == 400
