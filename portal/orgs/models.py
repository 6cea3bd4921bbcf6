"""Districts (区/县), streets (街道/乡镇) and department offices."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
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
    # The street's (街道/乡镇) centroid in WGS-84 degrees: the directory's "distance from a
    # chosen street" origin (portal/institutions/rules/geo.py). Migration 0030.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    district: Mapped[District] = relationship(back_populates="streets")


class Department(Base):
    """One office: a department type at city level (district_id NULL) or in a district."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("type_code", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_code: Mapped[str] = mapped_column(String(40), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    phone: Mapped[str] = mapped_column(String(30), default="")

    district: Mapped[District | None] = relationship()

    @property
    def is_city_level(self) -> bool:
        return self.district_id is None
