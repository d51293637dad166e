"""Agent files: a configuration's final parameters (every seed) and a JSON manifest saying how to act with them.

    agent/agent.json       the manifest: format, algorithm, configuration, env identity and spaces, seeds,
                           versions, and the SHA-256 of params.msgpack
    agent/params.msgpack   flax.serialization msgpack of {"params": Policy.params_of(state), "eval_key",
                           "env_steps"}, every leaf with a leading seed axis

Both are written atomically (a temporary file, then a rename); the directory's success.txt lists them, so a
truncated one makes the directory incomplete. Reading checks the format, the digest and that the bytes decode;
whether the parameters fit an algorithm and an env is hyperlax.commands.agents' to check.
"""

import hashlib
import os
from pathlib import Path

from flax import serialization

from hyperlax.errors import InputError
from hyperlax.results.files import read_json, write_json_atomic

AGENT_FORMAT = "hyperlax-agent"
AGENT_FORMAT_VERSION = 1
MANIFEST_FILE, PARAMS_FILE = "agent.json", "params.msgpack"
AGENT_FILES = (MANIFEST_FILE, PARAMS_FILE)


def write_agent(agent_dir: Path, saved: dict, manifest: dict) -> None:
    """Write `saved` (numpy pytree, leading seed axis) and its manifest; the params first, so a manifest never
    names bytes that are not there."""
    agent_dir.mkdir(parents=True, exist_ok=True)
    data = serialization.msgpack_serialize(serialization.to_state_dict(saved))
    tmp = agent_dir / f"{PARAMS_FILE}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, agent_dir / PARAMS_FILE)
    digest = hashlib.sha256(data).hexdigest()
    header = {"format": AGENT_FORMAT, "format_version": AGENT_FORMAT_VERSION}
    write_json_atomic(
        agent_dir / MANIFEST_FILE, {**header, **manifest, "params_file": PARAMS_FILE, "params_sha256": digest}
    )


def read_agent(path) -> tuple[dict, dict]:
    """(manifest, the saved state dict) of an agent directory; anything unreadable is one InputError line."""
    agent_dir = Path(path)
    if not agent_dir.exists():
        raise InputError(f"--agent {path}: no such directory")
    if not agent_dir.is_dir():
        raise InputError(f"--agent {path} is not a directory; give the agent/ directory a run wrote")
    if not (agent_dir / MANIFEST_FILE).is_file():
        raise InputError(f"--agent {path}: no {MANIFEST_FILE} there; give the agent/ directory a run wrote")
    manifest = read_json(agent_dir / MANIFEST_FILE, "agent")
    if not isinstance(manifest, dict) or manifest.get("format") != AGENT_FORMAT:
        raise InputError(f"--agent {path}: {MANIFEST_FILE} is not a hyperlax agent manifest")
    if manifest.get("format_version") != AGENT_FORMAT_VERSION:
        raise InputError(
            f"--agent {path}: agent format version {manifest.get('format_version')!r}; this hyperlax reads "
            f"version {AGENT_FORMAT_VERSION}"
        )
    try:
        data = (agent_dir / PARAMS_FILE).read_bytes()
    except OSError as exc:
        raise InputError(f"--agent {path}: cannot read {PARAMS_FILE} ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != manifest.get("params_sha256"):
        raise InputError(
            f"--agent {path}: {PARAMS_FILE} does not match its digest in {MANIFEST_FILE} (truncated or edited)"
        )
    try:
        saved = serialization.msgpack_restore(data)
    except Exception as exc:  # msgpack's errors have no common base
        raise InputError(f"--agent {path}: {PARAMS_FILE} does not decode ({type(exc).__name__})") from None
    if not isinstance(saved, dict) or not {"params", "eval_key", "env_steps"} <= set(saved):
        raise InputError(f"--agent {path}: {PARAMS_FILE} holds no agent parameters")
    return manifest, saved
