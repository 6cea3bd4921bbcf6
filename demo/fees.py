"""The demo institutions' fees, deposits and service resources (fire approval, staff, drills):
InstitutionMaker's part that draws them (demo/institutions.py)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal

from demo import names
from demo.draw import Bundle, Row, days_ago, digits, draw_price
from demo.org import DemoDistrict

PRICING = {
    "public": "government",
    "public_private": "guided",
    "private_nonprofit": "market",
    "private_forprofit": "market",
}
CARE_FEES = {"self_care": (150, 600), "mild": (600, 1800), "severe": (1500, 4200)}
ROOM_FEES = {"单人间": (1500, 4500), "双人间": (900, 2800), "多人间": (500, 1500)}


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
    when = {"passed": days_ago(rng, today, 30, 8 * 365), "failed": days_ago(rng, today, 20, 400),
            "in_progress": days_ago(rng, today, 5, 120)}.get(status or "")
    doc_no = ""
    if status == "passed":
        office = "消安检字" if "检查" in note else "住建消备字" if "备案" in note else "住建消验字"
        doc_no = f"{district.name[:2]}{office}〔{when.year}〕第{rng.randint(1, 999):04d}号"
    elif status == "failed" and rng.random() < 0.7:
        doc_no = f"{district.name[:2]}住建消验不字〔{when.year}〕第{rng.randint(1, 99):03d}号"
    return {"fire_approval_status": status, "fire_approval_doc_no": doc_no,
            "fire_approval_date": when, "fire_approval": note}


class FeesMaker:
    """InstitutionMaker's fees and resources, drawn from its stream (its `rng`, `today`, `city`)."""

    rng: random.Random
    today: date
    city: str

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
                price = draw_price(rng, *ROOM_FEES[room])
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
                price = draw_price(rng, *CARE_FEES[level])
                if n == 0:
                    monthly += price
                items.append(("护理费", "元/人·月", price, pricing, "月", level))
            meals = draw_price(rng, 600, 1500)
            monthly += meals
            items.append(("餐费", "元/人·月", meals, "market", "月", None))
            items.append(("一次性评估费", "元/人·次", draw_price(rng, 100, 300), "guided", "次", None))
        elif kind == "community":
            options = [
                ("日间照料服务费", "元/人·月", draw_price(rng, 600, 1800), "月"),
                ("助餐服务费", "元/餐", draw_price(rng, 10, 25), "次"),
                ("上门助浴服务费", "元/次", draw_price(rng, 50, 120), "次"),
                ("居家上门护理服务费", "元/小时", draw_price(rng, 40, 90), "次"),
            ]
            for item, unit, price, cycle in rng.sample(options, rng.randint(2, 4)):
                items.append(
                    (item, unit, price, pricing if cycle == "月" else "market", cycle, None)
                )
            monthly = next((p for i, _u, p, *_ in items if i == "日间照料服务费"), Decimal(0))
        elif kind == "assessment":
            items.append(
                ("老年人能力评估费", "元/人·次", draw_price(rng, 150, 400), "guided", "次", None)
            )
            if rng.random() < 0.5:
                items.append(
                    (
                        "养老机构等级评定辅导费",
                        "元/次",
                        draw_price(rng, 3000, 8000),
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
                items.append((item, "元/人·期", draw_price(rng, low, high), "market", "期", None))

        history = rng.random() < 0.25
        for n, (item, unit, price, ptype, cycle, level) in enumerate(items):
            since = days_ago(rng, today, 30, 1000)
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
                "effective_from": days_ago(rng, today, 0, 365),
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
                "food_licence": f"JY3{district.code}{digits(rng, 7)}" if serves_food else "",
                # Drill dates: about a third are older than half a year, a few never held.
                "last_fire_drill": None if rng.random() < 0.05 else days_ago(rng, today, 5, 270),
                "last_emergency_drill": None
                if rng.random() < 0.05
                else days_ago(rng, today, 10, 500),
            },
        )
