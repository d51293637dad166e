"""Storage: URLs (checked, masked), opening or loading a study, and one-line database errors.

Three kinds of URL: an SQLAlchemy database URL (RDBStorage, with heartbeats), `journal:PATH` (Optuna's
JournalStorage over a file, locked by opening a lock file, which works on shared disks) and
`grpc://HOST:PORT` (a client of `optuna.storages.run_grpc_proxy_server`, needs hyperlax[grpc]). Journal and
gRPC storages keep no heartbeats: a worker killed while training leaves its trials RUNNING until failed by hand.
"""

import importlib.util
import time
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path

import optuna
import sqlalchemy

from hyperlax.commands.signals import defer_calls
from hyperlax.errors import InputError
from hyperlax.results.files import read_json

STUDY_FILE = "study.json"
DB_FILE = "optuna_study.db"
JOURNAL_FILE = "optuna_journal.log"  # --n-jobs > 1 without --storage: the workers' shared journal
JOURNAL, GRPC = "journal:", "grpc://"
DRIVER_EXTRAS = {"postgresql": "pip install 'hyperlax[postgres]'"}
GRPC_INSTALL = 'pip install -e ".[grpc]"'


def grpc_errors() -> tuple:
    if importlib.util.find_spec("grpc") is None:
        return ()
    import grpc

    return (grpc.RpcError, ConnectionError)


DB_ERRORS = (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError, *grpc_errors())


def storage_kind(url: str) -> str:
    """journal, grpc or rdb (an SQLAlchemy database URL)."""
    return "journal" if url.startswith(JOURNAL) else "grpc" if url.startswith(GRPC) else "rdb"


def mask_url(url: str) -> str:
    """A storage URL as it may be shown or written: its password replaced by ***."""
    if storage_kind(url) != "rdb":
        return url  # a path, or a host and port: no password
    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def redact(text: str, url: str | None) -> str:
    password = sqlalchemy.engine.make_url(url).password if url and storage_kind(url) == "rdb" else None
    return text.replace(password, "***") if password else text


def first_line_of(exc: Exception, url: str) -> str:
    """A database error's first line, without the password."""
    return redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)


def connect_url(study_dir: Path, storage: str | None) -> str:
    """The URL to connect with: the given one, or the study directory's SQLite file. A masked password
    (as stored in study.json) is dropped, so the driver's own sources (PGPASSWORD, ~/.pgpass) supply it."""
    if storage is None:
        return f"sqlite:///{(study_dir / DB_FILE).resolve()}"
    if storage_kind(storage) != "rdb":
        return storage
    url = sqlalchemy.engine.make_url(storage)
    return url._replace(password=None).render_as_string(hide_password=False) if url.password == "***" else storage


def check_storage(storage: str) -> None:
    """A journal file, a gRPC proxy address or an SQLAlchemy database URL whose driver is installed; checked
    before anything is created."""
    kind = storage_kind(storage)
    if kind == "journal":
        check_journal_file(journal_path(storage), "--storage")
        return
    if kind == "grpc":
        grpc_address(storage)
        if importlib.util.find_spec("grpc") is None:
            raise InputError(f"--storage {storage}: a gRPC storage proxy needs the grpcio package: {GRPC_INSTALL}")
        return
    try:
        url = sqlalchemy.engine.make_url(storage)
    except (sqlalchemy.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(
            "--storage is not a database URL (or its port is not a number); give e.g. sqlite:///study.db or "
            "postgresql://user:password@host:5432/db"
        ) from None
    try:
        url.get_dialect().import_dbapi()
    except sqlalchemy.exc.NoSuchModuleError:
        raise InputError(
            f"--storage {mask_url(storage)}: unknown database '{url.drivername}'; use sqlite, postgresql or mysql"
        ) from None
    except ImportError as exc:
        hint = DRIVER_EXTRAS.get(
            url.get_backend_name(), "install the package that provides it, or name another driver in the URL"
        )
        raise InputError(
            f"--storage {mask_url(storage)}: its driver module {exc.name} is not installed; {hint}"
        ) from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        check_sqlite_file(Path(url.database), "--storage")


SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_file(path: Path, what: str) -> None:
    """An SQLite database file that is either not there yet (in an existing directory) or a real database."""
    if not path.parent.is_dir():
        raise InputError(f"{what}: directory {path.parent} does not exist; create it or give another path")
    if path.is_dir():
        raise InputError(f"{what}: {path} is a directory, not an SQLite file")
    if path.exists():
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            state = "empty" if not header else "not an SQLite database"
            raise InputError(
                f"{what}: {path} is {state}; it holds no study (restore it, or start a new study elsewhere)"
            )


def journal_path(url: str) -> Path:
    path = url[len(JOURNAL) :]
    if not path.strip():
        raise InputError("--storage journal: names no file; give journal:path/to/study.log")
    return Path(path)


def check_journal_file(path: Path, what: str) -> None:
    """A journal file that is either not there yet (in an existing directory) or one Optuna wrote (JSON lines)."""
    if not path.parent.is_dir():
        raise InputError(f"{what}: directory {path.parent} does not exist; create it or give another path")
    if path.is_dir():
        raise InputError(f"{what}: {path} is a directory, not a journal file")
    if path.exists():
        with path.open("rb") as f:
            first = f.read(1)
        if first not in (b"", b"{"):
            raise InputError(f"{what}: {path} is not an Optuna journal (its lines are JSON objects); give another file")


def grpc_address(url: str) -> tuple[str, int]:
    """grpc://HOST:PORT as (host, port)."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or parts.path not in ("", "/") or parts.query:
        raise InputError(f"--storage {url}: expected grpc://HOST:PORT of a running optuna gRPC proxy server")
    return parts.hostname, port


def make_storage(url: str, heartbeat_interval: int | None = None, stale_trial_callback=None):
    """The storage a URL names; an RDB one with heartbeats when `heartbeat_interval` is given. A signal does
    not cut its calls short (signals.defer_calls)."""
    kind = storage_kind(url)
    if kind == "journal":
        path = str(journal_path(url))
        backend = optuna.storages.journal.JournalFileBackend(path, optuna.storages.journal.JournalFileOpenLock(path))
        storage = optuna.storages.JournalStorage(backend)
    elif kind == "grpc":
        host, port = grpc_address(url)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.GrpcStorageProxy(host=host, port=port)
        storage.wait_server_ready(timeout=10)
    elif heartbeat_interval is None:
        return url  # optuna.load_study builds it, with its in-process cache
    else:
        storage = rdb_storage(url, heartbeat_interval, stale_trial_callback)
    return defer_calls(storage)


def rdb_storage(url: str, heartbeat_interval: int, stale_trial_callback=None, attempts: int = 3):
    """An RDBStorage with heartbeats: a RUNNING trial silent for 3 intervals belongs to a dead worker."""
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(
                url,
                heartbeat_interval=heartbeat_interval,
                grace_period=3 * heartbeat_interval,
                heartbeat_stale_trial_callback=stale_trial_callback,
            )
        except sqlalchemy.exc.IntegrityError:  # workers creating the tables of an empty database at once: one loses
            if attempt == attempts - 1:
                raise
            time.sleep(1 + attempt)


@dataclass(frozen=True)
class StudyTarget:
    """The study a worker opens: its name, what it optimises, and how often its trials beat."""

    name: str
    objective_names: tuple
    directions: tuple
    heartbeat_interval: int


def open_study(url: str, target: StudyTarget, sampler, pruner, study_record: dict, stale_trial_callback=None):
    """Create or load the study (with heartbeats) and check it asks what this command asks."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = make_storage(url, target.heartbeat_interval, stale_trial_callback)
            study = optuna.create_study(
                storage=storage,
                study_name=target.name,
                sampler=sampler,
                pruner=pruner,
                directions=list(target.directions),
                load_if_exists=True,
            )
            stored_names = study.metric_names
            directions = [d.name.lower() for d in study.directions]
            if stored_names is None:
                study.set_metric_names(list(target.objective_names))
                study.set_user_attr("hyperlax", study_record)
    except DB_ERRORS as exc:
        raise InputError(f"cannot open storage {mask_url(url)}: {first_line_of(exc, url)}") from None
    names, wanted = list(target.objective_names), list(target.directions)
    if (stored_names or names) != names or directions != wanted:
        raise InputError(
            f"study '{target.name}' in {mask_url(url)} optimises {' '.join(stored_names or [])} "
            f"({' '.join(directions)}), not {' '.join(names)} "
            f"({' '.join(wanted)}); use its objectives or another --study-name"
        )
    check_record(study, study_record, target.name, url)
    return study, storage


def check_record(study, study_record: dict, study_name: str, url: str) -> None:
    """A study joined or resumed must have been started with the same settings as this command's."""
    stored = study.user_attrs.get("hyperlax", study_record)
    for key in {**stored, **study_record}:  # a setting only one side records differs too
        value = study_record.get(key)
        if stored.get(key) == value:
            continue
        if isinstance(value, dict):  # name the entries that differ, not the whole search space
            other = stored.get(key, {})
            key = f"{key} of {', '.join(sorted(k for k in {*value, *other} if value.get(k) != other.get(k)))}"
        raise InputError(
            f"study '{study_name}' in {mask_url(url)} was started with other {key}; "
            f"use the same settings or another --study-name"
        )


def load_stored_study(study_dir: str, storage: str | None):
    """The study a study directory's study.json names, in its storage (or the --storage given)."""
    path = Path(study_dir)
    if not (path / STUDY_FILE).is_file():
        raise InputError(f"--study-dir {path}: no {STUDY_FILE} there; give the directory optuna-hp-search wrote")
    stored = read_json(path / STUDY_FILE, "--study-dir")
    stored = stored.get("args") if isinstance(stored, dict) else None
    if not isinstance(stored, dict) or not isinstance(stored.get("study_name"), str):
        raise InputError(
            f"{path / STUDY_FILE} names no study; it was not written by optuna-hp-search, or it was edited"
        )
    if storage is not None:
        check_storage(storage)
    source = storage or stored.get("storage")
    url = connect_url(path, source)
    if storage is None and stored.get("storage") is None:
        if not (path / DB_FILE).is_file():
            raise InputError(f"--study-dir {path}: no {DB_FILE} there; the study's storage is gone")
        check_sqlite_file(path / DB_FILE, f"--study-dir {path}")
    try:
        return optuna.load_study(study_name=stored["study_name"], storage=make_storage(url))
    except KeyError:
        raise InputError(f"{mask_url(url)} holds no study '{stored['study_name']}'") from None
    except DB_ERRORS as exc:
        rdb = source is not None and storage_kind(source) == "rdb"
        dropped = rdb and sqlalchemy.engine.make_url(source).password == "***"
        hint = "; study.json keeps no password: give --storage with it, or set PGPASSWORD" if dropped else ""
        raise InputError(
            f"cannot open study '{stored['study_name']}' in {mask_url(url)}: {first_line_of(exc, url)}{hint}"
        ) from None


def open_existing(storage: str, what: str = "--storage"):
    """A storage that must already exist (nothing is created to read it): a file, or a database or proxy."""
    check_storage(storage)
    kind = storage_kind(storage)
    path = journal_path(storage) if kind == "journal" else None
    if kind == "rdb" and sqlalchemy.engine.make_url(storage).get_backend_name() == "sqlite":
        path = Path(sqlalchemy.engine.make_url(storage).database or "")
    if path is not None and not path.is_file():
        raise InputError(f"{what} {storage}: {path} does not exist; it holds no study")
    try:
        return make_storage(storage, heartbeat_interval=None) if kind != "rdb" else optuna.storages.get_storage(storage)
    except DB_ERRORS as exc:
        raise InputError(f"cannot open storage {mask_url(storage)}: {first_line_of(exc, storage)}") from None
