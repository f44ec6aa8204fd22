"""The rules of the house (ARCHITECTURE.md), checked on the source: a change that breaks one fails here.

- core/ is the typed library: it never imports the CLI (typer, click, rich, ecrctl.cli) nor the
  sandbox, so that it can be used and tested without either.
- No module over 400 lines: a module that grows past that holds two things.
- ECR is called through core/ecr/api.py's EcrRegistry (its parts are core/ecr/*): no module
  but those calls an ECR operation, and none but those and the session builds an ECR client.
- No module patches a dependency: no ``setattr`` on, and no assignment to an attribute of, a
  module it imports (typer, click, botocore, the standard library) or a member of one. Start-up
  time is won through public API (the lazy group, the root-help cache, the typer version), never
  by replacing a dependency's function: that breaks silently on its next release.
- core/ reports through the callbacks it is given: it never prints nor touches sys.stdout or
  sys.stderr (cli/streams.py owns them).
- Tests and benchmarks build their HTTP peers on tests/fakehttp.py: no other module of tests/ or
  bench/ derives from or starts an http.server (or socketserver) class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ecrctl"
MAX_LINES = 400


def modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_the_cli_or_the_sandbox(path: Path) -> None:
    forbidden = ("typer", "click", "rich", "ecrctl.cli", "ecrctl.sandbox")
    bad = sorted(
        name
        for name in imported(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_ecr_paginators_are_made_in_the_registry_wrapper_only() -> None:
    makers = {
        str(p.relative_to(PACKAGE))
        for p in modules("core")
        if "get_paginator(" in p.read_text(encoding="utf-8")
        and not str(p.relative_to(PACKAGE)).startswith("core/ecr/")
    }
    # core/ecr/ (EcrRegistry) pages ECR; events, SNS and Organizations page their own services.
    assert makers <= {
        "core/events/resources.py",
        "core/events/sns.py",
        "core/org/accounts.py",
    }, makers


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """ecrctl module -> the ecrctl modules it imports, wherever the import stands (at the top, in
    a function, under TYPE_CHECKING): a circle hidden in a function is still a circle."""
    known = {_module_name(p) for p in modules()}
    graph: dict[str, set[str]] = {}
    for path in modules():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module in known:
                    edges.add(node.module)
                edges.update(
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in known
                )
        name = _module_name(path)
        edges.discard(name)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other() -> None:
    """No circles between files: what two modules share lives in a third, below both."""
    assert circles(import_graph()) == []


def test_the_circle_check_sees_a_circle_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert "ecrctl.cli.commands.events.admin" in import_graph()["ecrctl.cli.commands.events"]


def test_every_end_to_end_module_is_marked_e2e() -> None:
    """`pytest -m "not e2e"` is the quick run: a file under tests/e2e/ that forgets the mark
    would slip into it (and its subprocesses and servers with it)."""
    unmarked = []
    for path in sorted((PACKAGE.parent / "tests" / "e2e").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        marks = [
            ast.unparse(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        ]
        if not any("pytest.mark.e2e" in mark for mark in marks):
            unmarked.append(path.name)
    assert unmarked == []


def _imported_names(tree: ast.AST) -> set[str]:
    """The names a module binds by importing anything but ecrctl (``import a.b`` binds ``a``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "ecrctl":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.split(".")[0]
            names.update(alias.asname or alias.name for alias in node.names if top != "ecrctl")
    return names


def _root_name(node: ast.expr) -> str | None:
    """``a`` for ``a.b.c``, ``a.b[0].c`` and ``a``; None when the chain starts elsewhere."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _patched_target(target: ast.expr, imported: set[str]) -> bool:
    """An attribute of an imported name (``typer.core.x``, also among ``a, b = ...``), or an
    entry of its ``__dict__``. A key set in a mapping it holds (``os.environ[k] = v``) is not."""
    if isinstance(target, ast.Tuple | ast.List):
        return any(_patched_target(element, imported) for element in target.elts)
    if isinstance(target, ast.Starred):
        return _patched_target(target.value, imported)
    through_dict = isinstance(target, ast.Subscript) and "__dict__" in ast.unparse(target.value)
    return (isinstance(target, ast.Attribute) or through_dict) and _root_name(target) in imported


def dependency_patches(source: str) -> list[str]:
    """Lines of ``source`` that change a module it imports, or a member of one: ``setattr`` /
    ``delattr`` on it, or an assignment (``=``, ``+=``, annotated) or ``del`` of its attribute."""
    tree = ast.parse(source)
    imported = _imported_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Call):
            setter = ast.unparse(node.func) in {"setattr", "delattr", "object.__setattr__"}
            if setter and node.args and _root_name(node.args[0]) in imported:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
            continue
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        if any(_patched_target(t, imported) for t in targets):
            found.append(f"{node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return found


def test_no_module_patches_a_dependency() -> None:
    patches = {
        str(p.relative_to(PACKAGE)): found
        for p in modules()
        if (found := dependency_patches(p.read_text(encoding="utf-8")))
    }
    assert not patches, patches


@pytest.mark.parametrize(
    "source",
    [
        "import typer.core\nsetattr(typer.core, 'build_runtime_param', lambda d: d)",
        "import typer.core as tc\ntc.build_runtime_param = None",
        "from typer.core import TyperGroup\nTyperGroup.parse_args = lambda *a: []",
        "from typer import core\ndef f():\n    core.x, y = 1, 2",
        "import botocore.loaders\nbotocore.loaders.Loader.load_service_model += 1",
        "import sys\nsys.stdout = open('/dev/null')",
        "import click\ndel click.Group.invoke",
        "import typer\ntyper.core.__dict__['x'] = 1",
        "import typer\ndelattr(typer, 'Typer')",
        "import typer\n[*typer.x] = [1]",
    ],
)
def test_the_patch_check_sees_a_patch(source: str) -> None:
    assert dependency_patches(source), source


def test_the_patch_check_leaves_our_own_objects_alone() -> None:
    source = (
        "import typer\nfrom ecrctl.cli import options\nfrom . import app\n"
        "holder = typer.Typer()\nholder.info.cls = None\noptions.SECTION = 'x'\n"
        "app.x = 1\nsetattr(holder, 'y', 2)\nimport os\nos.environ['K'] = 'v'\n"
        "class G(typer.core.TyperGroup):\n"
        "    def f(self):\n        self.commands = {}\n"
    )
    assert dependency_patches(source) == []


_STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def stream_writes(source: str) -> list[str]:
    """Lines of ``source`` that print or reach the process's stdout/stderr themselves."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
        ):
            found.append(f"{node.lineno}: print(...)")
        elif isinstance(node, ast.Attribute) and node.attr in _STREAMS:
            if isinstance(node.value, ast.Name) and node.value.id == "sys":
                found.append(f"{node.lineno}: sys.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            found += [
                f"{node.lineno}: from sys import {a.name}" for a in node.names if a.name in _STREAMS
            ]
    return found


def test_core_never_writes_to_stdout_or_stderr() -> None:
    """core/ reports through injected callbacks (warn=, progress=, log=): the CLI's stream owner
    or the credential helper decides where a message goes."""
    writers = {
        str(p.relative_to(PACKAGE)): found
        for p in modules("core")
        if (found := stream_writes(p.read_text(encoding="utf-8")))
    }
    assert not writers, writers


@pytest.mark.parametrize(
    "source",
    [
        "print('hello')",
        "import sys\nsys.stderr.write('warning')",
        "import sys\ndef f(out=sys.stdout): pass",
        "from sys import stderr",
        "import sys\nsys.__stderr__.flush()",
    ],
)
def test_the_stream_check_sees_a_write(source: str) -> None:
    assert stream_writes(source), source


# -- ECR is called through EcrRegistry only ---------------------------------------------------

# EcrRegistry (core/ecr/api.py and its parts) calls ECR; session.py builds the clients.
ECR_WRAPPER = "core/ecr/"
# The embedded emulator seeds and answers through raw clients of its own (it stands in for ECR,
# it does not use it); the two commands that start it hand it the emulator's client.
EMULATOR = ("sandbox/", "cli/commands/sandbox.py", "cli/commands/demo.py")
# Receivers named for another service ecrctl calls: an operation ECR shares with that service
# (tag_resource on EventBridge, get_authorization_token on ECR Public, ...) is theirs there.
OTHER_SERVICE_RECEIVERS = frozenset(
    {"events", "sns", "sm", "secretsmanager", "ecr_public", "iam", "sts", "cfn", "ec2"}
)
OTHER_SERVICES = (
    "ecr-public",
    "events",
    "sns",
    "secretsmanager",
    "iam",
    "sts",
    "cloudformation",
    "ec2",
)


def _operations(service: str) -> frozenset[str]:
    """A service's operations as boto3's client methods name them (botocore's model)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    return frozenset(xform_name(name) for name in model.operation_names)


ECR_OPERATIONS = _operations("ecr")
# ECR's operations that another service ecrctl calls also has (see OTHER_SERVICE_RECEIVERS).
SHARED_OPERATIONS = frozenset().union(*(ECR_OPERATIONS & _operations(s) for s in OTHER_SERVICES))


def _receiver(node: ast.expr) -> str:
    """The last name of a call's receiver: ``self.events`` -> events, ``ecr_public`` -> itself."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _receiver(node.func)
    return ""


def _first_string(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def ecr_calls(source: str, *, may_build_clients: bool = False) -> list[str]:
    """Each ECR call in a module's source, as ``line: what``:

    - ``X.<ecr operation>(...)`` on any receiver, except an operation ECR shares with another
      service on a receiver named for that service (``self.events.tag_resource``);
    - an ECR operation named by a string: ``getattr(c, "put_image")``, ``get_paginator(...)``,
      ``registry.call("describe_images", ...)`` (the string-keyed pass-through);
    - an ECR client built: ``.client("ecr")``, ``create_client("ecr")`` (but in session.py)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = _receiver(func.value) if isinstance(func, ast.Attribute) else ""
        theirs = owner in OTHER_SERVICE_RECEIVERS
        if isinstance(func, ast.Attribute) and name in ECR_OPERATIONS:
            if not (theirs and name in SHARED_OPERATIONS):
                found.append(f"{node.lineno}: {ast.unparse(func)}(...)")
            continue
        strings = [_first_string(node)]
        if name == "getattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            strings.append(str(node.args[1].value))
        named = [s for s in strings if s in ECR_OPERATIONS]
        if named and not theirs:
            found.append(f"{node.lineno}: {ast.unparse(func)}({named[0]!r}, ...)")
        keywords = {k.arg: k.value for k in node.keywords}
        service = keywords.get("service_name")
        wanted = _first_string(node) or (
            service.value if isinstance(service, ast.Constant) else None
        )
        if name in ("client", "create_client") and wanted == "ecr" and not may_build_clients:
            found.append(f"{node.lineno}: {ast.unparse(func)}('ecr') builds an ECR client")
    return found


def test_no_module_but_the_registry_wrapper_calls_ecr() -> None:
    """EcrRegistry is the one way to ECR: its client is private, so that the registry id, the
    page size, "not found" and PutImage's pacing are never forgotten by a call made aside."""
    calls = {}
    for path in modules():
        where = str(path.relative_to(PACKAGE))
        if where.startswith(ECR_WRAPPER) or where.startswith(EMULATOR):
            continue
        source = path.read_text(encoding="utf-8")
        found = ecr_calls(source, may_build_clients=where == "session.py")
        if found:
            calls[where] = found
    assert not calls, f"ECR called outside EcrRegistry (core/ecr/): {calls}"


def test_the_ecr_call_check_finds_a_planted_call() -> None:
    planted = """
registry._ecr.describe_images(repositoryName="app")
self.ecr.tag_resource(resourceArn=arn, tags=[])
page = client.get_paginator("list_images")
method = getattr(client, "put_image")
registry.call("batch_delete_image", repositoryName="app")
ecr = clients.client("ecr", region)
ecr = session.create_client(service_name="ecr")
"""
    assert [line.split(":")[0] for line in ecr_calls(planted)] == [str(n) for n in range(2, 9)]
    # Another service's operation of the same name, on a receiver named for it, is not ECR's.
    theirs = """
self.events.tag_resource(ResourceARN=arn, Tags=[])
self.sns.list_tags_for_resource(ResourceArn=arn)
ecr_public.get_authorization_token()
pages = self.events.get_paginator("list_targets_by_rule")
pages = self.sns.get_paginator("list_tags_for_resource")
clients.client("sts").get_caller_identity()
"""
    assert ecr_calls(theirs) == []
    assert ecr_calls('clients.client("ecr")', may_build_clients=True) == []


def test_the_wrappers_methods_are_not_named_as_ecr_operations() -> None:
    """So that the check above tells a call of EcrRegistry from a call of the client."""
    from ecrctl.core.ecr.api import EcrRegistry

    methods = {name for name in dir(EcrRegistry) if not name.startswith("_")}
    assert not methods & ECR_OPERATIONS


def test_the_operations_ecr_shares_with_other_services_are_known() -> None:
    """The names the check lets through on another service's receiver: when botocore's models
    grow another shared name, it is seen here first."""
    assert {"tag_resource", "untag_resource", "list_tags_for_resource"} <= SHARED_OPERATIONS
    assert {"get_authorization_token", "put_image", "describe_images"} <= SHARED_OPERATIONS
    assert "get_lifecycle_policy" not in SHARED_OPERATIONS


# -- one fake HTTP server for the tests (tests/fakehttp.py) ------------------------------------

_SERVER_MODULES = ("http.server", "socketserver")
FAKEHTTP = PACKAGE.parent / "tests" / "fakehttp.py"


def _server_aliases(tree: ast.AST) -> dict[str, str]:
    """Each name a module binds to http.server or socketserver, or to one of their members, and
    what it stands for: ``from http.server import HTTPServer as S`` binds S to
    ``http.server.HTTPServer``; ``import http.server`` binds ``http``."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"http", "socketserver"}:
                    bound = alias.asname or alias.name.split(".")[0]
                    aliases[bound] = alias.name if alias.asname else bound
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if node.module in _SERVER_MODULES or full == "http.server":
                    aliases[alias.asname or alias.name] = full
    return aliases


def _server_member(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The http.server / socketserver member ``node`` names (``hs.HTTPServer``), or None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    full = ".".join([aliases[node.id], *parts])
    return full if full.startswith(tuple(f"{m}." for m in _SERVER_MODULES)) else None


def server_copies(source: str) -> list[str]:
    """Lines of ``source`` that build an HTTP server of their own: a class derived from a class
    of http.server or socketserver (a request handler, a server), also through ``type(...)``,
    or a call of one (a server started)."""
    tree = ast.parse(source)
    aliases = _server_aliases(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [b for b in node.bases if _server_member(b, aliases)]
            found += [f"{node.lineno}: class {node.name}({ast.unparse(b)})" for b in bases]
        elif isinstance(node, ast.Call):
            if _server_member(node.func, aliases):
                found.append(f"{node.lineno}: {ast.unparse(node.func)}(...)")
            elif ast.unparse(node.func) == "type" and len(node.args) == 3:
                bases_arg = node.args[1]
                elements = bases_arg.elts if isinstance(bases_arg, ast.Tuple) else [bases_arg]
                if any(_server_member(e, aliases) for e in elements):
                    found.append(f"{node.lineno}: type(..., {ast.unparse(bases_arg)}, ...)")
    return found


def test_only_fakehttp_builds_an_http_server() -> None:
    """Tests and benchmarks that need an HTTP peer of their own use tests/fakehttp.py (a handler
    function, streamed requests for a proxy, resets, hang-ups): a server class copied into a
    test module is one more to keep right. What fakehttp lacks is added there."""
    root = PACKAGE.parent
    sources = [*sorted((root / "tests").rglob("*.py")), *sorted((root / "bench").glob("*.py"))]
    copies = {
        str(p.relative_to(root)): found
        for p in sources
        if p != FAKEHTTP and (found := server_copies(p.read_text(encoding="utf-8")))
    }
    assert copies == {}, copies


@pytest.mark.parametrize(
    "source",
    [
        "from http.server import BaseHTTPRequestHandler\nclass H(BaseHTTPRequestHandler): pass",
        "import http.server\nclass H(http.server.BaseHTTPRequestHandler): pass",
        "import http.server as hs\ns = hs.ThreadingHTTPServer(('127.0.0.1', 0), object)",
        "from http.server import HTTPServer as S\ndef f():\n    return S(('', 0), None)",
        "from http import server\nserver.HTTPServer(('', 0), None)",
        "import socketserver\nclass S(socketserver.ThreadingMixIn, socketserver.TCPServer): pass",
        "from http.server import ThreadingHTTPServer\nclass S(ThreadingHTTPServer): pass",
        "from http.server import BaseHTTPRequestHandler as B\nH = type('H', (B,), {})",
    ],
)
def test_the_server_check_sees_a_server_of_its_own(source: str) -> None:
    assert server_copies(source), source


def test_the_server_check_leaves_fakehttp_servers_alone() -> None:
    source = (
        "from http.server import BaseHTTPRequestHandler\nimport http.client\n"
        "from tests.fakehttp import FakeServer, Reply\n"
        "def make() -> type[BaseHTTPRequestHandler] | None:\n    return None\n"
        "server = FakeServer(lambda request: Reply(200))\n"
        "http.client.HTTPConnection('127.0.0.1', 80)\nclass HTTPServer: pass\nHTTPServer()\n"
    )
    assert server_copies(source) == []


def media_type_literals(source: str) -> list[str]:
    """Image media types spelled in a module (docker's and OCI's: names.py holds them all)."""
    return [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("application/vnd.docker.", "application/vnd.oci."))
    ]


def test_media_types_are_spelled_in_the_names_module_only() -> None:
    spelled = {
        str(p.relative_to(PACKAGE)): found
        for p in modules()
        if p.name != "names.py" and (found := media_type_literals(p.read_text(encoding="utf-8")))
    }
    assert spelled == {}
    assert media_type_literals('X = "application/vnd.oci.image.index.v1+json"') != []
