"""Reading multipart uploads and turning bytes into stored files (shared by upload and ZIP expand)."""

from __future__ import annotations

import hashlib
import io
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..bounds import MAX_FILENAME_CHARS, has_control_chars
from ..context import RequestContext
from ..domain import files as files_domain
from ..domain.file_formats import MB, Format, find_format, is_zip, processing_error
from ..errors import BadRequest, UnsupportedMediaType, invalid
from ..store import Record
from .common import now_iso

#: ``FileOut.status`` values the official client knows (the filter accepts every one of them).
FILE_STATUSES = ("uploading", "uploaded", "processing", "ready", "error", "failed")
UPLOAD_RESOURCE_TYPES = ("chat", "dataset")
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}


@dataclass(frozen=True)
class Upload:
    """The ``file`` part and the form fields of one multipart request."""

    filename: str
    content_type: str
    content: bytes
    resource_type: str | None
    resource_id: str | None


async def read_upload(ctx: RequestContext) -> Upload:
    """Parse the ``multipart/form-data`` body: 415 for another type, 400 malformed, 422 without ``file``."""
    assert ctx.route is not None
    media = ctx.headers.get("content-type", "")
    if media.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType(f"Content-Type must be multipart/form-data (got {media or 'none'}).")
    raw = await ctx.body(ctx.route.max_body)
    boundary = _boundary(media)
    if boundary and not raw.rstrip().endswith(b"--" + boundary + b"--"):
        raise BadRequest("Malformed multipart body: the closing boundary is missing (truncated upload?).")

    async def once() -> Any:
        yield raw

    parser = MultiPartParser(ctx.headers, once(), max_files=1, max_fields=20, max_part_size=64 * 1024)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(f"Malformed multipart body: {exc.message}") from None
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise invalid("/file", "field required (a file part named 'file')")
        if not part.filename:
            raise invalid("/file", "the file part needs a filename")
        _check_part(part.filename, part.content_type or "")
        content = await part.read()
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    finally:
        await form.close()
    declared = (part.content_type or "").strip()
    return Upload(
        filename=posixpath.basename(part.filename.replace("\\", "/")) or part.filename,
        content_type=declared,
        content=content,
        resource_type=fields.get("resource_type") or fields.get("resourceType") or None,
        resource_id=fields.get("resource_id") or fields.get("resourceId") or None,
    )


def _check_part(filename: str, content_type: str) -> None:
    """422 for a file name or part type that could never be sent back in a response header."""
    if has_control_chars(filename):
        raise invalid("/file", "the filename must not contain control characters")
    if len(filename) > MAX_FILENAME_CHARS:
        raise invalid("/file", f"the filename is longer than {MAX_FILENAME_CHARS} characters")
    if not content_type.isascii() or has_control_chars(content_type):
        raise invalid("/file", "the part's Content-Type must be printable ASCII")


def resource_ref(
    ctx: RequestContext, resource_type: str | None, resource_id: str | None, *, upload: bool
) -> tuple[str, str] | None:
    """Check a ``resource_type``/``resource_id`` pair (both or, on upload, neither).

    Raises 422 when one is missing or malformed and 404 for an unknown chat or dataset.
    """
    if resource_type is None and resource_id is None and upload:
        return None
    if resource_type is None:
        raise invalid("/resource_type", "field required")
    if resource_id is None:
        raise invalid("/resource_id", "field required")
    if upload and resource_type not in UPLOAD_RESOURCE_TYPES:
        raise invalid("/resource_type", f"must be one of {', '.join(UPLOAD_RESOURCE_TYPES)}")
    if len(resource_type) > 64 or not resource_type.replace("_", "").isalnum():
        raise invalid("/resource_type", "must be a resource type such as chat or dataset")
    files_domain.require_resource(ctx.state.store, ctx.org_id, resource_type, resource_id)
    return resource_type, resource_id


def store_file(
    ctx: RequestContext,
    filename: str,
    declared_type: str,
    content: bytes,
    fmt: Format,
    ref: tuple[str, str] | None,
) -> Record:
    """Insert a new file record (deduplicated by sha256 within the organisation) and return it."""
    store, org_id, now = ctx.state.store, ctx.org_id, ctx.clock.now()
    media = declared_type.split(";", 1)[0].strip().lower()
    content_type = fmt.content_type if media in _GENERIC or find_format("", media) != fmt else declared_type
    duplicate = bool(content) and files_domain.is_duplicate(store, org_id, hashlib.sha256(content).hexdigest())
    associations = [files_domain.association(ref[0], ref[1], now_iso(ctx))] if ref else []
    file_id = ctx.ids.prefixed("file")
    record = files_domain.file_record(
        file_id,
        filename,
        content_type,
        content,
        now=now,
        duplicate=duplicate,
        error=processing_error(fmt, content),
        associations=associations,
        lifecycle=ctx.state.file_lifecycle(ctx.org_id),
    )
    store.insert(org_id, files_domain.KIND, file_id, record)
    return record


def _skip_reason(info: zipfile.ZipInfo, name: str) -> tuple[str | None, Format | None]:
    if name.startswith(".") or info.filename.startswith("__MACOSX/"):
        return "Hidden or system file", None
    if is_zip(name, None):
        return "Nested ZIP archives are not supported", None
    if has_control_chars(info.filename) or len(name) > MAX_FILENAME_CHARS:
        return "Invalid file name", None
    fmt = find_format(name, None)
    if fmt is None:
        return "Unsupported file type", None
    if info.file_size > fmt.limit:
        return f"File exceeds the {fmt.limit // MB} MB limit for .{fmt.extension} files", None
    if info.flag_bits & 0x1:
        return "Encrypted entries are not supported", None
    return None, fmt


def expand_archive(ctx: RequestContext, upload: Upload, ref: tuple[str, str] | None) -> tuple[list[Record], list[dict[str, str]]]:
    """One stored file per supported ZIP entry, and ``{filename, reason}`` for each skipped entry.

    Raises 415 when the upload is not a ZIP by name or type, 422 when its bytes are not a readable archive.
    """
    if not is_zip(upload.filename, upload.content_type):
        raise UnsupportedMediaType(f"{upload.filename!r} is not a ZIP archive (.zip, application/zip).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, NotImplementedError) as exc:
        raise invalid("/file", f"not a readable ZIP archive ({exc})") from None
    created: list[Record] = []
    skipped: list[dict[str, str]] = []
    for info in entries:
        if info.is_dir():
            continue
        name = posixpath.basename(info.filename)
        reason, fmt = _skip_reason(info, name)
        if fmt is not None:
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, RuntimeError, ValueError, EOFError, NotImplementedError):
                reason = "Corrupt archive entry"
            else:
                created.append(store_file(ctx, name, "", content, fmt, ref))
                continue
        skipped.append({"filename": info.filename, "reason": reason or "Unsupported file type"})
    return created, skipped


def _boundary(content_type: str) -> bytes | None:
    """The ``boundary`` parameter of a multipart Content-Type (quotes removed), if any."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value:
            return value.strip().strip('"').encode("latin-1", "replace")
    return None
