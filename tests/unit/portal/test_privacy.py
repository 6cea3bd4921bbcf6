"""portal.core.privacy.scrub: a corpus of the ways personal data is written in answers and notes,
and the numbers an answer carries that are not personal data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.privacy import personal_data_kinds, scrub, valid_id_number

NAME = "张三丰"
PHONE = "13912345678"


@pytest.mark.parametrize(("written", "masked"), [
    # Mobiles, every written form.
    ("13912345678", "139****5678"),
    ("139 1234 5678", "139****5678"),
    ("139-1234-5678", "139****5678"),
    ("139.1234.5678", "139****5678"),
    ("1391234 5678", "139****5678"),
    ("+86 139 1234 5678", "139****5678"),
    ("+8613912345678", "139****5678"),
    ("0086-139-1234-5678", "139****5678"),
    ("(+86)13912345678", "139****5678"),
    ("＋８６ １３９ １２３４ ５６７８", "139****5678"),
    ("１３９１２３４５６７８", "139****5678"),
    ("1３9１2345678", "139****5678"),
    ("１３９－１２３４－５６７８", "139****5678"),
    ("18687654321", "186****4321"),
    # Landlines with an area code.
    ("0871-12345678", "0871-****5678"),
    ("0871-1234567", "0871-***4567"),
    ("(0871)1234567", "0871-***4567"),
    ("（0871）12345678", "0871-****5678"),
    ("021 1234 5678", "021-****5678"),
    ("010-62345678", "010-****5678"),
    ("０８７１－６５１２３４５６", "0871-****3456"),
    # 18-digit resident ID numbers with a valid check character (also X, x, full-width, grouped).
    ("530102199001011231", "5301**********1231"),
    ("11010519491231002X", "1101**********002X"),
    ("11010519491231002x", "1101**********002X"),
    ("13010219600505111X", "1301**********111X"),
    ("530102 19900101 1231", "5301**********1231"),
    ("５３０１０２１９９００１０１１２３１", "5301**********1231"),
    # E-mail addresses, also with a full-width ＠.
    ("zhangsan@example.com", "z***@example.com"),
    ("zhang.san+care@mail.example.org.cn", "z***@mail.example.org.cn"),
    ("zhangsan＠example.com", "z***@example.com"),
    # The complainant's own name, as written and spaced.
    ("张三丰", "张**"),
    ("张 三 丰", "张**"),
])
def test_scrub_masks_each_written_form(written, masked):
    text = f"已电话联系投诉人（{written}），说明情况。"
    assert scrub(text, [NAME], [PHONE]) == f"已电话联系投诉人（{masked}），说明情况。"


@pytest.mark.parametrize("text", [
    "经核查，该院已于2026-12-06完成整改。",
    "2026年12月6日 14:30 现场检查",
    "2026.12.06 复查",
    "处罚款 12,345.00 元。",
    "退还押金 13912.50 元",
    "投诉编号 2026120100001234 已办结。",
    "投诉编号 202612011234567 已办结。",
    "投诉编号 20261201001234567X 已办结。",
    "依据昆民罚〔2026〕12号决定书处理。",
    "内政办发〔2021〕26号",
    "共核查床位 120 张，护理员 15 名。",
    "请于 5 个工作日内答复，延期 15 个工作日。",
    "统一社会信用代码 52530100MJ0000000X",
    "服务热线 12345，民政热线 96156。",
    "机构客服 400-123-4567",
    "张先生反映的问题已转交护理部。",
    "张女士：您好！",
    "老人入住床位号 0301，房间 1208。",
    "时间 09:00-17:30",
    "评分 13.5 分，排名 第 2 名",
    # 18 digits with a wrong check character, or no real birth date: not an ID number.
    "530102199001011232",
    "530102199013011231",
])
def test_scrub_keeps_what_is_not_personal_data(text):
    assert scrub(text, [NAME], [PHONE]) == text
    assert personal_data_kinds(text, [NAME], [PHONE]) == []


def test_scrub_masks_a_whole_answer():
    answer = ("已电话联系投诉人张三丰先生（139 1234 5678，身份证 530102199001011231），"
              "其女儿邮箱 li@example.com，院办电话 0871-65123456。"
              "依据昆民罚〔2026〕12号，罚款 12,345.00 元，于 2026-12-06 前整改。")
    assert scrub(answer, [NAME], [PHONE]) == (
        "已电话联系投诉人张**先生（139****5678，身份证 5301**********1231），"
        "其女儿邮箱 l***@example.com，院办电话 0871-****3456。"
        "依据昆民罚〔2026〕12号，罚款 12,345.00 元，于 2026-12-06 前整改。")


def test_scrub_masks_the_complainants_own_number_in_any_form():
    # A number the patterns do not know (no area code) is masked because it is theirs.
    assert scrub("回电 65123456 无人接听", [], ["65123456"]) == "回电 ****3456 无人接听"


def test_a_name_is_masked_only_when_it_is_the_complainants():
    assert scrub("李四反映", [NAME]) == "李四反映"
    assert scrub("李四反映", ["李四"]) == "李*反映"
    assert scrub("欧阳娜娜来电", ["欧阳娜娜"]) == "欧***来电"
    # A one-character name would mask that character everywhere: it is left alone.
    assert scrub("张先生", ["张"]) == "张先生"


def test_scrub_of_nothing_is_empty():
    assert scrub(None) == ""
    assert scrub("") == ""


def test_personal_data_kinds_names_each_kind_once():
    text = "联系 13912345678 或 13987654321，邮箱 a@b.cn，张三丰，0871-65123456，530102199001011231"
    assert personal_data_kinds(text, [NAME]) == [
        "手机号码", "电子邮箱", "投诉人姓名", "固定电话", "身份证号码"]


@pytest.mark.parametrize(("number", "valid"), [
    ("530102199001011231", True),
    ("11010519491231002X", True),
    ("11010519491231002x", True),
    ("530102199001011232", False),  # check character
    ("930102199001011231", False),  # no such region
    ("530102199002301231", False),  # 30 February
    ("53010219900101123", False),
])
def test_valid_id_number(number, valid):
    assert valid_id_number(number) is valid


FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}


@given(
    rest=st.text("0123456789", min_size=9, max_size=9),
    second=st.sampled_from("3456789"),
    seps=st.lists(st.sampled_from(["", "", " ", "-", ".", "\u3000"]), min_size=10, max_size=10),
    wide=st.lists(st.booleans(), min_size=11, max_size=11),
    prefix=st.sampled_from(["", "+86 ", "+86-", "0086 ", "0086-", "＋８６ ", "(+86)"]),
)
def test_any_written_mobile_is_masked(rest, second, seps, wide, prefix):
    digits = "1" + second + rest
    chars = [FULL_WIDTH[d] if w else d for d, w in zip(digits, wide, strict=True)]
    written = prefix + "".join(c + s for c, s in zip(chars, [*seps, ""], strict=True))
    out = scrub(f"投诉人电话{written}，已回访。")
    assert out == f"投诉人电话{digits[:3]}****{digits[-4:]}，已回访。"


@given(st.text(alphabet=st.sampled_from(list("0123456789１３９ -.@+()（）ab张三丰先生，X")), max_size=60))
def test_scrubbing_twice_changes_nothing_more(text):
    once = scrub(text, [NAME], [PHONE])
    assert scrub(once, [NAME], [PHONE]) == once
