"""Generating demo institutions and their disclosed records, one row dict at a time: the
institution itself here; its fees and resources (demo/fees.py) and government records
(demo/records.py) from the same random stream, in the same order."""

from __future__ import annotations

import random
from datetime import date, timedelta

from demo import geo, names
from demo.backoffice import assessment_rows, disclosure_rows
from demo.draw import Bundle, Row, digits, person_name, phone_number, pick
from demo.fees import FeesMaker
from demo.lifecycle import status_rows
from demo.org import DemoDistrict, DemoOrg
from demo.records import RecordsMaker
from portal.backoffice.models import CreditCommitment, InstitutionRule
from portal.core.db import utcnow
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    FulfilmentAssessment,
    Grade,
    Inspection,
    Penalty,
    ServiceResources,
)
from portal.institutions.rules import creditcode
from portal.institutions.vocab import KINDS, NATURES
from portal.registry.models import StatusChange
from search.rules.pinyin import name_keys

# --- institutions ----------------------------------------------------------------------------

KIND_WEIGHTS = {"residential": 35, "community": 50, "assessment": 7, "training": 8}
NATURE_WEIGHTS = {
    "residential": {
        "public": 20,
        "public_private": 20,
        "private_nonprofit": 35,
        "private_forprofit": 25,
    },
    "community": {
        "public": 15,
        "public_private": 45,
        "private_nonprofit": 30,
        "private_forprofit": 10,
    },
    "assessment": {
        "public": 20,
        "public_private": 5,
        "private_nonprofit": 35,
        "private_forprofit": 40,
    },
    "training": {
        "public": 15,
        "public_private": 5,
        "private_nonprofit": 40,
        "private_forprofit": 40,
    },
}
# GB 32100 registration dept and org type follow nature (SPEC §2).
CODE_PREFIX = {
    "public": ("1", "2"),  # 机构编制: 事业单位
    "public_private": ("5", "2"),  # 民政: 民办非企业单位（社会服务机构）
    "private_nonprofit": ("5", "2"),
    "private_forprofit": ("9", "1"),  # 工商/市场监管: 企业
}
# Filing (备案) replaced the establishment licence for 养老机构 from 2019.
FILING_BEGAN = date(2019, 1, 1)


# The first FORCED institutions cover every kind × nature, so a small demo shows them all
# (see InstitutionMaker._kind_nature_status for the other things they are chosen to show).
FORCED = 16
INSTITUTION_NOTES = {0: "，五级、红名单", 4: "，有逾期未整改的检查"}


def forced_kind_nature(i: int) -> tuple[str, str]:
    return list(KINDS)[i % 4], list(NATURES)[i // 4]


class InstitutionMaker(FeesMaker, RecordsMaker):
    """One institution at a time from one random stream: its row and its child rows (the fees
    and resources are FeesMaker's, the government records RecordsMaker's)."""

    def __init__(self, rng: random.Random, today: date, city: str, org: DemoOrg) -> None:
        self.rng = rng
        self.today = today
        self.city = city
        self.org = org
        self.now = utcnow()
        self.used_names: set[str] = set()
        self.used_codes: set[str] = set()
        self.counters: dict[str, int] = {}
        self.city_civil = org.offices[("civil_affairs", None)]

    def _next(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    # Of the first FORCED institutions, 0 is a five-star red-listed home, 4 has an overdue rectification, 6 is registered but
    # not filed, 8 is penalised and black-listed, 13 is an unregistered 黑机构.
    def _kind_nature_status(self, i: int) -> tuple[str, str, str]:
        rng = self.rng
        if i < FORCED:
            status = {6: "registered_unfiled", 13: "unregistered"}.get(i, "filed")
            return (*forced_kind_nature(i), status)
        kind = pick(rng, KIND_WEIGHTS)
        nature = pick(rng, NATURE_WEIGHTS[kind])
        r = rng.random()
        if r < 0.01 and nature.startswith("private") and kind in ("residential", "community"):
            status = "unregistered"
        elif r < 0.05:
            status = "registered_unfiled"
        else:
            status = "filed"
        return kind, nature, status

    def _name(
        self, kind: str, nature: str, district: DemoDistrict, street: str, clinic: bool
    ) -> str:
        rng = self.rng
        stem = rng.choice(names.STEMS)
        if kind == "residential":
            if nature == "public" and street.endswith(("镇", "乡")) and rng.random() < 0.6:
                base = f"{street}{rng.choice(('敬老院', '中心敬老院', '养老服务中心'))}"
            else:
                suffix = rng.choice(names.RESIDENTIAL_SUFFIXES[nature])
                if clinic and rng.random() < 0.4:
                    suffix = names.NURSING_HOME_SUFFIX
                prefix = rng.choice(("", district.name, self.city + district.name))
                base = f"{prefix}{stem}{rng.choice(names.PLACES)}{suffix}"
        elif kind == "community":
            where = rng.choice((street, f"{stem}社区", f"{street}{stem}社区"))
            base = f"{where}{rng.choice(names.COMMUNITY_SUFFIXES)}"
        else:
            table = names.ASSESSMENT_SUFFIXES if kind == "assessment" else names.TRAINING_SUFFIXES
            key = nature if nature in table else "other"
            if nature == "public":
                base = f"{district.name}{rng.choice(table[key])}"
            else:
                base = f"{rng.choice((self.city, district.name))}{stem}{rng.choice(table[key])}"
        # Disambiguate after a full-width bracket: it ends the pinyin run, so
        # search.rules.pinyin's per-run cache keeps hitting at 400k institutions.
        where = "" if street in base else street
        name = base
        if name in self.used_names and where:
            name = f"{base}（{where}）"
        while name in self.used_names:
            name = f"{base}（{where}第{self._next(f'name:{base}{where}') + 1}分部）"
        self.used_names.add(name)
        return name

    def _credit_code(self, nature: str, district: DemoDistrict) -> str:
        dept, org_type = CODE_PREFIX[nature]
        while True:
            code = creditcode.generate(
                self.rng, registration_dept=dept, org_type=org_type, region_code=district.code
            )
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def _point(self, i: int, district: DemoDistrict, street_id: int) -> Row:
        """Institution i's coordinates near its street's centroid (demo/geo.py)."""
        if not district.centroids:
            return {"latitude": None, "longitude": None}
        k = next(n for n, (sid, _name) in enumerate(district.streets) if sid == street_id)
        lat, lng = geo.institution_point(i, district.centroids[k], district.code)
        return {"latitude": lat, "longitude": lng}

    def make(self, i: int) -> Bundle:
        rng, today = self.rng, self.today
        kind, nature, status = self._kind_nature_status(i)
        district = rng.choice(self.org.districts)
        street_id, street = rng.choice(district.streets)
        residential = kind == "residential"
        has_beds = residential or (kind == "community" and rng.random() < 0.7)

        if residential:
            admits = (rng.random() < 0.9, rng.random() < 0.85, rng.random() < 0.6)
            if not any(admits):
                admits = (True, False, False)
            medical = rng.random() < (0.45 if admits[2] else 0.2)
        elif kind == "community":
            admits = (True, rng.random() < 0.6, rng.random() < 0.2)
            medical = rng.random() < 0.1
        else:
            admits, medical = (False, False, False), False
        clinic = medical and rng.random() < 0.7
        if i == 0:
            admits, medical, clinic = (True, True, True), True, True

        beds = 0
        if residential:
            beds = int(rng.triangular(30, 600, 90))
        elif has_beds:
            beds = rng.randint(5, 40)
        vacant = beds - round(beds * rng.uniform(0.5, 0.98)) if beds else 0

        registered = status != "unregistered"
        code = self._credit_code(nature, district) if registered else None
        opened_year = today.year - min(int(rng.expovariate(1 / 6)), 30)
        reg_date = date(opened_year, 1, 1) + timedelta(days=rng.randint(0, 364))
        reg_date = min(reg_date, today - timedelta(days=30))
        if not registered:
            reg_no = ""
        elif nature == "public":
            reg_no = f"事证第1{district.code}{digits(rng, 5)}号"
        else:
            reg_no = code or ""
        filing_no, filing_date = "", None
        if status == "filed":
            filing_date = reg_date + timedelta(days=rng.randint(15, 180))
            if filing_date < FILING_BEGAN:
                # Older institutions filed when filing replaced the licence in 2019.
                filing_date = FILING_BEGAN + timedelta(days=rng.randint(0, 540))
            filing_date = min(filing_date, today)
            seq = self._next(f"filing:{district.code}:{filing_date.year}")
            filing_no = f"{self.city[0]}{district.name[0]}民养备〔{filing_date.year}〕{seq:04d}号"

        name = self._name(kind, nature, district, street, clinic)
        aliases = ""
        if rng.random() < 0.15:
            aliases = f"{rng.choice(names.STEMS)}{rng.choice(('养老院', '老年之家', '托老所'))}"

        bundle = Bundle(
            {
                "name": name,
                "aliases": aliases,
                **name_keys(name),
                "credit_code": code,
                "kind": kind,
                "nature": nature,
                "filing_status": status,
                "registration_no": reg_no,
                "registration_date": reg_date if registered else None,
                "filing_no": filing_no,
                "filing_date": filing_date,
                "district_id": district.id,
                "street_id": street_id,
                **self._point(i, district, street_id),
                "address": f"{district.name}{street}{rng.choice(names.ROADS)}{rng.randint(1, 999)}号",
                "legal_representative": person_name(rng),
                "phone": phone_number(rng),
                "opened_year": opened_year,
                "beds_total": beds,
                "beds_vacant": vacant,
                "admits_self_care": admits[0],
                "admits_mild": admits[1],
                "admits_severe": admits[2],
                "medical_integration": medical,
                "internal_clinic": clinic,
                "insurance_designated": clinic and rng.random() < 0.6,
                "deposit_amount": None,
                "deposit_dedicated_account": False,
                "deposit_bank": "",
                "discovered_on": None,
                "discovered_by": "",
                "discovered_via": "",
                "operating_status": "operating",
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        monthly = self._fees(bundle, kind, nature)
        if residential or (has_beds and rng.random() < 0.2):
            self._deposit(bundle, district, monthly)
        self._resources(bundle, i, kind, district)
        if registered:
            self._grades(bundle, i, kind, status)
        self._inspections(bundle, i, district, status)
        self._penalties_and_credit(bundle, i, district, status)
        for table, rows in disclosure_rows(i, kind, today, self.now).items():
            for row in rows:
                bundle.add(table, row)
        for row in assessment_rows(i, bundle.children, today, self.now, self.city_civil):
            bundle.add("fulfilment_assessments", row)
        latest = bundle.children.get("service_resources", [])[-1:]
        elders = sum(r[k] for r in latest for k in ("elders_self_care", "elders_mild",
                                                     "elders_severe"))
        status, changes = status_rows(i, district.name, elders, today, self.now)
        bundle.institution["operating_status"] = status
        for row in changes:
            bundle.add("institution_status_changes", row)
        return bundle


CHILD_TABLES = {
    "fee_items": FeeItem.__table__,
    "service_resources": ServiceResources.__table__,
    "grades": Grade.__table__,
    "inspections": Inspection.__table__,
    "penalties": Penalty.__table__,
    "credit_entries": CreditEntry.__table__,
    "institution_rules": InstitutionRule.__table__,
    "credit_commitments": CreditCommitment.__table__,
    "fulfilment_assessments": FulfilmentAssessment.__table__,
    "institution_status_changes": StatusChange.__table__,
}
