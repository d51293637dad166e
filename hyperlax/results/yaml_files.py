"""Small YAML files a user hands over (specs, presets, zoo entries), read safely: at most 1 MiB of UTF-8, no
anchors or aliases (an alias bomb expands to gigabytes), plain YAML types only; every problem is one line."""

from pathlib import Path

from hyperlax.errors import InputError

MAX_YAML_BYTES = 1 << 20


def read_yaml(path, what: str, kind: str):
    """The YAML of the file at `path`; `what` names it in messages (e.g. "--spec"), `kind` says what it holds
    (e.g. "a spec")."""
    import yaml

    file = Path(path)
    try:
        if file.is_dir():
            raise InputError(f"{what} {path} is a directory; give a YAML file")
        size = file.stat().st_size
        if size > MAX_YAML_BYTES:
            raise InputError(f"{what} {path} is {size:,} bytes; {kind} is a small YAML file (at most 1 MiB)")
        text = file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path} is not UTF-8 text; give a YAML file") from None
    try:
        if any(isinstance(t, (yaml.AliasToken, yaml.AnchorToken)) for t in yaml.scan(text, Loader=yaml.SafeLoader)):
            raise InputError(f"{what} {path} uses YAML anchors or aliases; write the values out")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
        raise InputError(f"{what} {path}: not valid YAML{where}: {problem}") from None
