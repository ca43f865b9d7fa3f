"""Files: multipart upload, list, get (the status poll), content, delete, associations, ZIP expand."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.responses import Response

from ..context import RequestContext
from ..domain import files as files_domain
from ..domain.file_formats import MAX_UPLOAD_BODY, require_format
from ..errors import BadRequest, NotFound, UnsupportedMediaType, invalid
from ..pagination import paginate
from ..params import PAGE, Param, expansions
from ..pipeline.body import parse_json
from ..responses import json_response, no_content
from ..routing import route
from .common import now_iso
from .file_upload import FILE_STATUSES, expand_archive, read_upload, resource_ref, store_file


def _require(ctx: RequestContext) -> dict[str, Any]:
    record = ctx.state.store.get(ctx.org_id, files_domain.KIND, ctx.path_params["file_id"])
    if record is None:
        raise NotFound(f"File not found: {ctx.path_params['file_id']}")
    return record


async def upload_file(ctx: RequestContext) -> Response:
    upload = await read_upload(ctx)
    ref = resource_ref(ctx, upload.resource_type, upload.resource_id, upload=True)
    fmt = require_format(upload.filename, upload.content_type, len(upload.content))
    record = store_file(ctx, upload.filename, upload.content_type, upload.content, fmt, ref)
    return json_response(files_domain.render(record), status=201)


async def expand_zip(ctx: RequestContext) -> Response:
    upload = await read_upload(ctx)
    ref = resource_ref(ctx, upload.resource_type, upload.resource_id, upload=True)
    created, skipped = expand_archive(ctx, upload, ref)
    return json_response({"files": [files_domain.render(r) for r in created], "skipped": skipped})


async def list_files(ctx: RequestContext) -> Response:
    params = ctx.params
    status = params.text("statusFilter")
    resource_type = params.text("resourceType")
    resource_id = params.text("resourceId")
    lifecycle = ctx.state.file_lifecycle(ctx.org_id)
    now = ctx.clock.now()

    def current(record: dict[str, Any]) -> dict[str, Any]:
        return files_domain.observe(record, lifecycle, now, count_poll=False)

    def keep(record: dict[str, Any]) -> bool:
        for association in record.get("associations") or ():
            if (resource_type is None or association["resourceType"] == resource_type) and (
                resource_id is None or association["resourceId"] == resource_id
            ):
                break
        else:
            if resource_type is not None or resource_id is not None:
                return False
        return status is None or current(record)["status"] == status

    page = paginate(
        ctx.state.store.collection(ctx.org_id, files_domain.KIND),
        params,
        ctx.state.secret,
        identity=(ctx.org_id, "files", status, resource_type, resource_id),
        render=lambda r: files_domain.render(current(r)),
        predicate=keep,
    )
    return json_response(page)


async def get_file(ctx: RequestContext) -> Response:
    record = _require(ctx)
    polled = files_domain.observe(record, ctx.state.file_lifecycle(ctx.org_id), ctx.clock.now(), count_poll=True)
    ctx.state.store.replace(ctx.org_id, files_domain.KIND, record["id"], polled)
    return json_response(files_domain.render(polled))


async def file_content(ctx: RequestContext) -> Response:
    record = _require(ctx)
    filename = record["filename"]
    # Printable ASCII only: a control character would make the header unsendable (uploads refuse them).
    ascii_name = "".join(c if " " <= c <= "~" and c not in '"\\?' else "'" if c == '"' else "_" for c in filename)
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    # Content-Type set as a header, not media_type: Starlette would append a charset to text/* types.
    return Response(
        files_domain.content_of(record),
        headers={"Content-Type": record["contentType"], "Content-Disposition": disposition},
    )


async def delete_file(ctx: RequestContext) -> Response:
    record = _require(ctx)
    ctx.state.store.remove(ctx.org_id, files_domain.KIND, record["id"])
    return no_content()


async def _association_fields(ctx: RequestContext) -> tuple[str | None, str | None]:
    raw = await ctx.body()
    media = ctx.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    fields: dict[str, Any]
    if not raw.strip():
        fields = {}
    elif media == "application/x-www-form-urlencoded":
        try:
            fields = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise BadRequest("Malformed form body: not valid UTF-8.") from None
    elif media == "application/json" or media.endswith("+json"):
        fields = parse_json(raw)
        if not isinstance(fields, dict):
            raise invalid("/", "must be an object")
    else:
        raise UnsupportedMediaType(
            f"Content-Type must be application/x-www-form-urlencoded or application/json (got {media or 'none'})."
        )
    if fields.get("datasetId") is not None:  # the Knowledge Bases guide's JSON shape
        return "dataset", _text(fields["datasetId"], "datasetId")
    resource_type = fields.get("resource_type", fields.get("resourceType"))
    resource_id = fields.get("resource_id", fields.get("resourceId"))
    return _text(resource_type, "resource_type"), _text(resource_id, "resource_id")


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise invalid(f"/{name}", "must be a string")


async def associate_file(ctx: RequestContext) -> Response:
    record = _require(ctx)
    resource_type, resource_id = await _association_fields(ctx)
    ref = resource_ref(ctx, resource_type, resource_id, upload=False)
    assert ref is not None
    updated = files_domain.with_association(record, ref[0], ref[1], now_iso(ctx))
    if updated is not record:
        ctx.state.store.replace(ctx.org_id, files_domain.KIND, record["id"], updated)
    return json_response(files_domain.render(updated))


async def disassociate_file(ctx: RequestContext) -> Response:
    record = _require(ctx)
    resource_type = ctx.params.text("resource_type")
    resource_id = ctx.params.text("resource_id")
    assert resource_type is not None and resource_id is not None  # required
    if not files_domain.is_associated(record, resource_type, resource_id):
        raise NotFound(f"File {record['id']} is not associated with {resource_type} {resource_id}.")
    updated = files_domain.without_association(record, resource_type, resource_id)
    ctx.state.store.replace(ctx.org_id, files_domain.KIND, record["id"], updated)
    return no_content()


ROUTES = [
    route(
        "POST",
        "/v1/files",
        upload_file,
        scope="files:write",
        idempotent=True,
        max_body=MAX_UPLOAD_BODY,
        status=201,
        response="file",
        summary="Upload File",
    ),
    route(
        "GET",
        "/v1/files",
        list_files,
        scope="files:read",
        response="file_list",
        summary="List Files",
        query=(
            *PAGE,
            Param("statusFilter", enum=FILE_STATUSES, aliases=("status",), description="Only files in this status"),
            Param("resourceType", description="Only files associated with this kind of resource (chat or dataset)"),
            Param("resourceId", description="Only files associated with this resource"),
        ),
    ),
    route(
        "POST",
        "/v1/files/expand",
        expand_zip,
        scope="files:write",
        max_body=MAX_UPLOAD_BODY,
        documented=False,
        response="file_expand",
        summary="Expand a ZIP archive into files",
    ),
    route(
        "GET",
        "/v1/files/{file_id}",
        get_file,
        scope="files:read",
        response="file",
        summary="Get File",
        query=(expansions(),),
    ),
    route(
        "DELETE",
        "/v1/files/{file_id}",
        delete_file,
        scope="files:write",
        status=204,
        documented=False,
        summary="Delete File",
    ),
    route(
        "GET",
        "/v1/files/{file_id}/content",
        file_content,
        scope="files:read",
        documented=False,
        summary="Download File Content",
    ),
    route(
        "POST",
        "/v1/files/{file_id}/associations",
        associate_file,
        scope="files:write",
        idempotent=True,
        response="file",
        summary="Associate File with Resource",
    ),
    route(
        "DELETE",
        "/v1/files/{file_id}/associations",
        disassociate_file,
        scope="files:write",
        status=204,
        documented=False,
        summary="Remove File Association",
        query=(
            Param("resource_type", required=True, aliases=("resourceType",), description="chat or dataset"),
            Param("resource_id", required=True, aliases=("resourceId",)),
        ),
    ),
]
