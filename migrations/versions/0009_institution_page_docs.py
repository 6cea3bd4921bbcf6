"""institution page documents: a records version kept by triggers, and the stored page parts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:20:00.000000

`institutions.records_version` goes up with every change to anything the public institution page
shows of the institution: its own row, its fees, resources, grades, inspections, penalties, credit
entries, rules, credit commitment and change history, and the names of its district, street and
of the departments named in its records. Triggers keep it, so no write path (ORM, bulk insert,
an operator's SQL) can forget to. `institution_page_docs` holds the page's unchanging parts as
built at one records version; a document whose version differs is never shown
(portal/institutions/services/pagedoc.py).

Later migrations must not rebuild these tables with SQLite's batch mode (copy and rename): the
copy would lose the triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables with an institution_id whose rows the public page shows.
CHILDREN = ("fee_items", "service_resources", "grades", "inspections", "penalties",
            "credit_entries", "institution_rules", "credit_commitments", "disclosure_versions")
BUMP = "UPDATE institutions SET records_version = records_version + 1"
# Institutions whose page names a department (inspections, penalties, credit entries).
NAMING = ("SELECT institution_id FROM inspections WHERE department_id = NEW.id "
          "UNION SELECT institution_id FROM penalties WHERE department_id = NEW.id "
          "UNION SELECT institution_id FROM credit_entries WHERE department_id = NEW.id")
RENAMES = {"departments": f"id IN ({NAMING})", "districts": "district_id = NEW.id",
           "streets": "street_id = NEW.id"}


def _sqlite_triggers() -> list[str]:
    statements = [
        "CREATE TRIGGER page_version_institutions AFTER UPDATE ON institutions "
        "WHEN NEW.records_version = OLD.records_version BEGIN "
        "UPDATE institutions SET records_version = OLD.records_version + 1 WHERE id = NEW.id; END"
    ]
    for table in CHILDREN:
        statements += [
            f"CREATE TRIGGER page_version_{table}_insert AFTER INSERT ON {table} BEGIN "
            f"{BUMP} WHERE id = NEW.institution_id; END",
            f"CREATE TRIGGER page_version_{table}_update AFTER UPDATE ON {table} BEGIN "
            f"{BUMP} WHERE id IN (OLD.institution_id, NEW.institution_id); END",
            f"CREATE TRIGGER page_version_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"{BUMP} WHERE id = OLD.institution_id; END",
        ]
    for table, which in RENAMES.items():
        statements.append(
            f"CREATE TRIGGER page_version_{table}_name AFTER UPDATE OF name ON {table} "
            f"WHEN NEW.name IS NOT OLD.name BEGIN {BUMP} WHERE {which}; END")
    return statements


def _postgres_triggers() -> list[str]:
    statements = [
        "CREATE FUNCTION page_version_institution() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF NEW.records_version = OLD.records_version THEN "
        "NEW.records_version := OLD.records_version + 1; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER page_version_institutions BEFORE UPDATE ON institutions "
        "FOR EACH ROW EXECUTE FUNCTION page_version_institution()",
        "CREATE FUNCTION page_version_child() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {BUMP} WHERE id = OLD.institution_id; END IF; "
        "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND "
        "NEW.institution_id IS DISTINCT FROM OLD.institution_id) THEN "
        f"{BUMP} WHERE id = NEW.institution_id; END IF; RETURN NULL; END $$",
    ]
    for table in CHILDREN:
        statements.append(
            f"CREATE TRIGGER page_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION page_version_child()")
    for table, which in RENAMES.items():
        statements += [
            f"CREATE FUNCTION page_version_{table}_name() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP} WHERE {which}; RETURN NULL; END $$",
            f"CREATE TRIGGER page_version_{table}_name AFTER UPDATE OF name ON {table} "
            f"FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) "
            f"EXECUTE FUNCTION page_version_{table}_name()",
        ]
    return statements


def upgrade() -> None:
    op.add_column('institutions', sa.Column('records_version', sa.Integer(), nullable=False,
                                            server_default='0'))
    op.create_table(
        'institution_page_docs',
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('records_version', sa.Integer(), nullable=False),
        sa.Column('build_key', sa.String(length=64), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('built_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('institution_id'),
    )
    dialect = op.get_bind().dialect.name
    for statement in _postgres_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("institutions", *CHILDREN, *RENAMES):
            suffix = "_name" if table in RENAMES else ""
            op.execute(f"DROP TRIGGER IF EXISTS page_version_{table}{suffix} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS page_version_institution()")
        op.execute("DROP FUNCTION IF EXISTS page_version_child()")
        for table in RENAMES:
            op.execute(f"DROP FUNCTION IF EXISTS page_version_{table}_name()")
    else:
        names = list(op.get_bind().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'page_version_%'").scalars())
        for name in names:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('institution_page_docs')
    op.drop_column('institutions', 'records_version')
