"""The configurable numbers behind the compliance flags (PORTAL_CHECK_<FIELD>, README), each
defaulting to its seed's own number and citing it; the seeds' titles as the rule texts cite
them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Self

# The seeds (shared/seeds/), cited in each rule text.
SUZHOU = "苏州市苏府办〔2021〕248号"
ZHUZHOU = "株洲市养老服务综合监管实施方案（征求意见稿）"
KUNMING = "昆明市昆政办〔2021〕70号"
NEIMENGGU = "内蒙古自治区内政办发〔2021〕26号"
YOUYANG = "酉阳县民政局“养老服务监管效能提升年”通知（2023年）"


@dataclass(frozen=True)
class Thresholds:
    """Configurable numbers behind the flags; defaults are the seeds' own numbers."""

    # 昆政办〔2021〕70号 (三) 从业人员监管: "原则上按中度、重度失能老年人不低于3:1、轻度失能老年人
    # 不低于6:1、自理老年人不低于10:1的比例配备养老护理人员" (elders per caregiver).
    severe_per_caregiver: int = 3
    mild_per_caregiver: int = 6
    self_care_per_caregiver: int = 10
    # 昆政办〔2021〕70号: 押金、保证金不得超过老年人月服务费用 3 倍，并建立专用账户存储.
    deposit_max_months: Decimal = Decimal(3)
    # 株洲 (征求意见稿): 不少于 15 天; 昆政办〔2021〕70号 says 不应少于 90 天.
    video_retention_days: int = 15
    # 苏府办〔2021〕248号: 每半年至少 1 次应急消防演练.
    fire_drill_months: int = 6
    # 株洲 (征求意见稿) and 内政办发〔2021〕26号: 每年至少 1 次应急演练.
    emergency_drill_months: int = 12
    # 苏府办〔2021〕248号 and 株洲: 定期或不定期举办“开放日”活动 (no period given; ours).
    open_day_period_days: int = 180
    # 株洲 (征求意见稿) (一): 自备案之日起、自发现其收住老年人之日起 20 个工作日内进行现场检查;
    # 酉阳 评估表 2.5、2.6 (《养老机构管理办法》) say 20 as well; 昆政办〔2021〕70号 (一) 2、3
    # says 10 working days (set PORTAL_CHECK_ONSITE_CHECK_WORKING_DAYS=10 and the source).
    onsite_check_working_days: int = 20
    onsite_check_source: str = f"{ZHUZHOU}（一）；{YOUYANG}评估表 2.5、2.6（《养老机构管理办法》）"
    caregiver_ratio_source: str = f"{KUNMING}（三）从业人员监管"
    deposit_source: str = KUNMING
    video_retention_source: str = ZHUZHOU
    fire_drill_source: str = SUZHOU
    emergency_drill_source: str = f"{ZHUZHOU}；{NEIMENGGU}"
    open_day_source: str = f"{SUZHOU}；{ZHUZHOU}"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | Decimal) and value <= 0:
                raise ValueError(f"threshold {f.name} must be positive, got {value}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Self:
        """Build from settings or environment values (strings are converted); unknown keys fail.

        Keys are the field names, case-insensitive: {"video_retention_days": "90",
        "video_retention_source": "昆明市昆政办〔2021〕70号"}.
        """
        defaults = cls()
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            name = key.lower()
            if name not in known:
                raise ValueError(f"unknown threshold {key!r}; known: {', '.join(sorted(known))}")
            kwargs[name] = _convert(name, raw, getattr(defaults, name))
        return cls(**kwargs)


def _convert(name: str, raw: object, default: object) -> object:
    try:
        if isinstance(default, bool) or isinstance(raw, bool):
            raise TypeError
        if isinstance(default, int):
            if isinstance(raw, float) and raw.is_integer():
                return int(raw)
            if isinstance(raw, int | str):
                return int(raw)
            raise TypeError
        if isinstance(default, Decimal):
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise ValueError
            return value
        return str(raw)
    except (TypeError, ValueError, InvalidOperation):
        raise ValueError(f"threshold {name} must be a number like {default}, got {raw!r}") from None


DEFAULT_THRESHOLDS = Thresholds()


def configured_thresholds(pairs: tuple[tuple[str, str], ...]) -> Thresholds:
    """The thresholds from settings (PORTAL_CHECK_* pairs), or the defaults."""
    return Thresholds.from_mapping(dict(pairs)) if pairs else DEFAULT_THRESHOLDS
