"""save/load: the weights as safetensors (no code runs on load, unlike pickle), the
architecture and training settings as JSON in the file's metadata."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fastmlp import layers as L
from fastmlp.network import Sequential

__all__ = ["load", "save"]

FORMAT = "fastmlp.sequential/1"


def _layer_config(layer: Any) -> dict[str, Any]:
    if isinstance(layer, L.Dense):
        return {
            "type": "Dense",
            "in_features": layer.in_features,
            "out_features": layer.out_features,
        }
    if isinstance(layer, L.Dropout):
        return {"type": "Dropout", "p": layer.p}
    if isinstance(layer, L.GELU):
        return {"type": "GELU", "approximate": layer.approximate}
    if isinstance(layer, L.Activation):
        config: dict[str, Any] = {"type": type(layer).__name__}
        if layer.param is not None:
            config["param"] = layer.param
        return config
    raise TypeError(f"cannot save layer {layer!r}")


_LAYER_TYPES = {
    cls.__name__: cls
    for cls in (L.Identity, L.ReLU, L.LeakyReLU, L.Sigmoid, L.Tanh, L.ELU, L.SiLU, L.Softplus)
}


def _layer(config: Any) -> Any:
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"bad layer entry {config!r}")
    kind = config["type"]
    if kind == "Dense":
        return L.Dense(config["in_features"], config["out_features"])
    if kind == "Dropout":
        return L.Dropout(config["p"])
    if kind == "GELU":
        return L.GELU(config["approximate"])
    if kind in _LAYER_TYPES:
        cls = _LAYER_TYPES[kind]
        return cls(config["param"]) if "param" in config else cls()  # type: ignore[call-arg]
    raise ValueError(f"unknown layer type {kind!r}")


def save(net: Sequential, path: str | os.PathLike[str]) -> None:
    """Writes the network to ``path`` atomically: a crash mid-write leaves any old file."""
    from safetensors.numpy import save_file

    meta = {
        "format": FORMAT,
        "layers": [_layer_config(layer) for layer in net.layers],
        "dtype": net.dtype.name,
        "loss": net.loss,
        "epochs_trained": net.epochs_trained,
        "optimizer": net.optimizer.config() if net.optimizer is not None else None,
    }
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(net.state_dict(), tmp, metadata={"fastmlp": json.dumps(meta)})
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path: str | os.PathLike[str]) -> Sequential:
    """The network saved at ``path``; its predictions equal the saved one's bitwise."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except SafetensorError as error:
        raise ValueError(f"{path} is not a readable safetensors file: {error}") from None
    try:
        meta = json.loads(metadata["fastmlp"])
        if meta.get("format") != FORMAT:
            raise ValueError(f"unsupported format {meta.get('format')!r}, expected {FORMAT!r}")
        net = Sequential(*[_layer(c) for c in meta["layers"]], dtype=meta["dtype"])
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} has no valid fastmlp metadata: {error!r}") from None
    net.load_state_dict(tensors)
    net.loss = meta.get("loss")
    net.epochs_trained = int(meta.get("epochs_trained", 0))
    return net
