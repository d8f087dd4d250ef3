"""What every plain repository shares: a session, insert/update of a frozen dataclass, and a
row built into one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar

from sqlalchemy import Row, Table, and_, insert, update
from sqlalchemy.orm import Session

E = TypeVar("E")


def build(kind: type[E], row: Row[Any] | None) -> E | None:
    return None if row is None else kind(**row._mapping)


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, table: Table, entity: object) -> None:
        self.session.execute(insert(table).values(**asdict(entity)))  # type: ignore[call-overload]

    def _update(self, table: Table, entity: object, **where: Any) -> None:
        values = asdict(entity)  # type: ignore[call-overload]
        condition = and_(table.c.id == values["id"], *(table.c[k] == v for k, v in where.items()))
        self.session.execute(update(table).where(condition).values(**values))
