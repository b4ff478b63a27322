"""The fixed scenario of the campaign: a tenant and a config whose plan has creates, a rename,
membership changes, a deactivation, DNC adds and DNC removals (six user rows, five DNC calls
in batches of one)."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

TOKEN = "rel-s3cret-token-0123456789"
SUBDOMAIN = "acme"


def _user(email: str, first: str, last: str, **kw: Any) -> dict[str, Any]:
    u: dict[str, Any] = {"email": email, "first_name": first, "last_name": last}
    u.update(kw)
    return u


SEED: dict[str, Any] = {
    "subdomain": SUBDOMAIN,
    "token": TOKEN,
    "roles": ["Admin", "Manager", "Agent"],
    "teams": ["Tier 1", "Tier 2"],
    "locations": ["Mexico", "Austin"],
    "users": [
        _user("boss@acme-corp.com", "Bea", "Boss", roles=["Admin"]),
        _user("ana@acme-corp.com", "Ana", "Lopez", roles=["Agent"], teams=["Tier 1"]),
        _user("old.bob@acme-corp.com", "Bob", "Stone", roles=["Agent"]),
        _user("dan@acme-corp.com", "Dan", "Gone", roles=["Agent"], teams=["Tier 2"]),
        _user("eve@acme-corp.com", "Eve", "Moss", roles=["Agent"]),
        _user("fay@acme-corp.com", "Fay", "Reed", roles=["Agent"], teams=["Tier 1"]),
        _user("gus@acme-corp.com", "Gus", "Hale", roles=["Agent"]),
    ],
    "dnc": [
        {"phone_number": "+14155550100", "expires_at": None},
        {"phone_number": "+14155550199", "expires_at": None},
    ],
}

# boss and gus unchanged; ana: location + memberships; old.bob renamed; dan deactivated;
# cy and flo created. DNC: three adds, two removals.
CONFIG = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
  - email: ana@acme-corp.com
    first_name: Ana
    last_name: Lopez
    location: Austin
    roles: [Agent, Manager]
    teams: [Tier 2]
  - email: bob@acme-corp.com
    renamed_from: old.bob@acme-corp.com
    first_name: Bob
    last_name: Stone
    roles: [Agent]
  - email: dan@acme-corp.com
    first_name: Dan
    last_name: Gone
    status: Inactive
    roles: [Agent]
    teams: [Tier 2]
  - email: eve@acme-corp.com
    first_name: Eve
    last_name: Moss
    roles: [Agent]
  - email: fay@acme-corp.com
    first_name: Fay
    last_name: Reed
    roles: [Agent]
    teams: [Tier 1]
  - email: gus@acme-corp.com
    first_name: Gus
    last_name: Hale
    roles: [Agent]
  - email: new.cy@acme-corp.com
    first_name: Cy
    last_name: New
    location: Mexico
    roles: [Agent]
    teams: [Tier 1]
  - email: flo@acme-corp.com
    first_name: Flo
    last_name: Field
    roles: [Agent, Manager]
dnc:
  - "+1 415 555 0101"
  - "+1 415 555 0102"
  - phone_number: "+1 415 555 0103"
    expires_at: "2099-01-01T00:00:00Z"
  - phone_number: "+1 415 555 0100"
    state: absent
  - phone_number: "+1 415 555 0199"
    state: absent
policy:
  max_dnc_removals: 5
"""

# The two configs of the concurrent runs: each changes one user and declares the other as the
# seed has it (A: eve gets a new last name; B: fay moves to Tier 2). No DNC, so the race is
# the job list's alone.
_PAIR_BASE = """\
users:
  - email: boss@acme-corp.com
    first_name: Bea
    last_name: Boss
    roles: [Admin]
  - email: eve@acme-corp.com
    first_name: Eve
    last_name: {eve_last}
    roles: [Agent]
  - email: fay@acme-corp.com
    first_name: Fay
    last_name: Reed
    roles: [Agent]
    teams: [{fay_team}]
"""
CONFIG_A = _PAIR_BASE.format(eve_last="Moss-Hart", fay_team="Tier 1")
CONFIG_B = _PAIR_BASE.format(eve_last="Moss", fay_team="Tier 2")


def seed() -> dict[str, Any]:
    return copy.deepcopy(SEED)


def write_config(directory: Path, text: str = CONFIG) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "users.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return directory
