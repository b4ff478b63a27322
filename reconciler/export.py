"""Write a config directory from a live tenant, so that ``plan`` against the same tenant reports
no changes. This is how a team adopts the reconciler on an existing tenant.

Layout::

    DIR/tenant.yaml        version, tenant.subdomain (and domain), policy (unmanaged_users: ignore)
    DIR/users/<x>.yaml     users whose e-mail starts with <x> (a-z, 0-9, "other")
    DIR/roles.yaml         every tenant role with its members
    DIR/teams.yaml         every tenant team with its members
    DIR/dnc.yaml           with --dnc-numbers: the numbers found on the list (without it, an
                           existing dnc.yaml is kept as it is: the API cannot list the numbers)

Per user it writes ``first_name``, ``last_name`` and ``status`` always; ``agent_number``,
``location`` and ``max_chat_limit`` when set; ``max_chat_limit_enabled`` always. The DNC list
cannot be listed through the API: only the numbers given are checked (one call each).

Export never destroys a declaration it cannot reproduce: ``--force`` keeps an existing
``dnc.yaml`` when no ``--dnc-numbers`` are given, and refuses (before any API call) when the
numbers given do not include every number the existing ``dnc.yaml`` declares. Role and team
names are written exactly (quoted when they have leading or trailing spaces); a blank name
cannot be written, so it is skipped with a warning and left unmanaged.
"""

from __future__ import annotations

import io
import os
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.config import load_config
from reconciler.errors import ConfigError, Diagnostic, ReconcilerError, read_text_file
from reconciler.live import fetch_live
from reconciler.phone import normalize_phone
from reconciler.platform.connection import platform_domain
from reconciler.state import LiveDnc, LiveState, LiveUser, Location, UserStatus

OWNED_FILES = ("tenant.yaml", "roles.yaml", "teams.yaml", "dnc.yaml")


class ExportError(ReconcilerError):
    """Export refused or failed."""


@dataclass(slots=True)
class ExportResult:
    files: list[Path] = field(default_factory=list)
    users: int = 0
    dnc_listed: int = 0
    dnc_checked: int = 0
    skipped: list[str] = field(default_factory=list)  # messages for users not exported
    kept: list[str] = field(default_factory=list)  # messages for files kept as they were


def read_numbers(path: str | Path, region: str = "US") -> list[tuple[str, str]]:
    """``(E.164, raw)`` from a file with one number per line (blank lines and ``#`` comments
    ignored, duplicates dropped). Raises :class:`ExportError` naming file:line for each bad
    number, before any API call."""
    p = Path(path)
    text = read_text_file(p, lambda why: ExportError(f"cannot read {p}: {why}"))
    out: dict[str, str] = {}
    errors: list[Diagnostic] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        raw = line.split("#", 1)[0].strip()
        if not raw:
            continue
        try:
            out.setdefault(normalize_phone(raw, region), raw)
        except ValueError as err:
            col = line.index(raw) + 1
            errors.append(Diagnostic(f"{raw!r}: {err}", Location(str(p), lineno, col)))
    if errors:
        n = len(errors)
        raise ExportError(
            f"{n} invalid phone number{'s' if n != 1 else ''} in {p}; nothing was written", errors
        )
    return list(out.items())


def _check_target(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise ExportError(
            f"{out_dir} is not empty; choose an empty directory or pass --force to replace the "
            "exported files in it"
        )


def _declared_numbers(path: Path) -> list[str]:
    """The numbers an existing ``dnc.yaml`` declares (with the policy's region when the
    ``tenant.yaml`` next to it sets one)."""
    files = [p for p in (path.parent / "tenant.yaml", path) if p.is_file()]
    try:
        loaded = load_config([str(p) for p in files])
    except ConfigError as err:
        raise ExportError(
            f"{path} exists and is not a valid config, so export cannot tell which DNC "
            "declarations replacing it would lose; fix it, or move it away and export again",
            err.diagnostics,
        ) from None
    return sorted(loaded.state.dnc)


def _check_dnc_file(out_dir: Path, force: bool, numbers: Sequence[tuple[str, str]] | None) -> None:
    """Refuse to replace a ``dnc.yaml`` with one that drops numbers it declares."""
    path = out_dir / "dnc.yaml"
    if not force or numbers is None or not path.is_file():
        return
    checked = {n for n, _ in numbers}
    lost = [n for n in _declared_numbers(path) if n not in checked]
    if lost:
        shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        one = len(lost) == 1
        them = "it" if one else "them"
        raise ExportError(
            f"{path} declares {len(lost)} number{'' if one else 's'} that --dnc-numbers does "
            f"not list ({shown}); replacing it would lose "
            f"{'that declaration' if one else 'those declarations'}. Add {them} to the "
            f"--dnc-numbers file to check {them} again, or delete dnc.yaml to drop {them} on "
            "purpose; nothing was written"
        )


def _bucket(email: str) -> str:
    c = email[:1].lower()
    return c if c in string.ascii_lowercase + string.digits else "other"


def _user_doc(u: LiveUser) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "email": u.email_raw,
        "first_name": u.first_name,
        "last_name": u.last_name,
    }
    if u.agent_number:
        doc["agent_number"] = u.agent_number
    doc["status"] = str(u.status.value if isinstance(u.status, UserStatus) else u.status)
    if u.location:
        doc["location"] = u.location
    if u.max_chat_limit is not None and u.max_chat_limit >= 1:
        doc["max_chat_limit"] = u.max_chat_limit
    doc["max_chat_limit_enabled"] = u.max_chat_limit_enabled
    return doc


def _dump(data: Any) -> str:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def _fmt_time(dnc: LiveDnc) -> str | None:
    if dnc.expires_at is None:
        return None
    return dnc.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")


def render_files(
    live: LiveState,
    *,
    subdomain: str | None,
    domain: str | None = None,
    numbers: Sequence[tuple[str, str]] | None = None,
    ownership_role: str | None = None,
) -> tuple[dict[str, str], ExportResult]:
    """The config as ``{relative path: YAML text}`` (pure).

    ``ownership_role``: export only the users holding that role (the users the config will
    own), set ``policy.ownership_role`` and leave the role out of roles.yaml (the config never
    names it: every declared user gets it)."""
    result = ExportResult()
    files: dict[str, str] = {}
    head = "# Exported by `ccai-reconciler export` from the live tenant.\n"
    tenant_doc: dict[str, Any] = {"version": 1}
    if subdomain:
        tenant_doc["tenant"] = {"subdomain": subdomain}
        if domain:
            tenant_doc["tenant"]["domain"] = domain
    tenant_doc["policy"] = {"unmanaged_users": "ignore"}
    if ownership_role is not None:
        if ownership_role not in live.roles:
            raise ExportError(
                f"--ownership-role {ownership_role!r} does not exist in the tenant (create the "
                "role once in the portal and assign it to the users the config should own)"
            )
        tenant_doc["policy"]["ownership_role"] = ownership_role
    unowned = 0

    buckets: dict[str, list[dict[str, Any]]] = {}
    exported: set[str] = set()
    for key in sorted(live.users):
        u = live.users[key]
        if ownership_role is not None and ownership_role not in u.roles:
            unowned += 1
            continue
        if not u.first_name.strip() or not u.last_name.strip():
            result.skipped.append(
                f"{u.email_raw}: not exported (first_name and last_name are required in the "
                "config and the tenant has a blank one); it stays unmanaged"
            )
            continue
        buckets.setdefault(_bucket(key), []).append(_user_doc(u))
        exported.add(key)
    for name in sorted(buckets):
        files[f"users/{name}.yaml"] = head + _dump({"users": buckets[name]})
    result.users = len(exported)
    if unowned:
        result.skipped.append(
            f"{unowned} user{'s' if unowned != 1 else ''} without the role {ownership_role!r}: "
            "not exported (--ownership-role: the config owns only the users holding it; the "
            "others are never touched)"
        )

    policy: dict[str, Any] = tenant_doc["policy"]
    for section, names, attr in (("roles", live.roles, "roles"), ("teams", live.teams, "teams")):
        groups: dict[str, Any] = {}
        blank = [name for name in names if not name.strip()]
        for name in blank:
            result.skipped.append(
                f"{section[:-1]} {name!r}: not exported (the config cannot name a {section[:-1]} "
                f"with a blank name); policy.manage_{section} lists the others, so its "
                "memberships stay unmanaged"
            )
        if blank:
            policy[f"manage_{section}"] = [name for name in names if name.strip()]
        for name in names:
            if not name.strip() or (section == "roles" and name == ownership_role):
                continue
            members = sorted(
                live.users[k].email_raw for k in exported if name in getattr(live.users[k], attr)
            )
            groups[name] = {"members": members}
        files[f"{section}.yaml"] = head + _dump({section: groups})
    files["tenant.yaml"] = head + _dump(tenant_doc)

    if numbers is not None:
        entries: list[dict[str, Any]] = []
        for number, _raw in numbers:
            d = live.dnc.get(number)
            if d is None or not d.do_not_call:
                continue
            entry: dict[str, Any] = {"phone_number": number}
            exp = _fmt_time(d)
            if exp:
                entry["expires_at"] = exp
            entries.append(entry)
        result.dnc_listed = len(entries)
        result.dnc_checked = len(numbers)
        files["dnc.yaml"] = head + _dump({"dnc": entries})
    return files, result


def export_config(
    client: Any,
    out_dir: str | Path,
    *,
    numbers: Sequence[tuple[str, str]] | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    ownership_role: str | None = None,
) -> ExportResult:
    """Fetch the tenant (one template GET + one DNC check per number) and write the config
    (``ownership_role``: only the users holding it, see :func:`render_files`)."""
    out = Path(out_dir)
    _check_target(out, force)
    _check_dnc_file(out, force, numbers)
    live = fetch_live(client, [n for n, _ in numbers or ()], progress=progress)
    files, result = render_files(
        live,
        subdomain=getattr(client, "subdomain", None),
        domain=platform_domain(getattr(client, "base_url", ""), getattr(client, "subdomain", None)),
        numbers=numbers,
        ownership_role=ownership_role,
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
        if force:  # replace what an earlier export wrote, nothing else
            for name in OWNED_FILES:
                if name == "dnc.yaml" and numbers is None and (out / name).is_file():
                    result.kept.append(
                        f"kept {out / name} as it was: the API cannot list the DNC numbers, so "
                        "export cannot write them again; pass --dnc-numbers FILE to check and "
                        "rewrite them"
                    )
                    continue
                (out / name).unlink(missing_ok=True)
            users_dir = out / "users"
            if users_dir.is_dir():
                for f in users_dir.glob("*.yaml"):
                    f.unlink()
        for rel, text in files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            result.files.append(path)
    except OSError as err:
        raise ExportError(f"cannot write to {out}: {err.strerror or err}") from None
    return result
