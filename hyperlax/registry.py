"""References to code: a built-in name, `package.module[:attr]` or `path/to/file.py[:attr]`.

A reference without `:attr` names the module itself (a built-in algorithm is a module, e.g. ppo.py). A
relative file path resolves against the working directory. Every failure is one InputError line that
starts with what was being loaded (`algorithm 'x.py:Algo': ...`), so the CLI can print it as it is.
"""

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from hyperlax.errors import InputError, raised


def is_file_reference(reference: str) -> bool:
    path = reference.rsplit(":", 1)[0] if ".py:" in reference else reference
    return path.endswith(".py") or "/" in path


def split_reference(reference: str) -> tuple[str, str | None]:
    """(module or file, attribute or None)."""
    if is_file_reference(reference):
        if ".py:" in reference:
            where, attr = reference.rsplit(":", 1)
            return where, attr or None
        return reference, None
    where, _, attr = reference.partition(":")
    return where, attr or None


def load_file(path_text: str, what: str):
    """The module of a .py file, loaded once per absolute path (so its classes keep one identity)."""
    path = Path(path_text).expanduser().resolve()
    if path.suffix != ".py":
        raise InputError(f"{what}: '{path_text}' is not a .py file")
    if not path.is_file():
        raise InputError(f"{what}: file '{path_text}' does not exist (relative paths start at the working directory)")
    name = f"hyperlax_user_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a file that exits must not end the command silently
        del sys.modules[name]
        raise InputError(f"{what}: '{path_text}' raised {raised(exc)}; fix the file and run again") from None
    return module


def import_module(module_name: str, what: str):
    try:
        return importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:
        raise InputError(f"{what}: cannot import {module_name} ({raised(exc)})") from None


def get_attribute(module, attr: str, where: str, what: str):
    """`module.attr`, where attr may be dotted (Outer.Inner)."""
    value = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise InputError(f"{what}: {where} has no attribute '{attr}'") from None
        except Exception as exc:  # a property or module __getattr__ that fails
            raise InputError(f"{what}: getting {attr} from {where} raised {raised(exc)}") from None
    return value


def load_reference(reference, builtins: dict, kind: str):
    """The object a reference names: `builtins[reference]`, or a user's module / attribute.

    `builtins` maps names to zero-argument loaders, so a built-in is imported only when named."""
    if not isinstance(reference, str) or not reference.strip():
        raise InputError(f"{kind} {reference!r}: expected a name ({', '.join(builtins)}) or module:attr / file.py:attr")
    if reference in builtins:
        return builtins[reference]()
    what = f"{kind} '{reference}'"
    where, attr = split_reference(reference)
    if not is_file_reference(reference) and "." not in where and attr is None:
        raise InputError(
            f"unknown {kind} '{reference}'; valid: {', '.join(builtins)}, package.module:attr or file.py:attr"
        )
    module = load_file(where, what) if is_file_reference(reference) else import_module(where, what)
    return module if attr is None else get_attribute(module, attr, where, what)
