"""Refusing a Word .docx zip bomb before python-docx unpacks it: a small file can hold
gigabytes of XML."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from qualkit.errors import TranscriptError

# The most XML a .docx may unpack to: a long interview is a few MB; more is a zip bomb.
MAX_DOCX_XML_BYTES = 50_000_000

ErrorFactory = Callable[[Path | str, str], TranscriptError]


def check_docx_size(data: bytes, path: Path | str, error: ErrorFactory) -> None:
    """Refuse a .docx whose XML would unpack to more than MAX_DOCX_XML_BYTES (a zip bomb):
    first by the sizes the archive declares, then by what actually comes out."""
    limit_mb = MAX_DOCX_XML_BYTES // 1_000_000
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [i for i in archive.infolist() if i.filename.endswith((".xml", ".rels"))]
            declared = sum(i.file_size for i in parts)
            if declared > MAX_DOCX_XML_BYTES:
                raise error(
                    path,
                    f"the Word document unpacks to {declared // 1_000_000} MB of text and "
                    f"markup (more than {limit_mb} MB); split it into several files",
                )
            actual = 0
            for info in parts:
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        actual += len(chunk)
                        if actual > MAX_DOCX_XML_BYTES:
                            raise error(
                                path,
                                f"the Word document unpacks to more than {limit_mb} MB of "
                                "text and markup; split it into several files",
                            )
    except (zipfile.LargeZipFile, NotImplementedError, OSError, RuntimeError, EOFError) as exc:
        raise error(path, f"cannot open as a Word document (broken zip archive: {exc})") from None
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise error(path, f"cannot open as a Word document (broken zip archive: {exc})") from None
