"""The OCR engine: RapidOCR on the models inside its wheel, one per process, and its two
uses: boxes of a whole page (skew removed), and one crop read alone."""
from __future__ import annotations

import math
import re
import statistics
from pathlib import Path

import numpy as np
from PIL import Image

from xxgk.readers.pdf.ocr.boxes import Box
from xxgk.readers.pdf.ocr.image import Page, ink, prepare


class OcrUnavailable(RuntimeError):
    """The OCR engine or its bundled models are not installed."""


_MODEL_PATTERNS = {"Det": "*det*.onnx", "Rec": "*rec*.onnx"}


def bundled_models() -> dict[str, Path]:
    """The detection and recognition models inside the installed rapidocr package."""
    try:
        import rapidocr
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OcrUnavailable("OCR needs the packages rapidocr and onnxruntime (pip install rapidocr onnxruntime)") from exc
    folder = Path(rapidocr.__file__).parent / "models"
    found: dict[str, Path] = {}
    for task, pattern in _MODEL_PATTERNS.items():
        paths = sorted(folder.glob(pattern))
        if not paths:
            raise OcrUnavailable(f"no {task.lower()} model in {folder}: the pipeline never downloads models")
        # prefer the newest PP-OCR version shipped
        found[task] = max(paths, key=lambda p: [int(n) for n in re.findall(r"\d+", p.stem)] or [0])
    return found


_ENGINE = None  # this process's engine, made on first use
_ENGINE_THREADS: int | None = None
_ENGINES_MADE = 0


def make_engine(threads: int | None = None):
    """A RapidOCR engine on the bundled models, by explicit path (no download code path)."""
    try:
        import onnxruntime  # noqa: F401  (RapidOCR's default engine)
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise OcrUnavailable("OCR needs the packages rapidocr and onnxruntime (pip install rapidocr onnxruntime)") from exc
    global _ENGINES_MADE
    models = bundled_models()
    _ENGINES_MADE += 1
    params = {
        "Global.log_level": "error",
        "Global.use_cls": False,  # no 180° text in these reports; vertical text is rotated by the crop step
        "Global.text_score": 0.0,  # keep every box: low scores are judged here (VALUE_MIN_SCORE)
        "Det.model_path": str(models["Det"]),
        "Rec.model_path": str(models["Rec"]),
        # one crop per batch: a batch pads its crops to the widest, so with batches a box's
        # reading would depend on what else is on the page (and it is no slower here)
        "Rec.rec_batch_num": 1,
    }
    if threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(threads)
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    return RapidOCR(params=params)


def shared_engine():
    """This process's engine, made on first use."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = make_engine(_ENGINE_THREADS)
    return _ENGINE


def use_threads(threads: int | None) -> None:
    """The onnxruntime threads of the engine this process makes next (a worker's share of the cores)."""
    global _ENGINE_THREADS
    _ENGINE_THREADS = threads


def engines_made() -> int:
    """Engines made in this process: then worker processes are spawned, not forked."""
    return _ENGINES_MADE


def read_boxes(image, engine=None, *, page: Page | None = None) -> list[Box]:
    """Run OCR on an image (PIL image or numpy array): axis-aligned boxes, skew removed.

    The skew is the median angle of the long text boxes; boxes are rotated by it about the
    page centre (and, when ``page`` is given, so is its grayscale image), so rows stay
    rows on a scan fed in at a slight angle.
    """
    page = page or prepare(image)
    # every call states its steps: RapidOCR keeps the flags of the last call
    result = (engine or shared_engine())(page.rgb, use_det=True, use_cls=False, use_rec=True)
    if result is None or getattr(result, "boxes", None) is None or result.txts is None:
        return []
    quads = [np.asarray(q, dtype=float) for q in result.boxes]
    angles = []
    for q in quads:
        dx, dy = q[1][0] - q[0][0], q[1][1] - q[0][1]
        height = abs(q[3][1] - q[0][1])
        if dx > 4 * max(height, 1):
            angles.append(math.atan2(dy, dx))
    angle = statistics.median(angles) if len(angles) >= 3 else 0.0
    if abs(angle) <= math.radians(0.1):
        angle = 0.0
    h, w = page.gray.shape
    cx, cy = w / 2, h / 2
    cos, sin = math.cos(-angle), math.sin(-angle)
    boxes = []
    for q, text, score in zip(quads, result.txts, result.scores):
        xs = cx + (q[:, 0] - cx) * cos - (q[:, 1] - cy) * sin
        ys = cy + (q[:, 0] - cx) * sin + (q[:, 1] - cy) * cos
        boxes.append(Box(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), str(text).strip(), float(score)))
    if angle:
        rotated = Image.fromarray(page.gray).rotate(math.degrees(angle), resample=2, fillcolor=255)
        page.gray = np.asarray(rotated)
        page.dark = ink(page.gray)
        page.angle = angle
    return [b for b in boxes if b.text]


def recognise(engine, gray, x0: float, y0: float, x1: float, y1: float) -> tuple[str, float] | None:
    """The recognition model alone on one crop of the (deskewed) page."""
    h, w = gray.shape
    x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(w, math.ceil(x1)), min(h, math.ceil(y1))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = np.repeat(np.ascontiguousarray(gray[y0:y1, x0:x1])[:, :, None], 3, axis=2)
    out = engine(crop, use_det=False, use_cls=False, use_rec=True)
    texts, scores = getattr(out, "txts", None), getattr(out, "scores", None)
    if not texts or not texts[0] or not str(texts[0]).strip():
        return None
    return str(texts[0]).strip(), float(scores[0])

