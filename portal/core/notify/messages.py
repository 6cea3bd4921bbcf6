"""Message types: every notification the portal sends is a type plus named parameters.

Chinese SMS providers send only an approved template (模板) under an approved signature (签名):
the provider holds the text, the portal sends the template's code and its parameters. Each type
here is that template: its Chinese text (the one place the texts live) with `{name}` parameters,
in the order a positional provider (Tencent Cloud's {1}, {2}, …) numbers them. A city has each
text approved under its own account and sets the code it was given per type
(PORTAL_SMS_TEMPLATE_<TYPE>, e.g. PORTAL_SMS_TEMPLATE_COMPLAINT_RECEIVED=1234567); the `log`
and SMTP senders, and the generic signed-HTTP gateway, render the same text here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class MessageType:
    kind: str
    channel: str  # sms | email
    subject: str  # the outbox's subject line (an e-mail's subject); may use parameters
    body: str

    @property
    def params(self) -> tuple[str, ...]:
        """The body's parameter names in order of first use: a positional template's order."""
        return tuple(dict.fromkeys(_FIELD.findall(self.body)))


class UnknownMessage(ValueError):
    """A message type that is not defined, or parameters that do not fit it."""


MESSAGES: dict[str, MessageType] = {m.kind: m for m in (
    MessageType(
        "complaint_received", "sms", "投诉已受理",
        "您的投诉已受理，编号 {tracking_no}，承办部门将于 {due_date} 前答复。"
        "查询请凭编号和手机后四位。"),
    MessageType(
        "complaint_answered", "sms", "投诉已答复",
        "您的投诉 {tracking_no} 已答复，请打开 {link} 查看答复并评价。"),
    # Without a tracking link (no PORTAL_BASE_URL tokens configured for the office).
    MessageType(
        "complaint_answered_plain", "sms", "投诉已答复",
        "您的投诉 {tracking_no} 已答复，请在平台“查询投诉”页查看答复并评价。"),
    MessageType(
        "tracking_locked", "sms", "投诉查询多次验证失败",
        "有人连续 {failures} 次用错误的验证信息查询您的投诉 {tracking_no}，按编号查询已暂停 "
        "{hours} 小时。您的投诉照常办理；如非本人操作或需要帮助，请拨打监督电话 {hotline}。"),
    MessageType(
        "feedback_code", "sms", "评价验证码",
        "您正在评价投诉 {tracking_no}，验证码 {code}，{minutes} 分钟内有效。"
        "如非本人操作，请勿告诉他人。"),
    MessageType(
        "openday_code", "sms", "开放日报名验证码",
        "验证码 {code}：您正在报名{institution}“{title}”（{party_size} 人）。"
        "请在 {minutes} 分钟内在报名页面输入验证码完成报名（页面已关闭可打开 {link} ），"
        "逾期名额自动释放。如非本人操作，请忽略本短信。"),
    MessageType(
        "openday_confirmed", "sms", "开放日报名成功：{title}",
        "您已报名{institution}“{title}”，共 {party_size} 人。如需取消请访问 {link}"),
    MessageType(
        "openday_reminder", "sms", "开放日提醒：{title}",
        "提醒：{institution}“{title}”将于 {when} 在{place}举行。"),
    MessageType(
        "openday_feedback", "sms", "请评价开放日：{title}",
        "感谢参加{institution}“{title}”，请花一分钟评价：{link}"),
    MessageType(
        "account_welcome", "email", "{city}养老服务监督公开平台账号已开通",
        "{display_name}：您的账号 {username} 已开通，请使用管理员告知的初始密码登录并及时修改。"),
)}


def message_type(kind: str) -> MessageType:
    try:
        return MESSAGES[kind]
    except KeyError:
        raise UnknownMessage(f"no message type {kind!r}") from None


def clean_params(kind: str, params: dict[str, Any]) -> dict[str, str]:
    """The parameters as strings, exactly those the type's texts use (a missing or unknown
    name is a programming error, raised before anything is stored)."""
    msg = message_type(kind)
    wanted = set(msg.params) | set(_FIELD.findall(msg.subject))
    missing, extra = wanted - params.keys(), params.keys() - wanted
    if missing or extra:
        raise UnknownMessage(f"{kind}: missing {sorted(missing)}, unknown {sorted(extra)}")
    return {name: str(params[name]) for name in sorted(wanted)}


def render(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a message, in Chinese, for the log, SMTP and text gateways."""
    msg = message_type(kind)
    values = clean_params(kind, params)
    return msg.subject.format(**values), msg.body.format(**values)


def positional(kind: str, params: dict[str, Any]) -> list[str]:
    """The parameters in the template's order, for a provider that numbers them ({1}, {2})."""
    values = clean_params(kind, params)
    return [values[name] for name in message_type(kind).params]
