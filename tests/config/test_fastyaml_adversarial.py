# ruff: noqa: E501  (a table of YAML inputs: one case a line reads best)
"""Adversarial cases for the fast YAML path: each must load exactly as ``fast=False`` does.

Every case is one small file read with the fast path forced (``FAST_MIN_BYTES = 0``, as in
``tests/config/test_fastyaml.py``) and compared with the exact slow path: values, warnings,
every error message and every resolved location. The cases in :data:`REFUSED` are those that
rapidyaml read differently from ruamel.yaml (found by this file; each with the difference it
had): the pre-check (reconciler/config/plainyaml.py) now sends them to the slow path, which a
test checks, and ``test_large_file`` checks some of them at the real size threshold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.config import fastyaml, load_config_sources
from tests.config.test_fastyaml import _outcome, always_fast

__all__ = ["always_fast"]  # the fixture, used by name below

NOW = datetime(2026, 6, 1, tzinfo=UTC)
U = "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n"


def _deep(kind: str, depth: int) -> str:
    """A value nested ``depth`` levels deep (block mapping, block sequence or flow)."""
    if kind == "map":
        keys = "".join(" " * (6 + i) + f"k{i}:\n" for i in range(depth))
        return U + "    location:\n" + keys + " " * (6 + depth) + "v\n"
    if kind == "seq":
        dashes = "".join(" " * (2 + i) + "-\n" for i in range(depth))
        return "dnc:\n" + dashes + " " * (2 + depth) + "x\n"
    return U + "    location: " + "[" * depth + "x" + "]" * depth + "\n"


CASES: dict[str, str] = {
    "base": "users:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "sq_key": "users:\n  - 'email': a@example.com\n    'first_name': A\n    last_name: B\n",
    "dq_key": 'users:\n  - "email": a@example.com\n    "first_name": "A"\n    last_name: B\n',
    "sq_escape": "users:\n  - email: a@example.com\n    first_name: 'O''Brien'\n    last_name: 'B'\n",
    "sq_escape_key": "users:\n  - email: a@example.com\n    'first''name': x\n    last_name: B\n",
    "multiline_plain": "users:\n  - email: a@example.com\n    first_name: Anna\n      Maria\n    last_name: B\n",
    "multiline_dq": 'users:\n  - email: a@example.com\n    first_name: "Anna\n      Maria"\n    last_name: B\n',
    "multiline_sq": "users:\n  - email: a@example.com\n    first_name: 'Anna\n\n      Maria'\n    last_name: B\n",
    "value_next_line": "users:\n  - email:\n      a@example.com\n    first_name: A\n    last_name: B\n",
    "comment_after_dash": "users:\n  - # c\n    email: a@example.com\n    first_name: A\n    last_name: B\n",
    "comment_between": "users:\n  - email: # c\n      a@example.com\n    first_name: A\n    last_name: B\n",
    "hash_in_quotes": "users:\n  - email: a@example.com\n    first_name: 'A # not'\n    last_name: \"B #x\"\n",
    "hash_in_plain": "users:\n  - email: a@example.com\n    first_name: A#B\n    last_name: B\n",
    "empty_value": "users:\n  - email: a@example.com\n    first_name:\n    last_name: B\n",
    "dash_next_line": "users:\n  -\n    email: a@example.com\n    first_name: A\n    last_name: B\n",
    "indentless": "users:\n- email: a@example.com\n  first_name: A\n  last_name: B\n  roles:\n  - Admin\n  - Agent\n",
    "nested_seq": "users:\n  - - email: a@example.com\n",
    "flow_user": "users:\n  - {email: a@example.com, first_name: A, last_name: B}\n",
    "flow_users": "users: [{email: a@example.com, first_name: A, last_name: B}]\n",
    "flow_roles": U + "    roles: [ Admin ,Agent]\n",
    "flow_roles_multiline": U + "    roles: [\n      Admin,\n      Agent,\n    ]\n",
    "crlf": U.replace("\n", "\r\n"),
    "bom": "\ufeff" + U,
    "trailing_spaces": U.replace("\n", "   \n"),
    "no_newline": U.rstrip("\n"),
    "unicode_name": "users:\n  - email: a@example.com\n    first_name: Zoë😀\n    last_name: 名前\n    agent_number: 😀x\n",
    "unicode_before_err": "users:\n  - email: a@example.com\n    first_name: 😀😀\n    last_name: B\n    bogus: 😀\n",
    "dup_top": U + "users: []\n",
    "dup_user_key": "users:\n  - email: a@example.com\n    first_name: A\n    first_name: C\n    last_name: B\n",
    "dup_email": U + "  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "unknown_field": U + "    foo: 1\n",
    "unknown_section": U + "foo: 1\n",
    "bad_email": "users:\n  - email: not-an-email\n    first_name: A\n    last_name: B\n",
    "agent_num_int": U + "    agent_number: 012\n",
    "agent_num_oct": U + "    agent_number: 0o17\n",
    "agent_num_hex": U + "    agent_number: 0x1F\n",
    "agent_num_us": U + "    agent_number: 1_000\n",
    "agent_num_plus": U + "    agent_number: +1\n",
    "agent_num_dot5": U + "    agent_number: .5\n",
    "agent_num_e": U + "    agent_number: 1e3\n",
    "agent_num_neg0": U + "    agent_number: -0\n",
    "agent_num_neg": U + "    agent_number: -12\n",
    "agent_num_big": U + "    agent_number: 123456789012345678901234567890\n",
    "agent_num_leading0": U + "    agent_number: 00\n",
    "agent_num_colon": U + "    agent_number: 1:20\n",
    "agent_num_quoted": U + "    agent_number: '012'\n",
    "chat_yes": U + "    max_chat_limit_enabled: yes\n",
    "chat_on": U + "    max_chat_limit_enabled: on\n",
    "chat_True": U + "    max_chat_limit_enabled: True\n",
    "chat_TRUE": U + "    max_chat_limit_enabled: TRUE\n",
    "chat_tRue": U + "    max_chat_limit_enabled: tRue\n",
    "loc_NULL": U + "    location: NULL\n",
    "loc_tilde": U + "    location: ~\n",
    "loc_Null": U + "    location: Null\n",
    "loc_nUll": U + "    location: nUll\n",
    "loc_empty": U + "    location:\n",
    "loc_emptyq": U + "    location: ''\n",
    "chat_limit_str": U + "    max_chat_limit: five\n",
    "chat_limit_float": U + "    max_chat_limit: 2.0\n",
    "chat_limit_inf": U + "    max_chat_limit: .inf\n",
    "chat_limit_nan": U + "    max_chat_limit: .nan\n",
    "chat_limit_neg": U + "    max_chat_limit: -3\n",
    "chat_limit_0x": U + "    max_chat_limit: 0x10\n",
    "long_line": U + "    location: " + "x" * 20000 + "\n",
    "status_bad": U + "    status: Sleeping\n",
    "key_with_space": U + "    first name: x\n",
    "key_emoji": U + "    😀: x\n",
    "int_role_key": U + "roles:\n  123:\n    members: [a@example.com]\n",
    "int_team_key": U + "teams:\n  2024:\n    members:\n      - a@example.com\n",
    "neg_int_team_key": U + "teams:\n  -5:\n    members:\n      - a@example.com\n",
    "int_user_key": U + "    1: x\n",
    "int_top": U + "1: x\n",
    "bool_role_key": U + "roles:\n  true:\n    members: [a@example.com]\n",
    "yes_role_key": U + "roles:\n  yes:\n    members: [a@example.com]\n",
    "sq_trailing": "users:\n  - email: a@example.com\n    first_name: 'a' b\n    last_name: B\n",
    "dq_trailing": 'users:\n  - email: a@example.com\n    first_name: "a"b\n    last_name: B\n',
    "flow_trailing": U + "    roles: [a, b] c\n",
    "bad_indent": "users:\n  - email: a@example.com\n   first_name: x\n    last_name: B\n",
    "bad_indent2": "users:\n  - email: a@example.com\n     first_name: x\n    last_name: B\n",
    "map_in_value": "users:\n  - email: a@example.com\n    first_name: a: b\n    last_name: B\n",
    "no_space_colon": "users:\n  - email:a@example.com\n",
    "stray_scalar": U + "  bogus\n",
    "stray_scalar2": U + "    bogus\n",
    "unclosed_sq": "users:\n  - email: a@example.com\n    first_name: 'abc\n    last_name: B\n",
    "unclosed_dq": 'users:\n  - email: a@example.com\n    first_name: "abc\n    last_name: B\n',
    "at_start": U + "    location: @x\n",
    "backtick": U + "    location: `x\n",
    "dash_value": U + "    location: -\n",
    "dash_x_value": U + "    location: - x\n",
    "comma_value": U + "    location: ,x\n",
    "rbracket": U + "    location: ]\n",
    "rbrace": U + "    location: }\n",
    "lbracket": U + "    location: [\n",
    "x_rbracket": U + "    location: x]\n",
    "two_dq": U + '    location: "a" "b"\n',
    "flow_trailing_comma": U + "    roles: [a, b, ]\n",
    "flow_space": U + "    roles: [a b]\n",
    "flow_pair": U + "    roles: [a: b]\n",
    "flow_empty_commas": U + "    roles: [ , ]\n",
    "flow_double_comma": U + "    roles: [a,,b]\n",
    "flow_set": U + "    roles: {Admin, Agent}\n",
    "flow_nested": U + "    roles: [a, {b: c}]\n",
    "flow_comment": U + "    roles: [a, # c\n      b]\n",
    "flow_colon_nospace": U + "    roles: [a:b]\n",
    "flow_url": U + "    roles: [http://x]\n",
    "nel_comment": "users:  # x\x85y\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    bogus: 1\n",
    "nel_value": "users:\n  - email: a@example.com\n    first_name: A\x85B\n    last_name: B\n    bogus: 1\n",
    "ls_comment": "users:  # x\u2028y\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    bogus: 1\n",
    "ls_value": "users:\n  - email: a@example.com\n    first_name: A\u2028B\n    last_name: B\n    bogus: 1\n",
    "ps_value": "users:\n  - email: a@example.com\n    first_name: 'A\u2029B'\n    last_name: B\n    bogus: 1\n",
    "nbsp_value": "users:\n  - email: a@example.com\n    first_name: \xa0A\xa0\n    last_name: B\n    bogus: 1\n",
    "bom_mid": "users:\n  - email: a@example.com\n    first_name: \ufeffA\n    last_name: B\n    bogus: 1\n",
    "bom_version": "\ufeffversion: 2\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "bom_first_err": "\ufeffusers: 5\n",
    "version_str": "version: one\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "version_q": "version: '1'\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "tenant_bad": "tenant: {subdomain: 5}\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "tenant_list": "tenant: [a]\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "users_scalar": "users: x\n",
    "users_map": "users:\n  a: b\n",
    "users_null": "users:\n",
    "users_empty_item": "users:\n  -\n",
    "users_empty_item2": "users:\n  - \n  - email: a@example.com\n",
    "users_empty_flow": "users: []\n",
    "users_emptymap_item": "users:\n  - {}\n",
    "root_list": "- a\n",
    "root_scalar": "hello\n",
    "empty_file": "",
    "comment_only": "# hi\n",
    "users_item_list": "users:\n  - [a, b]\n",
    "email_int": "users:\n  - email: 5\n",
    "email_null": "users:\n  - email:\n    first_name: A\n",
    "email_list": "users:\n  - email: [a]\n",
    "email_map": "users:\n  - email:\n      x: y\n",
    "deep_roles": U + "    roles:\n      - - - a\n",
    "dnc_str": "dnc:\n  - '+14155550100'\n  - \"+1 415 555 0101\"\n  - 4155550102\n",
    "dnc_map": "dnc:\n  - phone_number: '+14155550100'\n    expires_at: 2032-10-29 00:00:00 UTC\n  - phone_number: 4155550102\n    comment: x\n",
    "dnc_map_firstcomment": "dnc:\n  - # c\n    phone_number: '+14155550100'\n",
    "dnc_dash_nl": "dnc:\n  -\n    phone_number: '+14155550100'\n  -\n    '+14155550101'\n",
    "dnc_value_nl": "dnc:\n  - phone_number:\n      '+14155550100'\n",
    "dnc_flow": "dnc: ['+14155550100', {phone_number: '+14155550101'}]\n",
    "dnc_flow_ml": "dnc: ['+14155550100',\n  '+14155550101']\n",
    "dnc_indentless": "dnc:\n- '+14155550100'\n- phone_number: 4155550101\n",
    "dnc_bad": "dnc:\n  - '12'\n  - phone_number: 'abc'\n  - phone_number:\n  - {}\n  - []\n  -\n",
    "dnc_dup": "dnc:\n  - '+14155550100'\n  - '+1 415 555 0100'\n",
    "dnc_expired": "dnc:\n  - phone_number: '+14155550100'\n    expires_at: 2020-01-01 00:00:00 UTC\n",
    "dnc_date_unq": "dnc:\n  - phone_number: '+14155550100'\n    expires_at: 2032-01-01\n",
    "dnc_date_bad": "dnc:\n  - phone_number: '+14155550100'\n    expires_at: soon\n",
    "dnc_ml_plain": "dnc:\n  - +1 415\n    555 0100\n",
    "dnc_ml_dq": 'dnc:\n  - "+1 415\n    555 0100"\n',
    "dnc_sq_esc": "dnc:\n  - '+1 (415)''555 0100'\n",
    "dnc_unicode_before": "dnc:\n  - phone_number: '+14155550100'\n    comment: 😀😀😀 ünï\n  - '+1 415 😀'\n",
    "dnc_state": "dnc:\n  - phone_number: '+14155550100'\n    state: absent\n  - phone_number: '+14155550101'\n    state: gone\n",
    "dnc_nested_seq": "dnc:\n  - - '+14155550100'\n",
    "dnc_trailing_sp": "dnc:\n  - '+14155550100'   \n  - +14155550101   # c\n",
    "roles_sections": U
    + "roles:\n  Admin:\n    members:\n      - a@example.com\n  'Team ''X''':\n    members: [a@example.com]\n  \"Dq\":\n    members:\n    - a@example.com\n",
    "roles_empty": U + "roles:\n  Admin:\n",
    "roles_members_empty": U + "roles:\n  Admin:\n    members:\n",
    "roles_unknown_member": U + "roles:\n  Admin:\n    members:\n      - b@example.com\n",
    "roles_members_comment_first": U
    + "roles:\n  Admin:\n    members:\n      # c\n      - a@example.com\n",
    "roles_list_direct": U + "roles:\n  Admin: [a@example.com]\n",
    "roles_dash_comment": U
    + "roles:\n  Admin:\n    members:\n      - # c\n        a@example.com\n",
    "user_roles_dash_comment": U + "    roles:\n      - # c\n        Admin\n",
    "user_roles_dash_nl": U
    + "    roles:\n      -\n        Admin\n      - 'Agent'\n      - \"Sup\"\n",
    "user_first_key_quoted": "users:\n  - 'email': a@example.com\n    first_name: A\n  - \"email\": b@example.com\n    bogus: 1\n",
    "at_key": U + "    '@x': 1\n",
    "at_role": U + "    roles:\n      - @a\n",
    "dq_hash": U + '    location: "a"#c\n',
    "flow_hash": U + "    roles: [a]#c\n",
    "ml_colon": "users:\n  - email: a@example.com\n    first_name: a\n      b: c\n    last_name: B\n",
    "dash_rbracket": U + "    roles:\n      - ]\n",
    "comma_in_plain": U + "    location: a, b\n",
    "brace_in_plain": U + "    location: a{b}\n",
    "colon_end": U + "    location: a:\n",
    "colon_plain": U + "    location: a:b\n",
    "dq_key_colon": U + '    "loc: x": 1\n',
    "renamed": "users:\n  - email: a@example.com\n    renamed_from: old@example.com\n    first_name: A\n    last_name: B\n",
    "question_in_plain": U + "    location: what\n",
    "pct_plain": U + "    location: 50\n",
    "key_trailing_sp": "users:\n  - email   : a@example.com\n    first_name: A\n    last_name: B\n    bogus   : 1\n",
    "deep_indent": "users:\n      -       email: a@example.com\n              first_name: A\n              last_name: B\n              bogus: 1\n",
    "long_key_1024": U + "    " + "k" * 1100 + ": 1\n",
    "field_block_seq": U + "    location:\n      - a\n",
    "field_block_seq_comment": U + "    location:\n      -   # c\n        a\n",
    "field_block_map": U + "    location:\n      'x': 1\n",
    "field_nested_seq": U + "    location:\n      - - a\n",
    "field_seq_of_map_quoted": U + "    location:\n      - 'k': 1\n",
    "users_not_list_deep": "users:\n  email: a@example.com\n",
    "dnc_map_root": "dnc:\n  a: 1\n",
    "dnc_seq_in_dnc_item_map": "dnc:\n  - phone_number:\n      - '+14155550100'\n",
    "dash_minus_value": U + "    location:\n      - -1\n",
    "dash_in_key_before": U + "    location:\n      -\n        -x: 1\n",
    "seq_first_item_map_dash_key": U + "    location:\n      - -k: 1\n",
    "unicode_col": "users:\n  - email: a@example.com\n    first_name: 😀\n    last_name: B\n    roles: [😀, 'ü', \"名\"]\n",
    "bom_col": "\ufeffusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    roles: [x]\n",
    "roles_null_item": U + "    roles:\n      -\n      - Admin\n",
    "roles_int_item": U + "    roles:\n      - 5\n      - Admin\n",
    "roles_bool_item": U + "    roles: [true, Admin]\n",
    "dq_in_plain": U + '    location: a"b\n',
    "dq_in_sq": U + "    location: 'a\"b'\n",
    "dq_in_sq_key": U + "    'x\"y': 1\n",
    "sq_spaces": U + "    location: '  '\n",
    "sq_lead_trail": U + "    location: '  a  '\n",
    "dq_lead_trail_ml": U + '    location: "  a  \n      b  "\n',
    "sq_ml_trailing_sp": U + "    location: 'a   \n      b'\n",
    "plain_ml_blank": U + "    location: a\n\n      b\n",
    "plain_ml_comment": U + "    location: a\n      # c\n      b\n",
    "slash_plain": U + "    location: a/b\n",
    "json_like_flow": U + '    roles: ["a", "b"]\n',
    "json_like_map": U + '    roles: {"a": 1}\n',
    "flow_dq_colon": U + '    roles: ["a":b]\n',
    "flow_sq_adjacent": U + "    roles: ['a','b']\n",
    "flow_ml_plain": U + "    roles: [a\n      b, c]\n",
    "flow_in_flow_empty": U + "    roles: [[], {}]\n",
    "flow_map_empty_val": U + "    roles: {a: , b}\n",
    "flow_map_colon_next": U + '    roles: {"a":1}\n',
    "roles_before_users": "roles:\n  Admin:\n    members:\n      - a@example.com\n  Empty: []\nteams:\n  T1:\n    members: [a@example.com]\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    roles: [Admin, Empty]\n    teams: [T1]\n",
    "users_before_roles": U
    + "    roles: [Admin, Empty]\n    teams: [T1]\nroles:\n  Admin:\n    members:\n      - a@example.com\n  Empty: []\nteams:\n  T1:\n    members: [a@example.com]\n",
    "roles_key_before_email": "users:\n  - roles: [Admin]\n    teams: [T1]\n    email: a@example.com\n    first_name: A\n    last_name: B\n  - email: b@example.com\n    first_name: A\n    last_name: B\n    roles: [Admin]\nroles:\n  Admin:\n    members:\n      - a@example.com\n  Empty: []\n",
    "bad_then_ref": "users:\n  - roles: [Admin]\n    email: bad\n  - email: b@example.com\n    first_name: A\n    last_name: B\n    roles: [Admin]\n",
    "two_users_order": "users:\n  - email: b@example.com\n    first_name: A\n    last_name: B\n    teams: [X, Y]\n    roles: [Y]\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    roles: [X]\n    teams: [Y]\n",
    "section_members_before_key": "roles:\n  Admin:\n    members: [a@example.com]\n  Other:\n    members: [a@example.com]\nusers:\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    roles: [Other]\n",
    "dup_user_in_members": U + "roles:\n  Admin:\n    members: [a@example.com, a@example.com]\n",
    "member_unknown_user": U + "roles:\n  Admin:\n    members: [z@example.com]\n",
    "members_bad_type": U + "roles:\n  Admin:\n    members: {a: 1}\n",
    "members_extra_key": U + "roles:\n  Admin:\n    members: [a@example.com]\n    foo: 1\n",
    "user_role_dup": U + "    roles: [Admin, Admin]\n",
    "user_role_case": U
    + "    roles: [Admin, admin]\nroles:\n  Admin:\n    members:\n      - a@example.com\n  Empty: []\n",
    "seq_after_keys": U + "    - x\n",
    "seq_after_scalar": U + "    location: x\n      - y\n",
    "sq_then_sq": U + "    location: 'a'\n      'b'\n",
    "flow_extra_close": U + "    roles: [a, b]]\n",
    "flowmap_extra_close": U + "    roles: {a: 1}}\n",
    "flow_unclosed": U + "    roles: [a, b\n",
    "dedent_continuation": U + "   x\n",
    "flow_hash_inside": U + "    roles: [a #c\n      ]\n",
    "empty_key": U + "    : x\n",
    "empty_quoted_key": U + "    '': x\n",
    "eq_value": U + "    location: =\n",
    "dot_value": U + "    location: .\n",
    "plus_value": U + "    location: +\n",
    "dot_e": U + "    location: .e1\n",
    "flow_less_indent": U + "    roles: [a,\nb]\n",
    "flowmap_nospace": U + "    roles: {a:1}\n",
    "key_after_seq_same_indent": "users:\n  - email: a@example.com\n  first_name: A\n",
    "plain_space_colon": U + "    location: a :b\n",
    "comment_col0": "users:\n  - email: a@example.com\n# c\n    first_name: A\n    last_name: B\n",
    "comment_indented_more": U + "    location: 'a'\n        # c\n",
    "multiline_key": U + "    a\n      b: c\n",
    "dq_key_ml": U + '    "a\n      b": c\n',
    "sq_key_ml": U + "    'a\n      b': c\n",
    "flow_key_quoted_adjacent": U + "    roles: {'a':1}\n",
    "flow_seq_pair_quoted": U + "    roles: ['a':b]\n",
    "flow_seq_dq_pair": U + '    roles: ["a": b, c]\n',
    "flow_seq_pair_empty": U + "    roles: [a: ]\n",
    "flow_seq_colon_space": U + "    roles: [: a]\n",
    "flow_map_only_key": U + "    roles: {a}\n",
    "flow_map_trailing_comma": U + "    roles: {a: 1,}\n",
    "flow_map_in_seq_ml": U + "    roles: [{a: 1,\n      b: 2}]\n",
    "dash_no_space": U + "    roles:\n      -a\n",
    "dash_tab": U + "    roles:\n      -\xa0a\n",
    "colon_nbsp": U + "    location:\xa0x\n",
    "nbsp_indent": U + "\xa0   location: x\n",
    "key_colon_colon": U + "    location:: x\n",
    "plain_pct": U + "    location: 100%\n",
    "trailing_dash": U + "    location: x -\n",
    "flow_after_key_nl": U + "    roles:\n      [a, b]\n",
    "flow_nl_comment": U + "    roles: # c\n      [a, b]\n",
    "flow_quoted_multiline": U + "    roles: ['a\n      b']\n",
    "dq_single_quote_inside": U + '    location: "it\'s"\n',
    "sq_dq_key_then_plain": U + "    'location' : x\n",
    "comment_no_space": U + "    location: x#y #z\n",
    "users_indented_root": "  users:\n    - email: a@example.com\n",
    "root_indent_mismatch": "users:\n  - email: a@example.com\n version: 1\n",
    "zero_width": U + "    location: a\u200bb\n",
    "ffff": U + "    location: a�b\n",
    "private_use": U + "    location: a\ue000b\n",
    "crash_flowmap_nospace": U + "    roles: {a:1}\n",
    "crash_at_and_flow_error": U + "    location: '@x'\n    agent_number: @x\n    roles: {a: 1}\n",
    "crash_url_and_bool": U
    + "    roles: [http://x]\n    max_chat_limit_enabled: true\n    max_chat_limit: true\n",
    "crash_nel_and_flow_error": "users:  # x\x85y\n  - email: a@example.com\n    first_name: A\n    last_name: B\n    roles: {a: 1}\n",
    "ps_dnc_loc": "dnc:\n  - '+1 415\u2029'\n  - '+14155550100'\n",
    "ps_in_comment": "users:  # x\u2029y\n  - email: a@example.com\n    first_name: A\n    last_name: B\n",
    "nel_in_sq": "users:\n  - email: a@example.com\n    first_name: 'A\x85B'\n    last_name: B\n    bogus: 1\n",
    "ls_in_dq": 'users:\n  - email: a@example.com\n    first_name: "A\u2028B"\n    last_name: B\n    bogus: 1\n',
    "flowmap_nospace_ok": U + "    location: {a:1}\n",
    "plain_bool_value": U + "    max_chat_limit_enabled: true\n    location: null\n",
    "plain_bool_bad": U + "    max_chat_limit: true\n",
    "ls_in_dq_value": 'users:\n  - email: a@example.com\n    first_name: "A\u2028B"\n    last_name: B\n',
    "nel_in_sq_value": "users:\n  - email: a@example.com\n    first_name: 'A\x85B'\n    last_name: B\n",
    "ps_in_dnc_comment_loc": "dnc:\n  - phone_number: '+14155550100'\n    comment: 'x\u2029y'\n  - '+14155550101'\n",
    "bigint": U + "    agent_number: " + "7" * 5000 + "\n",
    "dq_key_nospace_block": 'users:\n  - "email":a@example.com\n    first_name: A\n    last_name: B\n',
    "sq_key_nospace_block": "users:\n  - 'email':a@example.com\n    first_name: A\n    last_name: B\n",
    "flow_quoted_keys_loc": "users:\n  - {'email': a@example.com, \"first_name\": A,\n     last_name: B, bogus: 1, 'ünï': 2}\n",
    "flow_ml_key_loc": "users: [{email: a@example.com,\n  first_name: A, last_name: B,\n  😀: 1}]\n",
    "flow_ml_dq_key": 'users: [{email: a@example.com, "first\n  name": A}]\n',
    "flow_sq_key_esc": "users: [{email: a@example.com, 'it''s': A}]\n",
    "flow_seq_in_block_loc": U
    + "    roles: [\"Admin\", 'Agent', Sup, 'x''y']\nroles:\n  x'y:\n    members: [a@example.com]\n",
    "roles_members_flow_loc": U + "roles:\n  Admin: {members: [a@example.com, b@example.com]}\n",
    "dnc_flow_map_loc": "dnc:\n  - {phone_number: '+14155550100', comment: x}\n  - {phone_number: 'bad'}\n",
    "dnc_flow_ml_bad": "dnc: [\n  '+14155550100',\n  {phone_number:\n    '+14155550101'},\n  bad\n]\n",
    "flow_implicit_pair_member": U + "roles:\n  Admin:\n    members: [a@example.com: x]\n",
    "role_colon_190:20:30": U + "    roles: [190:20:30]\n",
    "role_colon_12:30": U + "    roles: [12:30]\n",
    "role_colon_2024-01-01 10:00:00": U + "    roles: [2024-01-01 10:00:00]\n",
    "key_starts_rbracket": U + "    ]x: 1\n",
    "item_starts_rbrace": U + "    teams:\n      - }T1\n",
    "flow_trailing_colon": U + "    roles: [Admin:, Agent]\n",
    "flow_member_at": U + "teams:\n  T1: [@example.com]\n",
    **{
        f"deep_{kind}_{d}": _deep(kind, d)
        for kind in ("map", "seq", "flow")
        for d in (58, 60, 61, 62, 63, 64, 65)
    },
}

#: The cases rapidyaml read differently from ruamel.yaml, with the difference they had: the
#: pre-check must refuse each (the slow path reads it).
REFUSED: dict[str, str] = {
    "at_start": "rapidyaml accepts a plain scalar starting with the reserved indicator '@'; ruamel.yaml reports a syntax error",
    "backtick": "rapidyaml accepts a plain scalar starting with the reserved indicator '`'; ruamel.yaml reports a syntax error",
    "at_role": "rapidyaml accepts '- @a' in a block sequence; ruamel.yaml reports a syntax error",
    "rbracket": "rapidyaml accepts ']' as a block plain scalar; ruamel.yaml reports a syntax error",
    "rbrace": "rapidyaml accepts '}' as a block plain scalar; ruamel.yaml reports a syntax error",
    "dash_rbracket": "rapidyaml accepts '- ]'; ruamel.yaml reports a syntax error",
    "flow_colon_nospace": "rapidyaml reads [a:b] as the scalar 'a:b'; ruamel.yaml reports found unexpected ':'",
    "flow_url": "rapidyaml reads [http://x] as a scalar; ruamel.yaml reports found unexpected ':'",
    "nel_comment": "ruamel.yaml treats U+0085 (NEL) as a line break, so text after it in a comment is a syntax error; the pre-check lets NEL through and rapidyaml accepts",
    "nel_value": "U+0085 in a plain scalar: ruamel.yaml breaks the line there (syntax error), rapidyaml keeps it in the value",
    "ls_comment": "U+2028 in a comment: ruamel.yaml breaks the line there (syntax error), rapidyaml accepts",
    "ls_value": "U+2028 in a plain scalar: ruamel.yaml breaks the line there (syntax error), rapidyaml keeps it in the value",
    "ps_value": "U+2029 inside a quoted scalar: ruamel.yaml counts it as a line break, so every later location is one line further down; the fast path counts only \\n",
    "long_key_1024": "a plain key longer than 1024 characters: ruamel.yaml (simple key limit) reports a syntax error, rapidyaml accepts",
    "flowmap_nospace": "CRASH: {a:1} (ruamel.yaml: syntax error) is read by rapidyaml as {'a:1': null}; the error's location falls back to the slow path, which cannot compose: RuntimeError 'the fast and slow YAML paths disagree' traceback",
    "crash_flowmap_nospace": "CRASH: RuntimeError 'the fast and slow YAML paths disagree' (see flowmap_nospace)",
    "crash_at_and_flow_error": "CRASH: '@x' (accepted by rapidyaml) plus an error located in a flow mapping: RuntimeError traceback",
    "crash_nel_and_flow_error": "CRASH: U+0085 in a comment plus an error located in a flow mapping: RuntimeError traceback",
    "flowmap_nospace_ok": "CRASH: location: {a:1}: RuntimeError traceback instead of the YAML syntax error",
    "crash_url_and_bool": "[http://x] accepted by rapidyaml: a different error (max_chat_limit) instead of the YAML syntax error",
    "ps_in_comment": "U+2029 in a comment: ruamel.yaml breaks the line (syntax error), rapidyaml accepts",
    "nel_in_sq": "U+0085 in a single-quoted scalar: ruamel.yaml counts a line break, later locations are one line lower than the fast path's",
    "ls_in_dq": "U+2028 in a double-quoted scalar: later locations one line lower in the slow path",
    "ls_in_dq_value": "U+2028 in a double-quoted scalar: last_name's location 5:5 (slow) vs 4:5 (fast)",
    "nel_in_sq_value": "U+0085 in a single-quoted scalar: value 'A B' (slow, folded) vs 'A\\x85B' (fast), and locations differ",
    "ps_in_dnc_comment_loc": "U+2029 in a quoted DNC comment: the next DesiredDnc.loc differs by a line",
    "flow_ml_dq_key": "CRASH: a double-quoted key spanning two lines in a flow mapping (ruamel.yaml: syntax error) is accepted by rapidyaml; locating the user falls back to the slow path: RuntimeError traceback",
    "role_colon_190:20:30": "[190:20:30] accepted by rapidyaml; ruamel.yaml: found unexpected ':'",
    "role_colon_12:30": "[12:30] accepted by rapidyaml; ruamel.yaml: found unexpected ':'",
    "role_colon_2024-01-01 10:00:00": "[2024-01-01 10:00:00] accepted by rapidyaml; ruamel.yaml: found unexpected ':'",
    "key_starts_rbracket": "a block key starting with ']': ruamel.yaml syntax error, the fast path reports unknown field ']x'",
    "item_starts_rbrace": "'- }T1' accepted by rapidyaml (team '}T1'); ruamel.yaml: syntax error",
    "flow_trailing_colon": "CRASH: [Admin:, Agent] (found from fuzzing): RuntimeError traceback instead of the syntax error",
    "flow_member_at": "[@example.com]: an email error instead of the YAML syntax error",
}


def _compare(text: str) -> tuple[Any, Any, bool]:
    sources = [("c.yaml", text.encode("utf-8"))]
    slow = _outcome(lambda: load_config_sources(sources, now=NOW, fast=False))
    fast = _outcome(lambda: load_config_sources(sources, now=NOW))
    return fast, slow, fast[0] == slow[0]


def _params() -> list[Any]:
    return [pytest.param(text, id=name) for name, text in CASES.items()]


@pytest.mark.parametrize("text", _params())
def test_fast_equals_slow(text: str, always_fast: list[str]) -> None:
    fast, slow, _ = _compare(text)
    assert fast == slow


def test_the_cases_rapidyaml_misread_are_refused_by_the_pre_check(always_fast: list[str]) -> None:
    taken = [name for name in REFUSED if fastyaml.fast_root("c.yaml", CASES[name]) is not None]
    assert not taken, {name: REFUSED[name] for name in taken}


def test_the_other_cases_still_take_the_fast_path(always_fast: list[str]) -> None:
    """The file exercises the fast path, not only its refusals (137 of 331 cases on
    2026-12-03, after flow collections were refused)."""
    fast = [name for name in CASES if fastyaml.fast_root("c.yaml", CASES[name]) is not None]
    assert len(fast) >= 120, len(fast)


PAD = ("# " + "p" * 70 + "\n") * 240  # about 17 KiB of comments: over FAST_MIN_BYTES


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, id=name)
        for name in (
            "at_start",
            "rbracket",
            "flow_url",
            "nel_comment",
            "ps_value",
            "flowmap_nospace",
        )
    ],
)
def test_large_file(name: str) -> None:
    text = PAD + CASES[name]
    assert len(text) >= fastyaml.FAST_MIN_BYTES
    fast, slow, _ = _compare(text)
    assert fast == slow
