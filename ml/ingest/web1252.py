"""Windows-1252 as browsers decode text labelled "latin-1" (the WHATWG Encoding Standard): the codec
``personas-web-1252``, registered on import, for ``--encoding latin-1`` (``ml.ingest.encoding.detect_encoding``).

Excel on Windows writes Windows-1252, whose bytes 0x80–0x9F are ’ “ ” – € …; read as ISO-8859-1 they become
control characters that split "I’ll". Python's cp1252 refuses its five undefined bytes (0x81, 0x8D, 0x8F, 0x90,
0x9D); here they are the C1 controls ISO-8859-1 gives them, so a file that latin-1 reads is never refused.
"""

from __future__ import annotations

import codecs
import encodings.cp1252

WEB_1252 = "personas-web-1252"
_WEB_TABLE = "".join(ch if ch != "\ufffe" else chr(i) for i, ch in enumerate(encodings.cp1252.decoding_table))
_WEB_ENCODE = codecs.charmap_build(_WEB_TABLE)


class _Web1252(codecs.Codec):
    def encode(self, text, errors="strict"):
        return codecs.charmap_encode(text, errors, _WEB_ENCODE)

    def decode(self, data, errors="strict"):
        return codecs.charmap_decode(data, errors, _WEB_TABLE)


class _Web1252Decoder(codecs.IncrementalDecoder):
    def decode(self, data, final=False):
        return codecs.charmap_decode(data, self.errors, _WEB_TABLE)[0]


class _Web1252Encoder(codecs.IncrementalEncoder):
    def encode(self, text, final=False):
        return codecs.charmap_encode(text, self.errors, _WEB_ENCODE)[0]


class _Web1252Reader(_Web1252, codecs.StreamReader):
    pass


class _Web1252Writer(_Web1252, codecs.StreamWriter):
    pass


def _find_web_1252(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != WEB_1252:
        return None
    return codecs.CodecInfo(name=WEB_1252, encode=_Web1252().encode, decode=_Web1252().decode,
                            incrementalencoder=_Web1252Encoder, incrementaldecoder=_Web1252Decoder,
                            streamreader=_Web1252Reader, streamwriter=_Web1252Writer)


codecs.register(_find_web_1252)

__all__ = ["WEB_1252"]
