"""S3-compatible object storage through boto3 (the ``s3`` extra): listing a prefix, reading
an object, presigning a short-lived URL. Every failure becomes one of the error tree's,
naming the bucket, the key or the setting to change; credentials come from the environment
(``AWS_ACCESS_KEY_ID`` ...) or a named profile, never from a spec or a request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, LabelworksError, NotFound, PermissionDenied

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NO_CREDENTIALS = (
    "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile "
    "with --profile / LABELWORKS_S3_PROFILE (setting s3_profile)"
)


@dataclass(frozen=True, slots=True)
class S3Options:
    """Where and as whom to reach object storage: ``endpoint_url`` for S3-compatible
    servers (MinIO, Ceph, R2 ...; ``None`` is AWS), ``profile`` a named profile."""

    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None


def s3_options(
    settings: Settings, *, endpoint_url: str | None = None, profile: str | None = None
) -> S3Options:
    """The server's object storage endpoint, profile and region; a command's or job's own
    endpoint or profile, when given, in place of the server's."""
    return S3Options(
        endpoint_url or settings.s3_endpoint_url, profile or settings.s3_profile, settings.s3_region
    )


class ObjectStore:
    """One client for one endpoint and set of credentials."""

    def __init__(self, options: S3Options) -> None:
        self.options = options
        self._client: S3Client = _client(options)

    def list(self, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
        """Every object under ``prefix`` as (key, size), in key order."""
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    yield obj["Key"], int(obj.get("Size", 0))
        except Exception as exc:  # botocore's errors, mapped by their code
            _raise(exc, bucket, prefix, self.options)

    def open(self, bucket: str, key: str) -> BinaryIO:
        """The object's body, streamed."""
        try:
            body: Any = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        except Exception as exc:
            _raise(exc, bucket, key, self.options)
        return body  # type: ignore[no-any-return]

    def head(self, bucket: str, key: str) -> tuple[int, str | None]:
        """The object's size and stored content type (``NotFound`` if there is none)."""
        try:
            found = self._client.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            _raise(exc, bucket, key, self.options)
        return int(found.get("ContentLength", 0)), found.get("ContentType")

    def presign(self, bucket: str, key: str, seconds: int) -> str:
        """A URL that reads the object for ``seconds`` without credentials."""
        try:
            return self._client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=seconds
            )
        except Exception as exc:
            _raise(exc, bucket, key, self.options)


def _client(options: S3Options) -> S3Client:
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:
        raise InvalidInput("object storage needs boto3: pip install 'labelworks[s3]'") from None
    try:
        session = boto3.session.Session(profile_name=options.profile)
    except botocore.exceptions.ProfileNotFound:
        raise InvalidInput(
            f"no S3 profile named '{options.profile}' (setting s3_profile / --profile)"
        ) from None
    if session.get_credentials() is None:
        raise InvalidInput(NO_CREDENTIALS)
    config = botocore.config.Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        signature_version="s3v4",
    )
    try:
        return session.client(
            "s3",
            endpoint_url=options.endpoint_url or None,
            region_name=options.region or session.region_name or "us-east-1",
            config=config,
        )
    except ValueError as exc:  # a malformed endpoint URL
        raise InvalidInput(
            f"the S3 endpoint URL '{options.endpoint_url}' is not usable "
            f"(setting s3_endpoint_url / --endpoint-url): {exc}"
        ) from None


def _raise(exc: Exception, bucket: str, key: str, options: S3Options) -> NoReturn:
    """The error tree's error for a botocore failure on ``s3://bucket/key``."""
    import botocore.exceptions as bce

    where = f"s3://{bucket}/{key}"
    if isinstance(exc, LabelworksError):
        raise exc
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        raise InvalidInput(NO_CREDENTIALS) from None
    if isinstance(exc, bce.EndpointConnectionError | bce.ConnectTimeoutError):
        endpoint = options.endpoint_url or "AWS"
        raise InvalidInput(
            f"cannot reach the S3 endpoint {endpoint} for {where} "
            "(setting s3_endpoint_url / --endpoint-url)"
        ) from None
    if isinstance(exc, bce.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket":
            raise NotFound(f"bucket '{bucket}' does not exist") from None
        if code in ("NoSuchKey", "404", "NotFound"):
            raise NotFound(f"{where} does not exist") from None
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise PermissionDenied(
                f"the configured S3 credentials may not read {where} ({code})"
            ) from None
        raise InvalidInput(f"object storage refused {where}: {code or exc}") from None
    raise exc
