"""The demo institutions' government records: grades, inspections (and how an unregistered
place was found), penalties and credit lists: InstitutionMaker's part that draws them
(demo/institutions.py)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from demo import names
from demo.draw import Bundle, Row, add_years, days_ago, pick
from demo.org import DemoDistrict, DemoOrg
from portal.orgs.vocab import office_name

GRADE_WEIGHTS = {"1": 10, "2": 25, "3": 35, "4": 20, "5": 10}
# Inspections and discoveries (migration 0014) use their own generator per institution.
OUTCOME_SEED = 1_000_003
ON_THE_SPOT_SHARE = 0.3
DISCOVERY_WEIGHTS = {"inspection": 50, "complaint": 30, "market_record": 20}


class RecordsMaker:
    """InstitutionMaker's government records, drawn from its stream (its `rng`, `today`, `now`,
    `city`, `org` and the city's civil-affairs office)."""

    rng: random.Random
    today: date
    now: datetime
    city: str
    org: DemoOrg
    city_civil: int

    def _grades(self, b: Bundle, i: int, kind: str, status: str) -> None:
        rng, today = self.rng, self.today
        chance = {"residential": 0.75, "community": 0.15}.get(kind, 0.0)
        if status != "filed" or (i != 0 and rng.random() >= chance):
            return
        level = 5 if i == 0 else int(pick(rng, GRADE_WEIGHTS))
        awarded = days_ago(rng, today, 30, 6 * 365)
        if i == 0:
            awarded = days_ago(rng, today, 60, 300)
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
            "valid_until": add_years(awarded, 3),
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
            dept = pick(
                rng, {"civil_affairs": 45, "market_regulation": 25, "fire_rescue": 20, "health": 10}
            )
            if dept == "health" and not inst["medical_integration"]:
                dept = "civil_affairs"
            inspected = days_ago(rng, today, 1, 730)
            issues: list[str] = []
            forced = (status == "unregistered" and n == 0) or (i == 4 and n == 0)
            if status == "unregistered" and n == 0:
                dept = "civil_affairs"
                issues = ["未办理登记、备案擅自开展养老服务"]
            elif rng.random() < 0.5 or (i == 4 and n == 0):
                issues = rng.sample(names.INSPECTION_FINDINGS[dept], rng.randint(1, 2))
            deadline, rect = None, "none_required"
            if i == 4 and n == 0:
                inspected = days_ago(rng, today, 60, 120)
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
        via = pick(side, DISCOVERY_WEIGHTS)
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
                        add_years(listed, 2),
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
            dept = pick(rng, weights)
            violation, basis, low, high = rng.choice(names.PENALTY_TEMPLATES[dept])
            decided = days_ago(rng, today, 10, 1000)
            last_decided = decided
            seq = self._next(f"penalty:{district.code}:{dept}:{decided.year}")
            prefix = f"{self.city[0]}{district.name[0]}{names.PENALTY_PREFIX[dept]}"
            amount = Decimal(rng.randint(low // 1000, high // 1000) * 1000)
            warning_only = rng.random() < 0.1 and dept != "market_regulation"
            recent = (today - decided).days <= 60
            state = (
                pick(rng, {"decided": 60, "appealed": 10, "paid": 30})
                if recent
                else pick(rng, {"paid": 85, "enforced": 10, "appealed": 5})
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
            expires = add_years(listed, 3)
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
