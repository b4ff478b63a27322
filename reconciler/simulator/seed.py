"""The default seed: the tenant the reference's template example shows."""

from __future__ import annotations

from typing import Any

# The reference's template example: three users, seven roles, three teams, location "Mexico".
DEFAULT_ROLES = [
    "Admin",
    "Manager",
    "Agent",
    "Developer",
    "Manager Admin",
    "Manager Team",
    "Manager Data",
]
DEFAULT_TEAMS = ["test team_1", "test Team 2", "test team 3"]


def default_seed() -> dict[str, Any]:
    return {
        "subdomain": "demo",
        "token": "demo-token",
        "roles": list(DEFAULT_ROLES),
        "teams": list(DEFAULT_TEAMS),
        "locations": ["Mexico"],
        "max_chat_limit": 10,
        "users": [
            {
                "email": "user1@somedomain.com",
                "first_name": "James",
                "last_name": "Bond",
                "agent_number": "A-001",
                "status": "Active",
                "location": "Mexico",
                "max_chat_limit": 2,
                "max_chat_limit_enabled": False,
                "roles": [],
                "teams": [],
            },
            {
                "email": "user2@somedomain.com",
                "first_name": "John",
                "last_name": "Doe",
                "agent_number": "A-002",
                "status": "Inactive",
                "location": None,
                "max_chat_limit": None,
                "max_chat_limit_enabled": True,
                "roles": [],
                "teams": [],
            },
            {
                "email": "user3@somedomain.com",
                "first_name": "Jane",
                "last_name": "Doe",
                "agent_number": "A-003",
                "status": "Active",
                "location": None,
                "max_chat_limit": 1,
                "max_chat_limit_enabled": False,
                "roles": [],
                "teams": [],
            },
        ],
        "dnc": [],
    }
