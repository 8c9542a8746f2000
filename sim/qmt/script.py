"""Loading a QMT built-in script as QMT does: GBK (or UTF-8) source, Python 3.6 grammar, whitelisted imports."""
from __future__ import annotations

import ast
import builtins
import re
import sys
from pathlib import Path

ALLOWED_THIRD_PARTY = frozenset({"numpy", "pandas"})
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class ScriptError(ValueError):
    """A script QMT would not load: wrong encoding, newer syntax, forbidden import."""


def read_source(path: str | Path) -> tuple[str, str]:
    """Decode a script's bytes like QMT: its coding cookie, else UTF-8 (BOM allowed), else GBK. Returns (text, enc)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"cannot read strategy script {path}: {exc.strerror}; check the path") from exc
    cookie = None
    for line in raw.splitlines()[:2]:
        m = _CODING.match(line)
        if m:
            cookie = m.group(1).decode("ascii").lower()
            break
    candidates = [cookie] if cookie else ["utf-8-sig", "gbk"]
    for enc in candidates:
        try:
            return raw.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise ScriptError(f"strategy script {path} is neither valid UTF-8 nor GBK (declared: {cookie or 'none'}); "
                      "save it as GBK, which QMT's editor uses")


def check_py36(source: str, path: str | Path) -> None:
    """Raise ScriptError if the source does not parse under Python 3.6's grammar (QMT's embedded Python)."""
    try:
        ast.parse(source, str(path), feature_version=(3, 6))
    except SyntaxError as exc:
        raise ScriptError(f"{path}:{exc.lineno}: {exc.msg} under Python 3.6 grammar (QMT's Python); "
                          "rewrite that line without newer syntax") from exc


def imported_modules(source: str) -> set[str]:
    """Top-level names of every module the source imports (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def allowed_module(name: str) -> bool:
    """True for the standard library, numpy and pandas (what import whitelists in QMT let through), and for
    modules the script itself registered in sys.modules from embedded source (no spec, no file)."""
    top = name.split(".")[0]
    if top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY:
        return True
    mod = sys.modules.get(top)
    return mod is not None and getattr(mod, "__spec__", None) is None


def guarded_builtins(enforce: bool) -> dict:
    """A builtins dict whose __import__ refuses modules outside the whitelist when `enforce` is set."""
    b = dict(vars(builtins))
    if not enforce:
        return b
    real_import = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and not allowed_module(name):
            raise ImportError(f"import of {name!r} is not allowed in a QMT built-in script "
                              "(stdlib, numpy and pandas only); inline the code or drop the import")
        return real_import(name, globals, locals, fromlist, level)

    b["__import__"] = _import
    return b
