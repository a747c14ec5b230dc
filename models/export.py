"""Export trained re-id models to OpenVINO IR the runtime loads (``OpenVINOCropEmbedder``).

Crop mode, frozen detector backbone: the torch head is converted on its own and stitched
onto the prefix cut from the detector IR (INT8 stays INT8), giving one IR with input
``1 x 3 x 256 x 128`` (RGB / 255, like the detector) and output ``1 x 256`` (L2-normalised).
Its rt_info carries ``pictag_input_format=rgb01`` so the runtime feeds it correctly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov
import torch
from torch import nn

from pictag.models.heads import Normalized
from pictag.reid.openvino_embedder import INPUT_FORMAT_KEY


def head_to_ov(head: nn.Module, in_shape: tuple[int, int, int], batch: int = 1) -> ov.Model:
    """The head (with L2 normalisation) as an ``ov.Model`` taking ``batch x C x h x w`` features
    (``batch=-1``: dynamic, for joint mode where a frame has any number of boxes)."""
    module = Normalized(head).eval()
    with torch.no_grad():
        return ov.convert_model(module, example_input=torch.zeros(2, *in_shape), input=[(batch, *in_shape)])


def torch_to_ov(model: nn.Module, input_hw: tuple[int, int] = (256, 128)) -> ov.Model:
    """A whole torch crop model (backbone + head, RGB / 255 input) with L2 normalisation."""
    module = Normalized(model).eval()
    with torch.no_grad():
        return ov.convert_model(module, example_input=torch.zeros(1, 3, *input_hw), input=[(1, 3, *input_hw)])


def stitch(prefix: ov.Model, head: ov.Model) -> ov.Model:
    """One model: ``prefix``'s input → prefix → ``head`` (whose single input takes the prefix output)."""
    (param,) = head.get_parameters()
    (result,) = prefix.get_results()
    source = result.input_value(0)
    if param.get_partial_shape() != source.get_partial_shape():
        raise ValueError(f"head input {param.get_partial_shape()} != prefix output {source.get_partial_shape()}")
    for target in list(param.output(0).get_target_inputs()):
        target.replace_source_output(source)
    model = ov.Model([r.input_value(0) for r in head.get_results()], prefix.get_parameters(), "pictag_reid")
    model.outputs[0].get_tensor().set_names({"embedding"})
    return model


def save_reid_ir(
    model: ov.Model, path: str | Path, input_format: str = "rgb01", compress_to_fp16: bool = False
) -> Path:
    """Save an IR the runtime recognises (input format in rt_info)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.set_rt_info(input_format, INPUT_FORMAT_KEY)
    ov.save_model(model, str(path), compress_to_fp16=compress_to_fp16)
    return path


def cosine_agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean and minimum row-wise cosine between two embedding sets."""
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    cos = (an * bn).sum(1)
    return float(cos.mean()), float(cos.min())
