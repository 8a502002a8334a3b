"""The layers of an app hold (docs/ARCHITECTURE.md, "Writes and reads"):

* selectors read and never write, and neither do the `@merchant_config` loaders nor the
  settings readers (`program_settings`, `cashback_settings`...): what a reader finds
  missing, it answers with the defaults; a service (`*_settings_ensure`) makes the row;
* rows are locked only in `lock_objects.py`: `select_for_update` and PostgreSQL's
  advisory locks appear nowhere else under apps/ (migrations aside);
* a service's transaction is `@transaction.atomic(savepoint=False)`: inside the one a
  request or task opens at its edge (`core.transactions.edge_transaction`) it creates no
  savepoint.

Checked on the syntax tree, so comments and docstrings do not count.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "apps"

WRITES = {
    "create",
    "save",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
}
# `.update(...)` is also how a dict or a set grows: allowed on a name bound to one.
CONTAINERS = (ast.Dict, ast.Set, ast.DictComp, ast.SetComp)
CONTAINER_CALLS = {"dict", "set", "defaultdict", "Counter", "OrderedDict"}
ADVISORY = re.compile(r"pg_(try_)?advisory", re.IGNORECASE)
SETTINGS_READER = re.compile(r"[a-z_]*_settings(_for|_get)?")


def _sources() -> list[Path]:
    return sorted(path for path in APPS.rglob("*.py") if "migrations" not in path.parts)


def _is_selectors(path: Path) -> bool:
    return path.name == "selectors.py" or path.name.endswith("_selectors.py")


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def _container_names(tree: ast.AST) -> set[str]:
    """Names assigned a dict or a set somewhere in the module (`found = {}`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            value = node.value
            container = isinstance(value, CONTAINERS) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in CONTAINER_CALLS
            )
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if container:
                names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _write_calls(tree: ast.AST, containers: set[str]) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        on_container = isinstance(receiver, ast.Name) and receiver.id in containers
        if method in WRITES or (method == "update" and not on_container):
            calls.append(node)
    return calls


def _writes_in_module(tree: ast.Module) -> list[ast.Call]:
    return _write_calls(tree, _container_names(tree))


def _is_config_loader(function: ast.AST) -> bool:
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "merchant_config":
            return True
    return False


def _is_settings_reader(function: ast.AST) -> bool:
    """`program_settings`, `analytics_settings_for`...: named after what they return."""
    return isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and bool(
        SETTINGS_READER.fullmatch(function.name)
    )


def _is_atomic(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "atomic"


def _savepoint_decorators(tree: ast.AST) -> list[ast.AST]:
    """`@transaction.atomic` decorators that would open a savepoint when nested:
    bare, or called without `savepoint=False`."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in function.decorator_list:
            if _is_atomic(decorator):
                found.append(decorator)
            elif isinstance(decorator, ast.Call) and _is_atomic(decorator.func):
                savepoint = {k.arg: k.value for k in decorator.keywords}.get("savepoint")
                if not (isinstance(savepoint, ast.Constant) and savepoint.value is False):
                    found.append(decorator)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ) and (docstring := ast.get_docstring(node, clean=False)):
            first = node.body[0]
            if isinstance(first, ast.Expr) and first.value.value == docstring:
                ids.add(id(first.value))
    return ids


def _locks(tree: ast.AST) -> list[ast.AST]:
    """`select_for_update` and advisory-lock SQL, outside docstrings."""
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        row_lock = isinstance(node, ast.Attribute) and node.attr == "select_for_update"
        advisory = (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and ADVISORY.search(node.value)
        )
        if row_lock or advisory:
            found.append(node)
    return found


def test_selectors_never_write():
    offending = []
    for path in filter(_is_selectors, _sources()):
        tree = ast.parse(path.read_text(), filename=str(path))
        offending += [
            f"{_where(path, call)} .{call.func.attr}(" for call in _writes_in_module(tree)
        ]
    assert not offending, "selectors read only; move these writes to a service:\n" + "\n".join(
        offending
    )


def test_config_loaders_never_write():
    offending = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        containers = _container_names(tree)
        for loader in filter(_is_config_loader, ast.walk(tree)):
            offending += [
                f"{_where(path, call)} .{call.func.attr}( in {loader.name}"
                for call in _write_calls(loader, containers)
            ]
    assert not offending, "@merchant_config loaders read only:\n" + "\n".join(offending)


def test_settings_readers_never_write():
    """A reader of a merchant's settings answers the defaults when there is no row yet: a
    `get_or_create` there would write (and open a savepoint) on every first read."""
    offending, readers = [], 0
    for path in _sources():
        if path.name.endswith("views.py"):
            continue  # a settings page, not a reader
        tree = ast.parse(path.read_text(), filename=str(path))
        containers = _container_names(tree)
        for reader in filter(_is_settings_reader, ast.walk(tree)):
            readers += 1
            offending += [
                f"{_where(path, call)} .{call.func.attr}( in {reader.name}"
                for call in _write_calls(reader, containers)
            ]
    assert readers >= 5  # program, cashback, referral, tier and analytics settings
    assert not offending, "settings readers read only; make the row in a service:\n" + "\n".join(
        offending
    )


def test_rows_are_locked_only_in_lock_objects():
    offending = []
    for path in _sources():
        if path.name == "lock_objects.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        offending += [_where(path, node) for node in _locks(tree)]
    assert not offending, "lock rows through the app's lock_objects.py:\n" + "\n".join(offending)


def test_services_open_no_savepoint():
    """One transaction per request or task, opened at its edge: a service joins it
    without a savepoint (and opens its own when called alone)."""
    offending = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        offending += [_where(path, node) for node in _savepoint_decorators(tree)]
    assert not offending, "write @transaction.atomic(savepoint=False):\n" + "\n".join(offending)


def _private_imports(tree: ast.AST) -> list[ast.ImportFrom]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and any(
            alias.name.startswith("_") and not alias.name.startswith("__") for alias in node.names
        )
    ]


def test_no_private_name_is_imported_from_another_module():
    """A name with a leading underscore belongs to its module: what others need is public."""
    offending = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        offending += [_where(path, node) for node in _private_imports(tree)]
    assert not offending, "import public names only:\n" + "\n".join(offending)
    assert _private_imports(ast.parse("from .services import _credit\n"))


def test_the_checks_see_what_they_look_for():
    """The checks above are not vacuous: they catch each kind of write and lock, and let
    a dict's or a set's `update` through."""
    module = ast.parse(
        "found = {}\n"
        "seen = set()\n"
        "def read(merchant):\n"
        '    """Say pg_advisory_lock in prose: not a lock."""\n'
        "    found.update(a=1)\n"
        "    seen.update([1])\n"
        "    Row.objects.bulk_create([Row()], ignore_conflicts=True)\n"
        "    Row.objects.filter(merchant=merchant).update(x=1)\n"
        "    row, _ = Row.objects.get_or_create(merchant=merchant)\n"
        "    row.save()\n"
        "    rows.update(x=2)\n"
        "    Row.objects.select_for_update().get(pk=1)\n"
        '    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [1])\n'
    )
    writes = sorted(call.func.attr for call in _writes_in_module(module))
    assert writes == ["bulk_create", "get_or_create", "save", "update", "update"]
    assert len(_locks(module)) == 2
    loader = ast.parse("@merchant_config(Row)\ndef terms(merchant):\n    pass\n").body[0]
    assert _is_config_loader(loader)


MAX_MODULE_LINES = 600


def test_no_module_is_over_600_lines():
    """A module past this size holds more than one concern: split it into a package."""
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in _sources()
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "\n".join(long)


def _registered_functions() -> set[str]:
    """Handlers of the declared events and contributions to the extension points: they
    take what their event or point declares (one payload, or its fixed arguments)."""
    from dataclasses import fields, is_dataclass

    from apps.core import events, extensions

    found = []
    for value in vars(events).values():
        if isinstance(value, events.Event):
            found += [subscription.handler for subscription in value.subscriptions]
    for value in vars(extensions).values():
        if isinstance(value, extensions.ExtensionPoint):
            for contribution in value:
                if is_dataclass(contribution):
                    found += [getattr(contribution, field.name) for field in fields(contribution)]
                else:
                    found.append(contribution)
    return {
        f"{function.__module__}.{function.__qualname__}"
        for function in found
        if callable(function) and hasattr(function, "__qualname__")
    }


def _is_service_or_selector(path: Path) -> bool:
    parts = path.relative_to(APPS).with_suffix("").parts
    return any(part in {"services", "selectors"} for part in parts)


def test_public_services_and_selectors_take_keyword_only_arguments():
    """`merchant_create(name=..., actor=...)`, never `merchant_create(name, user)`: a call
    reads the same wherever it is, and arguments cannot be swapped unseen."""
    registered = _registered_functions()
    positional = []
    for path in _sources():
        if not _is_service_or_selector(path):
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            if f"{module}.{node.name}" in registered:
                continue
            if node.args.posonlyargs or node.args.args:
                positional.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not positional, "\n".join(positional)
    decorated = ast.parse(
        "@transaction.atomic\ndef a(): pass\n"
        "@transaction.atomic()\ndef b(): pass\n"
        "@atomic(savepoint=True)\ndef c(): pass\n"
        "@transaction.atomic(savepoint=False)\ndef d(): pass\n"
    )
    assert len(_savepoint_decorators(decorated)) == 3
    reader, ensure = ast.parse("def cashback_settings(m): pass\ndef x_settings_ensure(): pass").body
    assert _is_settings_reader(reader)
    assert not _is_settings_reader(ensure)
