"""H5P files in Django STORAGES (``default``): the local filesystem or S3 (django-storages).

Only the storage API is used, so both backends behave the same; where the generic API
would cost one HTTP round trip per file on S3 (``exists()`` before every save), the
backend-specific shortcut is taken and says why.
"""

import logging
import posixpath
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.core.files.utils import validate_file_name

logger = logging.getLogger(__name__)

ROOT = "h5p"
# Parallel uploads hide S3's per-request latency; each upload holds at most one part.
REMOTE_WORKERS = 8


def h5p_storage() -> Storage:
    return default_storage


def is_local(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def library_folder(folder_name: str, token: str) -> str:
    return f"{ROOT}/libraries/{folder_name}/{token}"


def package_folder(content_id: str, token: str) -> str:
    return f"{ROOT}/content/{content_id}/{token}"


def join(folder: str, inner: str) -> str:
    """A name inside a folder; refuses anything that would leave it."""
    name = posixpath.normpath(f"{folder}/{inner}")
    if not name.startswith(folder + "/"):
        raise SuspiciousFileOperation(f"{inner!r} leaves {folder!r}")
    return name


class _BoundedStream:
    """A zip member as a plain read-only stream, refusing to grow past ``max_bytes``.

    Not seekable on purpose: storages then read it front to back in chunks (boto3 never
    seeks back into a compressed member, which would inflate it again from the start).
    """

    def __init__(self, stream, max_bytes: int):
        self.stream = stream
        self.remaining = max_bytes

    def read(self, size=-1):
        data = self.stream.read(size if size and size > 0 else 64 * 1024)
        self.remaining -= len(data)
        if self.remaining < 0:
            raise OSError("zip member grew past the validated limit")
        return data

    def seekable(self):
        return False

    @property
    def closed(self):
        return self.stream.closed

    def close(self):
        self.stream.close()


def _write_one(storage: Storage, archive: zipfile.ZipFile, member: str, name: str, limit: int):
    validate_file_name(name, allow_relative_path=True)
    with archive.open(member) as stream:
        content = File(_BoundedStream(stream, limit), name=posixpath.basename(name))
        # Remote: the folder is new and uniquely named, so Storage.save()'s exists() check
        # (one HEAD request per file on S3) can only ever answer "no": skip it.
        saved = storage.save(name, content) if is_local(storage) else storage._save(name, content)
    if saved != name:
        raise SuspiciousFileOperation(f"storage renamed {name!r} to {saved!r}")


def write_members(
    storage: Storage,
    archive: zipfile.ZipFile,
    files: Iterable[tuple[str, str]],
    *,
    max_file_bytes: int,
) -> int:
    """Copy zip members to storage names, streaming; ``files`` holds (member, name) pairs."""
    files = list(files)
    if is_local(storage):
        for member, name in files:
            _write_one(storage, archive, member, name, max_file_bytes)
        return len(files)
    with ThreadPoolExecutor(max_workers=REMOTE_WORKERS) as pool:
        futures = [
            pool.submit(_write_one, storage, archive, member, name, max_file_bytes)
            for member, name in files
        ]
        for future in futures:
            future.result()
    return len(files)


def delete_folder(storage: Storage, folder: str) -> None:
    """Remove a folder and everything in it; a missing folder is not an error."""
    if not folder or not folder.startswith(ROOT + "/"):
        raise SuspiciousFileOperation(f"refusing to delete {folder!r}")
    bucket = getattr(storage, "bucket", None)
    if bucket is not None and hasattr(storage, "_normalize_name"):
        # One request per 1,000 keys instead of one per file.
        prefix = storage._normalize_name(folder.rstrip("/") + "/")
        bucket.objects.filter(Prefix=prefix).delete()
        return
    if is_local(storage):
        import shutil

        shutil.rmtree(storage.path(folder), ignore_errors=True)
        return
    directories, files = storage.listdir(folder)
    for name in files:
        storage.delete(f"{folder}/{name}")
    for directory in directories:
        delete_folder(storage, f"{folder}/{directory}")


def delete_folders_quietly(storage: Storage, folders: Iterable[str]) -> None:
    """Clean-up after commit or after a failed import: log failures, never raise them."""
    for folder in folders:
        try:
            delete_folder(storage, folder)
        except Exception:
            logger.exception("Could not delete H5P storage folder %s", folder)
