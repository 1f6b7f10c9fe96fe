"""save/load: the weights as safetensors (no code runs on load, unlike pickle), the
architecture and training settings as JSON in the file's metadata."""

from __future__ import annotations

import json
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from fastmlp import layers as L
from fastmlp.network import LOSSES, Sequential
from fastmlp.optim import from_config

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
    # Beside the target, so that the rename stays on one filesystem.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    mode = os.stat(tmp).st_mode  # as open() makes files: 0666 less the umask
    try:
        save_file(net.state_dict(), str(tmp), metadata={"fastmlp": json.dumps(meta)})
        os.chmod(tmp, mode)  # safetensors writes it 0600, hidden from other users
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())  # on disk before the rename, or a power cut empties it
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path: str | os.PathLike[str]) -> Sequential:
    """The network saved at ``path``; its predictions equal the saved one's bitwise. Its
    optimizer has the saved settings, not the saved state (velocity, moments): pickle the
    network to keep those."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except SafetensorError as error:
        raise ValueError(f"{path} is not a readable safetensors file: {error}") from None
    try:
        meta = json.loads(metadata["fastmlp"])
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else meta
            raise ValueError(f"unsupported format {found!r}, expected {FORMAT!r}")
        layers = [_layer(c) for c in meta["layers"]]
        _check_shapes(layers, tensors)  # before allocating what the metadata declares
        net = Sequential(*layers, dtype=meta["dtype"])
        loss, epochs = meta.get("loss"), meta.get("epochs_trained", 0)
        if not (loss is None or loss in LOSSES) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"bad loss {loss!r} or epochs_trained {epochs!r}")
        optimizer = _optimizer(meta.get("optimizer"), path)
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} has no valid fastmlp metadata: {error!r}") from None
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    try:
        net.load_state_dict(tensors)
    except KeyError as error:  # names that are not the architecture's
        raise ValueError(f"{path}: {error.args[0]}") from None
    net.loss, net.epochs_trained, net.optimizer = loss, epochs, optimizer
    return net


def _optimizer(config: Any, path: Any) -> Any:
    """The saved optimizer's settings as an optimizer, or None (with a warning when they
    describe none that this version can make: a subclass of the user's, say)."""
    if config is None:
        return None
    try:
        return from_config(config)
    except (TypeError, ValueError) as error:
        warnings.warn(f"{path}: the saved optimizer is not restored: {error}", stacklevel=3)
        return None


def _check_shapes(layers: list[Any], tensors: dict[str, Any]) -> None:
    """The tensors' shapes are those the layers declare. The file holds the tensors' data,
    so a file cannot make load allocate more than its own size."""
    for index, layer in enumerate(layers):
        if isinstance(layer, L.Dense):
            for name, shape in (
                (f"{index}.weight", (layer.out_features, layer.in_features)),
                (f"{index}.bias", (layer.out_features,)),
            ):
                found = getattr(tensors.get(name), "shape", None)
                if found != shape:
                    raise ValueError(f"{name} has shape {found} but the metadata declares {shape}")
