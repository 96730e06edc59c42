"""Job kinds for the data pipelines that outgrow a request: media processing, the
near-duplicate report (and keeping one item per cluster), PII screening and sampling.

Parameters are checked here (the job is refused before it is queued) and again by the
services when the job runs, with the starter's rights at that moment.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from labelworks.domain.access import Action
from labelworks.domain.errors import InvalidInput
from labelworks.jobs.kinds import JobContext, JobKind, listed, register, text_param
from labelworks.services import duplicates, sampling, sources
from labelworks.services.media_processing import MAX_WORKERS, process_media
from labelworks.services.object_store import s3_options
from labelworks.services.pii_report import screen_project


def _check_media(params: dict[str, Any]) -> dict[str, Any]:
    workers = params.get("workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(
            f"job parameter 'workers' must be a whole number from 1 to {MAX_WORKERS}"
        )
    return {"force": _flag(params, "force"), "workers": workers}


def _run_media(ctx: JobContext) -> dict[str, Any]:
    settings = ctx.settings
    data_dir = settings.data_dir
    run = process_media(
        ctx.db,
        ctx.project,
        media_dir=data_dir / "media",
        thumbnails_dir=data_dir / "thumbnails",
        only_missing=not ctx.params["force"],
        progress=ctx.progress,
        workers=ctx.params["workers"],
        actor=ctx.actor,
        # s3:// values are read with the server's endpoint and credentials, as it serves them.
        s3=s3_options(settings),
    )
    return {
        "probed": run.processed,
        "failed": run.failed,
        "already_done": run.skipped,
        "remote": run.remote,
    }


def _media_what(params: dict[str, Any]) -> str:
    return "every file again" if params.get("force") else "files not probed yet"


def _media_outcome(r: dict[str, Any]) -> str:
    if "probed" not in r:
        return listed(r)
    read = r["probed"] - r.get("failed", 0)
    return (
        f"probed {r['probed']:,} files: {read:,} read, {r.get('failed', 0):,} failed; "
        f"{r.get('already_done', 0):,} done before"
    )


MEDIA = register(
    JobKind(
        name="media",
        title="Process media",
        action=Action.MANAGE,
        # Each batch is committed as it is probed; a run again probes only what is missing
        # (with force, again from the start), so a retry finishes the work and harms nothing.
        max_attempts=2,
        check=_check_media,
        run=_run_media,
        unit="files",
        what=_media_what,
        outcome=_media_outcome,
    )
)


def _flag(params: dict[str, Any], key: str) -> bool:
    value = params.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"job parameter '{key}' must be true or false")
    return value


def _key(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else duplicates.check_key(value, key)


def _number(params: dict[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"job parameter '{key}' must be a number")
    return float(value)


def _check_duplicates(params: dict[str, Any]) -> dict[str, Any]:
    text_key, image_key = _key(params, "text_key"), _key(params, "image_key")
    if (text_key is None) == (image_key is None):
        raise InvalidInput("give one of the job parameters 'text_key' and 'image_key'")
    threshold = _number(params, "threshold", duplicates.DEFAULT_THRESHOLD)
    return {
        "text_key": text_key,
        "image_key": image_key,
        "threshold": duplicates.check_threshold(threshold),
        "keep_one": _flag(params, "keep_one"),
    }


def _run_duplicates(ctx: JobContext) -> dict[str, Any]:
    p = ctx.params
    options: dict[str, Any] = {
        "text_key": p["text_key"],
        "image_key": p["image_key"],
        "threshold": p["threshold"],
        "media_root": ctx.settings.data_dir / "media",
        "actor": ctx.actor,
        "progress": ctx.progress,
    }
    if not p["keep_one"]:
        return duplicates.report_dict(duplicates.find_duplicates(ctx.db, ctx.project, **options))
    kept = duplicates.keep_one(ctx.db, ctx.project, **options)
    return {**duplicates.report_dict(kept.report), "removed": kept.removed}


def _check_pii(params: dict[str, Any]) -> dict[str, Any]:
    if params:
        raise InvalidInput(f"a pii job takes no parameters, not {', '.join(sorted(params))}")
    return {}


def _run_pii(ctx: JobContext) -> dict[str, Any]:
    # The analyser its settings name was installed when the process started (the server's
    # app, labelworks worker).
    return asdict(screen_project(ctx.db, ctx.project, actor=ctx.actor, progress=ctx.progress))


SAMPLE_KEYS = ("strategy", "n", "into", "by", "vectors", "measure", "equal", "seed")


def _check_sample(params: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(SAMPLE_KEYS))
    if unknown:
        raise InvalidInput(f"unknown sample job parameter '{unknown[0]}'")
    n, seed = params.get("n"), params.get("seed")
    if isinstance(n, bool) or not isinstance(n, int):
        raise InvalidInput("job parameter 'n' must be a whole number")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidInput("job parameter 'seed' must be a whole number")
    texts = {}
    for key in ("strategy", "into", "by", "vectors", "measure"):
        value = params.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise InvalidInput(f"job parameter '{key}' must be a text of at most 200 characters")
        texts[key] = value
    if not texts["strategy"] or not texts["into"]:
        raise InvalidInput("a sample job needs the parameters 'strategy' and 'into'")
    return {**texts, "measure": texts["measure"] or "least", "n": n, "seed": seed,
            "equal": _flag(params, "equal")}  # fmt: skip


def _run_sample(ctx: JobContext) -> dict[str, Any]:
    p = ctx.params
    result = sampling.sample_items(
        ctx.db,
        ctx.project,
        strategy=p["strategy"],
        n=p["n"],
        into=p["into"],
        by=p["by"],
        vectors=p["vectors"],
        measure=p["measure"],
        equal=p["equal"],
        seed=p["seed"],
        actor=ctx.actor,
        progress=ctx.progress,
        data_dir=ctx.settings.data_dir,
    )
    return sampling.result_dict(result)


def _duplicates_what(p: dict[str, Any]) -> str:
    key = f"text '{p['text_key']}'" if p.get("text_key") else f"image '{p.get('image_key')}'"
    return f"by {key}, threshold {p.get('threshold')}" + (", keep one" if p.get("keep_one") else "")


def _duplicates_outcome(r: dict[str, Any]) -> str:
    if "clusters" not in r:
        return listed(r)
    members = sum(len(c.get("members", [])) for c in r["clusters"])
    removed = f"; removed {len(r['removed']):,}" if "removed" in r else ""
    return f"{len(r['clusters']):,} clusters of {members:,} items{removed}"


def _pii_outcome(r: dict[str, Any]) -> str:
    if "affected" not in r:
        return listed(r)
    return f"{r['affected']:,} of {r.get('items', 0):,} items hold personal data"


def _sample_what(p: dict[str, Any]) -> str:
    return f"{p.get('strategy')}, {p.get('n')} into {p.get('into')}"


def _sample_outcome(r: dict[str, Any]) -> str:
    if "picks" not in r:
        return listed(r)
    return f"{len(r['picks']):,} picked into {r.get('into')}: {r.get('inserted', 0):,} new"


DUPLICATES = register(
    JobKind(
        name="duplicates",
        title="Find near-duplicates",
        action=Action.MANAGE,
        # Finding changes nothing; keeping one deletes all or nothing, and a second run
        # finds the clusters already gone.
        max_attempts=2,
        check=_check_duplicates,
        run=_run_duplicates,
        what=_duplicates_what,
        outcome=_duplicates_outcome,
    )
)
PII = register(
    JobKind(
        name="pii",
        title="Screen for personal data",
        action=Action.MANAGE,
        max_attempts=2,  # reads only
        check=_check_pii,
        run=_run_pii,
        outcome=_pii_outcome,
    )
)
SAMPLE = register(
    JobKind(
        name="sample",
        title="Sample items",
        action=Action.MANAGE,
        # Copies into another project: a second run would copy a second sample.
        max_attempts=1,
        check=_check_sample,
        run=_run_sample,
        what=_sample_what,
        outcome=_sample_outcome,
    )
)


def _optional_text(params: dict[str, Any], key: str) -> str | None:
    return None if params.get(key) is None else text_param(params, key)


def _check_source(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": text_param(params, "url"),
        "glob": _optional_text(params, "glob"),
        "skip_unsupported": _flag(params, "skip_unsupported"),
        "endpoint_url": _optional_text(params, "endpoint_url"),
        "profile": _optional_text(params, "profile"),
        # Only the CLI sets it: its user may read any folder they can; over HTTP, folders
        # must lie under the server's import_roots.
        "any_folder": _flag(params, "any_folder"),
    }


def _run_source(ctx: JobContext) -> dict[str, Any]:
    p, settings = ctx.params, ctx.settings
    request = sources.SourceRequest(
        url=p["url"],
        glob=p["glob"],
        skip_unsupported=p["skip_unsupported"],
        s3=s3_options(settings, endpoint_url=p["endpoint_url"], profile=p["profile"]),
        roots=None if p["any_folder"] else settings.import_root_list,
        batch_size=settings.import_batch_size,
    )
    summary = sources.import_source(
        ctx.db, ctx.project, request, data_dir=settings.data_dir, actor=ctx.actor,
        progress=ctx.progress,
    )  # fmt: skip
    return asdict(summary)


def _source_what(params: dict[str, Any]) -> str:
    glob = f" ({params['glob']})" if params.get("glob") else ""
    return f"from {params.get('url', '')}{glob}"


def _source_outcome(r: dict[str, Any]) -> str:
    if "inserted" not in r:
        return listed(r)
    parts = (
        f"{r.get('files', 0):,} files" if r.get("kind") == "media" else f"{r.get('rows', 0):,} rows"
    )
    return f"{parts}: {r['inserted']:,} new, {r.get('skipped_duplicates', 0):,} already there"


SOURCE = register(
    JobKind(
        name="source",
        title="Import from a folder or bucket",
        action=Action.MANAGE,
        # All files or none, and files already imported are skipped as duplicates.
        max_attempts=3,
        check=_check_source,
        run=_run_source,
        unit="parts",  # files for media, bytes for row files
        what=_source_what,
        outcome=_source_outcome,
    )
)
