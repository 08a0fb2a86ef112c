import pytest

from tenants.permissions import MATRIX, Role, has_perm


def test_viewer_reads_but_never_writes():
    assert has_perm(Role.VIEWER, "inbox.view")
    assert has_perm(Role.VIEWER, "signals.view")
    for perm in (
        "inbox.reply",
        "commerce.edit",
        "labels.manage",
        "automation.manage",
        "members.manage",
    ):
        assert not has_perm(Role.VIEWER, perm)


def test_agent_replies_but_does_not_configure():
    assert has_perm(Role.AGENT, "inbox.reply")
    assert has_perm(Role.AGENT, "commerce.edit")
    for perm in (
        "automation.manage",
        "labels.manage",
        "members.manage",
        "apikeys.manage",
        "signals.view",
    ):
        assert not has_perm(Role.AGENT, perm)


def test_only_owners_manage_owners():
    assert has_perm(Role.OWNER, "owners.manage")
    assert not has_perm(Role.ADMIN, "owners.manage")


def test_the_documented_matrix_is_the_enforced_one():
    """docs/permissions.md lists exactly the permissions and roles of tenants.permissions."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`"):
            perm = cells[0].strip("`")
            rows[perm] = {
                role
                for role, cell in zip(["owner", "admin", "agent", "viewer"], cells[1:5])
                if cell == "✔"
            }
    assert rows == {perm: {r.value for r in roles} for perm, roles in MATRIX.items()}


def test_an_unknown_permission_is_an_error():
    with pytest.raises(KeyError):
        has_perm(Role.OWNER, "nope.nothing")
