"""Which files the Files API accepts, their size limits, and whether their bytes are readable.

Limits follow the Files API guide (guides.md §9.4): documents up to 50 MB, images up to 20 MB; the
upload reference page adds XLSX. Pure functions: no store, no HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import PayloadTooLarge, UnsupportedMediaType

MB = 1024 * 1024
DOCUMENT_LIMIT = 50 * MB
IMAGE_LIMIT = 20 * MB
#: Multipart framing and the small form fields on top of the largest file part.
MULTIPART_OVERHEAD = 64 * 1024
MAX_UPLOAD_BODY = DOCUMENT_LIMIT + MULTIPART_OVERHEAD


@dataclass(frozen=True)
class Format:
    """One accepted file type."""

    extension: str
    content_type: str
    limit: int
    family: str  # "pdf", "office", "text", "json", "image"


_FORMATS = {
    fmt.extension: fmt
    for fmt in (
        Format("pdf", "application/pdf", DOCUMENT_LIMIT, "pdf"),
        Format(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            DOCUMENT_LIMIT,
            "office",
        ),
        Format(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            DOCUMENT_LIMIT,
            "office",
        ),
        Format("txt", "text/plain", DOCUMENT_LIMIT, "text"),
        Format("md", "text/markdown", DOCUMENT_LIMIT, "text"),
        Format("csv", "text/csv", DOCUMENT_LIMIT, "text"),
        Format("json", "application/json", DOCUMENT_LIMIT, "json"),
        Format("png", "image/png", IMAGE_LIMIT, "image"),
        Format("jpg", "image/jpeg", IMAGE_LIMIT, "image"),
        Format("jpeg", "image/jpeg", IMAGE_LIMIT, "image"),
        Format("gif", "image/gif", IMAGE_LIMIT, "image"),
        Format("webp", "image/webp", IMAGE_LIMIT, "image"),
    )
}
_BY_TYPE = {fmt.content_type: fmt for fmt in reversed(list(_FORMATS.values()))}
_GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/x-www-form-urlencoded"}
ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
SUPPORTED = ", ".join(sorted(_FORMATS))


def extension_of(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def find_format(filename: str, content_type: str | None) -> Format | None:
    """The accepted format of a file, by extension first, then by a specific declared type."""
    fmt = _FORMATS.get(extension_of(filename))
    if fmt is not None:
        return fmt
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return None if media in _GENERIC_TYPES else _BY_TYPE.get(media)


def require_format(filename: str, content_type: str | None, size: int) -> Format:
    """The format of an upload; raises 415 for an unsupported type and 413 over its size limit."""
    fmt = find_format(filename, content_type)
    if fmt is None:
        raise UnsupportedMediaType(
            f"Unsupported file type for {filename!r} ({content_type or 'no content type'}). Supported: {SUPPORTED}.",
            extensions={"supportedExtensions": sorted(_FORMATS)},
        )
    if size > fmt.limit:
        raise PayloadTooLarge(
            f"File {filename!r} is {size} bytes; the limit for .{fmt.extension} files is {fmt.limit // MB} MB.",
            extensions={"limitBytes": fmt.limit},
        )
    return fmt


def is_zip(filename: str, content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ZIP_TYPES or extension_of(filename) == "zip"


_IMAGE_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}


def processing_error(fmt: Format, content: bytes) -> str | None:
    """Why processing this content fails (empty or unreadable for its type), or None when it succeeds."""
    if not content:
        return "File is empty"
    if fmt.family == "pdf" and not content.startswith(b"%PDF-"):
        return "Failed to extract text from PDF"
    if fmt.family == "office" and not content.startswith(b"PK\x03\x04"):
        return f"Failed to read .{fmt.extension} file: not an Office Open XML document"
    if fmt.family in ("text", "json"):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return "Failed to decode text: the file is not valid UTF-8"
        if fmt.family == "json":
            try:
                json.loads(text)
            except (ValueError, RecursionError):
                return "Failed to parse JSON"
        return None
    if fmt.family == "image":
        if fmt.extension == "webp":
            ok = content[:4] == b"RIFF" and content[8:12] == b"WEBP"
        else:
            ok = content.startswith(_IMAGE_MAGIC[fmt.extension])
        if not ok:
            return f"Failed to decode image: not a valid .{fmt.extension} file"
    return None
