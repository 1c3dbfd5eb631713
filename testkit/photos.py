"""Photos for upload tests, made with Pillow, and the storages they go to: MEDIA_ROOT in a
temporary folder, or a real S3-compatible server on 127.0.0.1 (moto's server mode) that
django-storages talks to over HTTP, as it talks to a bucket in production."""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

S3_REGION = "us-east-1"
S3_KEY_ID, S3_SECRET = "testing-key-id", "testing-secret-key"  # moto accepts any


def photo_bytes(kind: str = "JPEG", size: tuple[int, int] = (800, 600), *, exif: dict | None = None) -> bytes:
    """An image of `kind` (JPEG, PNG, GIF) and `size`, of random pixels so it does not compress
    below Google's 10 KB minimum. `exif`: Exif tags to carry, {tag: value}, a dict value for a
    sub-IFD such as the GPS tags (0x8825)."""
    from PIL import Image

    width, height = size
    image = Image.frombytes("RGB", size, os.urandom(width * height * 3))
    if kind == "GIF":
        image = image.convert("P")
    options = {"quality": 85} if kind == "JPEG" else {}
    if exif:
        tags = Image.Exif()
        for tag, value in exif.items():
            tags[tag] = value
        options["exif"] = tags.tobytes()
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def photo_upload(kind: str = "JPEG", size: tuple[int, int] = (800, 600), *, name: str | None = None):
    """The photo as Django hands an uploaded file to a view."""
    extension = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}[kind]
    return SimpleUploadedFile(name or f"photo.{extension}", photo_bytes(kind, size), content_type="image/jpeg")


@dataclass
class S3Server:
    """moto's S3-compatible server on 127.0.0.1 (real HTTP), and a boto3 client of it."""

    endpoint: str
    server: object

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
        )

    def bucket_create(self) -> str:
        """A new bucket anyone may read (Google fetches photos without credentials)."""
        name = f"photos-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
            ],
        }
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read))
        return name

    def storage_settings(self, bucket: str) -> dict:
        """STORAGES["default"] as settings.py builds it from the PHOTO_STORAGE_* variables."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": self.endpoint,
                "region_name": S3_REGION,
                "access_key": S3_KEY_ID,
                "secret_key": S3_SECRET,
                "addressing_style": "path",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            },
        }


def s3_server_start() -> S3Server:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Server(endpoint=f"http://{host}:{port}", server=server)
