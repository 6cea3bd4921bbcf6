"""Generating demo institutions and their disclosed records, one row dict at a time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from demo import geo, names
from demo.backoffice import assessment_rows, disclosure_rows
from demo.lifecycle import status_rows
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
from portal.orgs.vocab import office_name
from portal.registry.models import StatusChange
from search.rules.pinyin import name_keys

# Documented in the README: every demo account shares it; never used outside demo data.

Row = dict[str, Any]


@dataclass(frozen=True)
class DemoDistrict:
    id: int
    name: str
    code: str
    streets: tuple[tuple[int, str], ...]
    centroids: tuple[tuple[float, float], ...] = ()  # each street's, in the same order (geo.py)


@dataclass
class DemoOrg:
    districts: list[DemoDistrict]
    # (type_code, district_id or None) -> department id (city and district offices)
    offices: dict[tuple[str, int | None], int]
    # (type_code, street_id) -> the street/town office's id
    street_offices: dict[tuple[str, int], int] = field(default_factory=dict)


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def landline(rng: random.Random) -> str:
    return f"{names.CITY_AREA_CODE}-8{_digits(rng, 7)}"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return landline(rng)
    return f"1{rng.choice('3578')}{_digits(rng, 9)}"


def _person(rng: random.Random) -> str:
    given = "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(names.SURNAMES) + given


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    """A price as institutions set them: mostly round tens, sometimes ending in .50."""
    value = rng.randint(low // 10, high // 10) * 10
    if rng.random() < 0.1:
        value -= 0.5
    return Decimal(f"{value:.2f}")


def _days_ago(rng: random.Random, today: date, low: int, high: int) -> date:
    return today - timedelta(days=rng.randint(low, high))


def _add_years(d: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


# The free text the demo used to publish, read as the status it stands for, with the note it keeps.
_FIRE_TEXTS = {
    "已通过消防验收": ("passed", "消防验收合格"),
    "已通过消防安全检查": ("passed", "投入使用前消防安全检查合格"),
    "已办理消防备案": ("passed", "消防验收备案"),
    "未通过（整改中）": ("failed", "整改中"),
}


def fire_approval(i: int, kind: str, text: str, district: DemoDistrict, today: date) -> Row:
    """A structured 消防审验 for institution number `i`, from the text the main generator drew.

    Every status appears: some passed ones are still in progress, service points without
    premises need none, a few keep only a text that says nothing clear (as migration 0015
    leaves such rows). Drawn from `random.Random(f"fire-{i}")` so the main stream is unchanged."""
    rng = random.Random(f"fire-{i}")
    status, note = _FIRE_TEXTS.get(text, (None, ""))
    if kind in ("assessment", "training", "community") and status is None:
        status, note = "not_required", "不涉及场所建设，只提供上门或办公服务"
    elif status == "passed" and rng.random() < 0.08:
        status, note = "in_progress", "已向住房城乡建设部门申请消防验收"
    elif status is None and rng.random() < 0.4:
        note = "详见机构公告栏"  # published text with no status in it
    when = {"passed": _days_ago(rng, today, 30, 8 * 365), "failed": _days_ago(rng, today, 20, 400),
            "in_progress": _days_ago(rng, today, 5, 120)}.get(status or "")
    doc_no = ""
    if status == "passed":
        office = "消安检字" if "检查" in note else "住建消备字" if "备案" in note else "住建消验字"
        doc_no = f"{district.name[:2]}{office}〔{when.year}〕第{rng.randint(1, 999):04d}号"
    elif status == "failed" and rng.random() < 0.7:
        doc_no = f"{district.name[:2]}住建消验不字〔{when.year}〕第{rng.randint(1, 99):03d}号"
    return {"fire_approval_status": status, "fire_approval_doc_no": doc_no,
            "fire_approval_date": when, "fire_approval": note}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


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
PRICING = {
    "public": "government",
    "public_private": "guided",
    "private_nonprofit": "market",
    "private_forprofit": "market",
}
CARE_FEES = {"self_care": (150, 600), "mild": (600, 1800), "severe": (1500, 4200)}
ROOM_FEES = {"单人间": (1500, 4500), "双人间": (900, 2800), "多人间": (500, 1500)}
# Filing (备案) replaced the establishment licence for 养老机构 from 2019.
FILING_BEGAN = date(2019, 1, 1)
GRADE_WEIGHTS = {"1": 10, "2": 25, "3": 35, "4": 20, "5": 10}


# The first FORCED institutions cover every kind × nature, so a small demo shows them all
# (see InstitutionMaker._kind_nature_status for the other things they are chosen to show).
FORCED = 16
# Inspections and discoveries (migration 0014) use their own generator per institution.
OUTCOME_SEED = 1_000_003
ON_THE_SPOT_SHARE = 0.3
DISCOVERY_WEIGHTS = {"inspection": 50, "complaint": 30, "market_record": 20}
INSTITUTION_NOTES = {0: "，五级、红名单", 4: "，有逾期未整改的检查"}


def forced_kind_nature(i: int) -> tuple[str, str]:
    return list(KINDS)[i % 4], list(NATURES)[i // 4]


@dataclass
class Bundle:
    """One institution row and its child rows, before the institution has an id."""

    institution: Row
    children: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, table: str, row: Row) -> None:
        self.children.setdefault(table, []).append(row)


class InstitutionMaker:
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
        kind = _pick(rng, KIND_WEIGHTS)
        nature = _pick(rng, NATURE_WEIGHTS[kind])
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
            reg_no = f"事证第1{district.code}{_digits(rng, 5)}号"
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
                "legal_representative": _person(rng),
                "phone": _phone(rng),
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

    def _fees(self, b: Bundle, kind: str, nature: str) -> Decimal:
        """Add fee rows; return the basic monthly fee (bed + lightest care + meals)."""
        rng, today = self.rng, self.today
        inst = b.institution
        pricing = PRICING[nature]
        items: list[tuple[str, str, Decimal, str, str, str | None]] = []
        monthly = Decimal(0)
        if kind == "residential":
            rooms = rng.sample(list(ROOM_FEES), rng.randint(1, 3))
            for room in rooms:
                cycle = "月" if rng.random() > 0.05 else rng.choice(("季", "年"))
                price = _price(rng, *ROOM_FEES[room])
                items.append((f"床位费（{room}）", "元/床·月", price, pricing, cycle, None))
            monthly += min(p for _i, _u, p, *_ in items)
            levels = [
                lv
                for lv, ok in zip(
                    CARE_FEES,
                    (inst["admits_self_care"], inst["admits_mild"], inst["admits_severe"]),
                    strict=True,
                )
                if ok
            ]
            for n, level in enumerate(levels):
                price = _price(rng, *CARE_FEES[level])
                if n == 0:
                    monthly += price
                items.append(("护理费", "元/人·月", price, pricing, "月", level))
            meals = _price(rng, 600, 1500)
            monthly += meals
            items.append(("餐费", "元/人·月", meals, "market", "月", None))
            items.append(("一次性评估费", "元/人·次", _price(rng, 100, 300), "guided", "次", None))
        elif kind == "community":
            options = [
                ("日间照料服务费", "元/人·月", _price(rng, 600, 1800), "月"),
                ("助餐服务费", "元/餐", _price(rng, 10, 25), "次"),
                ("上门助浴服务费", "元/次", _price(rng, 50, 120), "次"),
                ("居家上门护理服务费", "元/小时", _price(rng, 40, 90), "次"),
            ]
            for item, unit, price, cycle in rng.sample(options, rng.randint(2, 4)):
                items.append(
                    (item, unit, price, pricing if cycle == "月" else "market", cycle, None)
                )
            monthly = next((p for i, _u, p, *_ in items if i == "日间照料服务费"), Decimal(0))
        elif kind == "assessment":
            items.append(
                ("老年人能力评估费", "元/人·次", _price(rng, 150, 400), "guided", "次", None)
            )
            if rng.random() < 0.5:
                items.append(
                    (
                        "养老机构等级评定辅导费",
                        "元/次",
                        _price(rng, 3000, 8000),
                        "market",
                        "次",
                        None,
                    )
                )
        else:
            for item, low, high in rng.sample(
                [
                    ("养老护理员（初级）培训费", 1200, 2500),
                    ("养老护理员（中级）培训费", 1800, 3500),
                    ("失智老年人照护专项培训费", 800, 2000),
                ],
                rng.randint(1, 3),
            ):
                items.append((item, "元/人·期", _price(rng, low, high), "market", "期", None))

        history = rng.random() < 0.25
        for n, (item, unit, price, ptype, cycle, level) in enumerate(items):
            since = _days_ago(rng, today, 30, 1000)
            row = {
                "item": item,
                "unit": unit,
                "pricing_type": ptype,
                "cycle": cycle,
                "care_level": level,
            }
            if history and n == 0:
                # An older price closed the day before the current one took effect.
                old_from = since - timedelta(days=rng.randint(180, 900))
                old_price = (price * Decimal(str(round(rng.uniform(0.8, 0.95), 2)))).quantize(
                    Decimal("0.01")
                )
                b.add(
                    "fee_items",
                    {
                        **row,
                        "price": old_price,
                        "effective_from": old_from,
                        "effective_to": since - timedelta(days=1),
                    },
                )
            b.add(
                "fee_items", {**row, "price": price, "effective_from": since, "effective_to": None}
            )
        return monthly

    def _deposit(self, b: Bundle, district: DemoDistrict, monthly: Decimal) -> None:
        rng = self.rng
        if monthly <= 0 or rng.random() < 0.15:
            return
        # About one in ten asks for more than the 3× monthly fee the seeds allow.
        factor = rng.uniform(3.3, 6) if rng.random() < 0.1 else rng.uniform(1, 3)
        amount = Decimal(int(monthly * Decimal(f"{factor:.2f}")) // 100 * 100)
        dedicated = rng.random() < 0.85
        bank = rng.choice((*names.BANKS, names.LOCAL_BANK))
        bank = self.city + bank if bank == names.LOCAL_BANK else bank + self.city
        b.institution.update(
            deposit_amount=amount.quantize(Decimal("0.01")),
            deposit_dedicated_account=dedicated,
            deposit_bank=f"{bank}{district.name}支行" if dedicated else "",
        )

    def _resources(self, b: Bundle, i: int, kind: str, district: DemoDistrict) -> None:
        rng, today = self.rng, self.today
        inst = b.institution
        occupied = inst["beds_total"] - inst["beds_vacant"]
        admitted = [inst["admits_self_care"], inst["admits_mild"], inst["admits_severe"]]
        shares = [rng.random() if ok else 0.0 for ok in admitted]
        total = sum(shares) or 1.0
        elders = [int(occupied * s / total) for s in shares]
        if occupied and any(admitted):
            elders[admitted.index(True)] += occupied - sum(elders)
        self_care, mild, severe = elders
        needed = math.ceil(severe / 3 + mild / 6 + self_care / 10)
        # A quarter of institutions staff below the 1:3 / 1:6 / 1:10 ratios.
        factor = rng.uniform(0.6, 0.99) if rng.random() < 0.25 else rng.uniform(1.0, 1.5)
        caregivers = round(needed * factor)
        if kind in ("assessment", "training"):
            caregivers = 0
        video = rng.random() < 0.9 or kind in ("assessment", "training")
        serves_food = kind == "residential" or "食堂" in inst["name"] or "助餐" in inst["name"]
        fire = (
            ""
            if kind in ("assessment", "training") and rng.random() < 0.5
            else rng.choices(
                ("已通过消防验收", "已通过消防安全检查", "已办理消防备案", "未通过（整改中）", ""),
                weights=(50, 25, 15, 5, 5),
            )[0]
        )
        b.add(
            "service_resources",
            {
                "effective_from": _days_ago(rng, today, 0, 365),
                "caregivers": caregivers,
                "certified_caregivers": round(caregivers * rng.uniform(0.5, 1.0)),
                "nurses": (rng.randint(1, 3) + occupied // 60)
                if inst["medical_integration"]
                else occupied // 100,
                "doctors": rng.randint(1, 4) if inst["internal_clinic"] else 0,
                "social_workers": rng.randint(0, 3) if occupied else rng.randint(0, 1),
                "elders_self_care": self_care,
                "elders_mild": mild,
                "elders_severe": severe,
                "video_coverage": video,
                "video_retention_days": rng.choice((7, 15, 15, 30, 30, 30, 60, 90, 90, 120))
                if video
                else 0,
                **fire_approval(i, kind, fire, district, today),
                "food_licence": f"JY3{district.code}{_digits(rng, 7)}" if serves_food else "",
                # Drill dates: about a third are older than half a year, a few never held.
                "last_fire_drill": None if rng.random() < 0.05 else _days_ago(rng, today, 5, 270),
                "last_emergency_drill": None
                if rng.random() < 0.05
                else _days_ago(rng, today, 10, 500),
            },
        )

    def _grades(self, b: Bundle, i: int, kind: str, status: str) -> None:
        rng, today = self.rng, self.today
        chance = {"residential": 0.75, "community": 0.15}.get(kind, 0.0)
        if status != "filed" or (i != 0 and rng.random() >= chance):
            return
        level = 5 if i == 0 else int(_pick(rng, GRADE_WEIGHTS))
        awarded = _days_ago(rng, today, 30, 6 * 365)
        if i == 0:
            awarded = _days_ago(rng, today, 60, 300)
        if rng.random() < 0.15 and level > 1:
            # An earlier, lower grade kept as history.
            earlier = awarded - timedelta(days=3 * 365)
            b.add("grades", self._grade_row(level - 1, earlier, rng.random() < 0.85))
        b.add("grades", self._grade_row(level, awarded, i == 0 or rng.random() < 0.92))

    def _grade_row(self, level: int, awarded: date, compliant: bool) -> Row:
        return {
            "level": level,
            "awarded_by": f"{self.city}民政局",
            "awarded_on": awarded,
            "valid_until": _add_years(awarded, 3),
            "gb38600_compliant": compliant,
            "recorded_by_id": None,
            "recorded_at": self.now,
        }

    def _inspections(self, b: Bundle, i: int, district: DemoDistrict, status: str) -> None:
        rng, today = self.rng, self.today
        # Outcomes and discoveries draw from their own generator, so the rest of the demo city
        # stays what it was before they existed.
        side = random.Random(OUTCOME_SEED + i)
        inst = b.institution
        count = rng.choices((0, 1, 2, 3), weights=(30, 35, 25, 10))[0]
        if status == "unregistered" or i == 4:
            count = max(count, 1)
        visits: list[tuple[date, str]] = []
        for n in range(count):
            dept = _pick(
                rng, {"civil_affairs": 45, "market_regulation": 25, "fire_rescue": 20, "health": 10}
            )
            if dept == "health" and not inst["medical_integration"]:
                dept = "civil_affairs"
            inspected = _days_ago(rng, today, 1, 730)
            issues: list[str] = []
            forced = (status == "unregistered" and n == 0) or (i == 4 and n == 0)
            if status == "unregistered" and n == 0:
                dept = "civil_affairs"
                issues = ["未办理登记、备案擅自开展养老服务"]
            elif rng.random() < 0.5 or (i == 4 and n == 0):
                issues = rng.sample(names.INSPECTION_FINDINGS[dept], rng.randint(1, 2))
            deadline, rect = None, "none_required"
            if i == 4 and n == 0:
                inspected = _days_ago(rng, today, 60, 120)
            if issues:
                deadline = inspected + timedelta(days=15 if dept == "fire_rescue" else 30)
                if deadline >= today:
                    rect = "pending"
                else:
                    rect = "overdue" if rng.random() < 0.2 or (i == 4 and n == 0) else "done"
            outcome = "rectification_required" if issues else "no_findings"
            findings = "；".join(issues) if issues else "未发现问题"
            if issues and not forced and side.random() < ON_THE_SPOT_SHARE:
                # A minor finding put right while the inspectors were there.
                outcome, deadline, rect = "closed_on_spot", None, "none_required"
                findings += "（已当场整改）"
            visits.append((inspected, dept))
            b.add(
                "inspections",
                {
                    "inspected_on": inspected,
                    "department_id": self.org.offices[(dept, district.id)],
                    "items_checked": names.INSPECTION_ITEMS[dept],
                    "findings": findings,
                    "rectification_deadline": deadline,
                    "rectification_status": rect,
                    "outcome": outcome,
                    "recorded_by_id": None,
                    "recorded_at": self.now,
                },
            )
        filed_on = inst["filing_date"]
        if (status == "filed" and inst["kind"] == "residential" and filed_on is not None
                and (today - filed_on).days <= 400 and side.random() < 0.8):
            # The on-site check civil affairs owes a newly filed home (indicator 2.5): most
            # within 20 working days, some late, some not yet made.
            checked = filed_on + timedelta(days=side.randint(1, 45))
            if checked <= today:
                visits.append((checked, "civil_affairs"))
                b.add("inspections", {
                    "inspected_on": checked,
                    "department_id": self.org.offices[("civil_affairs", district.id)],
                    "items_checked": names.FILING_CHECK_ITEMS,
                    "findings": "未发现问题",
                    "rectification_deadline": None,
                    "rectification_status": "none_required",
                    "outcome": "no_findings",
                    "recorded_by_id": None,
                    "recorded_at": self.now,
                })
        unfiled = status == "unregistered" or (
            status == "registered_unfiled" and inst["kind"] == "residential")
        if unfiled:
            self._discovery(b, side, district, sorted(visits))

    def _discovery(self, b: Bundle, side: random.Random, district: DemoDistrict,
                   visits: list[tuple[date, str]]) -> None:
        """When, by whom and how an unfiled place was found: by its first inspection, or by a
        complaint or a market-regulation registration record some days before it."""
        via = _pick(side, DISCOVERY_WEIGHTS)
        if via == "inspection" and visits:
            on, dept = visits[0]
            by = office_name(dept, district.name, city_level=False)
        else:
            via = "market_record" if via == "inspection" else via
            first = visits[0][0] if visits else self.today
            on = first - timedelta(days=side.randint(3, 60))
            by = (names.HOTLINE_DISCOVERER if via == "complaint"
                  else office_name("market_regulation", district.name, city_level=False))
        b.institution.update(discovered_on=on, discovered_by=by, discovered_via=via)

    def _penalties_and_credit(self, b: Bundle, i: int, district: DemoDistrict, status: str) -> None:
        rng, today = self.rng, self.today
        inst = b.institution
        chance = 0.5 if status == "unregistered" else 0.05
        penalised = i == 8 or (i != 0 and rng.random() < chance)
        grades = b.children.get("grades", [])
        if not penalised:
            top = grades[-1] if grades else None
            if top and top["level"] == 5 and (i == 0 or rng.random() < 0.4):
                listed = min(top["awarded_on"] + timedelta(days=rng.randint(30, 200)), today)
                b.add(
                    "credit_entries",
                    self._credit_row(
                        "red",
                        rng.choice(names.RED_LIST_REASONS),
                        names.RED_LIST_BASIS.format(city=self.city),
                        listed,
                        _add_years(listed, 2),
                    ),
                )
            return
        weights = {"civil_affairs": 30, "market_regulation": 35, "fire_rescue": 25}
        if inst["medical_integration"]:
            weights["health"] = 5
        if inst["insurance_designated"]:
            weights["medical_insurance"] = 5
        last_decided = today
        for _ in range(1 if rng.random() < 0.85 else 2):
            dept = _pick(rng, weights)
            violation, basis, low, high = rng.choice(names.PENALTY_TEMPLATES[dept])
            decided = _days_ago(rng, today, 10, 1000)
            last_decided = decided
            seq = self._next(f"penalty:{district.code}:{dept}:{decided.year}")
            prefix = f"{self.city[0]}{district.name[0]}{names.PENALTY_PREFIX[dept]}"
            amount = Decimal(rng.randint(low // 1000, high // 1000) * 1000)
            warning_only = rng.random() < 0.1 and dept != "market_regulation"
            recent = (today - decided).days <= 60
            state = (
                _pick(rng, {"decided": 60, "appealed": 10, "paid": 30})
                if recent
                else _pick(rng, {"paid": 85, "enforced": 10, "appealed": 5})
            )
            b.add(
                "penalties",
                {
                    "decision_no": f"{prefix}〔{decided.year}〕{seq}号",
                    "department_id": self.org.offices[(dept, district.id)],
                    "decided_on": decided,
                    "violation": violation,
                    "basis": basis,
                    "penalty": "警告" if warning_only else f"警告，并处罚款人民币{amount:,.0f}元",
                    "amount": Decimal("0.00") if warning_only else amount.quantize(Decimal("0.01")),
                    "status": state,
                    "recorded_by_id": None,
                    "recorded_at": self.now,
                },
            )
        if i == 8 or rng.random() < 0.2:
            listed = min(last_decided + timedelta(days=rng.randint(30, 120)), today)
            expires = _add_years(listed, 3)
            row = self._credit_row(
                "black",
                rng.choice(names.BLACK_LIST_REASONS),
                names.BLACK_LIST_BASIS,
                listed,
                expires,
            )
            if expires < today:
                row["removed_on"] = expires
                row["repair_status"] = "期满移出"
            elif (today - listed).days > 365 and rng.random() < 0.3:
                row["repair_status"] = "已申请信用修复，审核中"
            b.add("credit_entries", row)

    def _credit_row(
        self, list_type: str, reason: str, basis: str, listed: date, expires: date
    ) -> Row:
        return {
            "list_type": list_type,
            "reason": reason,
            "legal_basis": basis,
            "department_id": self.city_civil,
            "listed_on": listed,
            "expires_on": expires,
            "removed_on": None,
            "repair_status": "",
            "recorded_by_id": None,
            "recorded_at": self.now,
        }


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
