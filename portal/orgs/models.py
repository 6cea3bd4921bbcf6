"""Districts (区/县), streets (街道/乡镇) and department offices."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    pinyin_initials: Mapped[str] = mapped_column(String(20), default="")

    streets: Mapped[list[Street]] = relationship(back_populates="district", order_by="Street.id")


class Street(Base):
    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    # The 9- or 12-digit 统计用区划代码 where the city has it (portal import districts).
    code: Mapped[str | None] = mapped_column(String(12))
    # The street's (街道/乡镇) centroid in WGS-84 degrees: the directory's "distance from a
    # chosen street" origin (portal/institutions/rules/geo.py). Migration 0030.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    district: Mapped[District] = relationship(back_populates="streets")


class Department(Base):
    """One office: a department type at city level (district_id and street_id NULL), in a
    district (district_id), or in a street/town (street_id; seed 000 苏州 三(一) and seed 001
    (十八): 乡镇（街道）日常巡查、投诉举报受理).

    A street office keeps district_id NULL and reaches its district through its street: the
    table's unique (type_code, district_id) allows one office of a type per district, and
    SQLite cannot drop that constraint without rebuilding the table (which would lose the
    departments' triggers, migrations 0009 and 0012). NULLs are distinct in a unique
    constraint, so street offices are unique by (type_code, street_id) instead (migration 0025).
    Use `office_district_id` wherever the office's district is meant.
    """

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("type_code", "district_id"),
                      Index("ix_departments_type_code_street_id", "type_code", "street_id",
                            unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    type_code: Mapped[str] = mapped_column(String(40), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    name: Mapped[str] = mapped_column(String(80), unique=True)
    phone: Mapped[str] = mapped_column(String(30), default="")

    district: Mapped[District | None] = relationship()
    street: Mapped[Street | None] = relationship()

    @property
    def is_city_level(self) -> bool:
        return self.district_id is None and self.street_id is None

    @property
    def is_street_level(self) -> bool:
        return self.street_id is not None

    @property
    def office_district_id(self) -> int | None:
        """The district the office works in (a street office's is its street's)."""
        if self.street_id is not None:
            return self.street.district_id if self.street is not None else None
        return self.district_id
