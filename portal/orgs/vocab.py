"""Department type codes (stable public API) and their Chinese names, from SPEC §3."""

DEPARTMENT_TYPES: dict[str, str] = {
    "civil_affairs": "民政局",
    "market_regulation": "市场监督管理局",
    "fire_rescue": "消防救援支队",
    "health": "卫生健康委员会",
    "public_security": "公安局",
    "medical_insurance": "医疗保障局",
    "housing_construction": "住房和城乡建设局",
    "natural_resources": "自然资源和规划局",
    "ecology_environment": "生态环境局",
    "development_reform": "发展和改革委员会",
    "finance": "财政局",
    "human_resources": "人力资源和社会保障局",
    "emergency_management": "应急管理局",
    "audit": "审计局",
    "financial_regulation": "地方金融管理局",
    "education": "教育局",
}

# District-level fire offices are 大队, the city's is 支队.
DISTRICT_NAME_OVERRIDES: dict[str, str] = {"fire_rescue": "消防救援大队"}


def office_name(type_code: str, place_name: str, *, city_level: bool) -> str:
    """The office's display name, e.g. 示范市民政局 or 东城区消防救援大队."""
    base = DEPARTMENT_TYPES[type_code]
    if not city_level:
        base = DISTRICT_NAME_OVERRIDES.get(type_code, base)
    return f"{place_name}{base}"


# Street/town offices (乡镇、街道): seed 004 (酉阳县) addresses 各乡镇（街道）民政办; the others are
# the usual names of the types' grass-roots offices.
STREET_OFFICE_SUFFIXES: dict[str, str] = {
    "civil_affairs": "民政办",
    "market_regulation": "市场监督管理所",
    "public_security": "派出所",
    "fire_rescue": "消防工作站",
}


def street_office_name(type_code: str, district_name: str, street_name: str) -> str:
    """A street office's display name, e.g. 重阳县城关镇民政办 (the district named too: street
    names repeat across districts and office names are unique)."""
    suffix = STREET_OFFICE_SUFFIXES.get(type_code) or DEPARTMENT_TYPES[type_code]
    return f"{district_name}{street_name}{suffix}"
