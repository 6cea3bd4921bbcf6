"""Tencent Cloud SMS (短信 SendSms, API 2021-01-11) through Tencent's official Python SDK.

Why Tencent Cloud rather than Alibaba Cloud: both SDKs install from PyPI here, but Tencent's
(`tencentcloud-sdk-python-common` + `-sms`) needs only `requests`, where Alibaba's pulls in its
Tea/Darabonba runtime (several packages and aiohttp); its request signature (TC3-HMAC-SHA256) is
fully documented, and its endpoint and scheme are plain settings of the SDK's HttpProfile, so
the tests point the real SDK at a local fake that checks the signature
(tests/servers/fake_tencent_sms.py). Template parameters are positional ({1}, {2}, …): they
are sent in the order `portal.core.notify.messages` gives each type's parameters.

Settings: PORTAL_TENCENT_SMS_SECRET_ID / _SECRET_KEY (a CAM key allowed sms:SendSms only),
PORTAL_TENCENT_SMS_APP_ID (SmsSdkAppId), PORTAL_TENCENT_SMS_REGION, PORTAL_TENCENT_SMS_ENDPOINT
(https://sms.tencentcloudapi.com), PORTAL_SMS_SIGN_NAME and PORTAL_SMS_TEMPLATE_<TYPE>.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from portal.core.notify.gateway import DeliveryError, SmsMessage
from portal.core.notify.messages import positional
from portal.core.settings import NotifySettings

# Error codes worth another try later: the provider's or the network's trouble, or its
# request-rate limit. Every other code (a template not approved, a bad number, a refused
# signature, the account's balance, a phone's own daily limit) is final.
TRANSIENT = ("InternalError", "ClientNetworkError", "ServerNetworkError",
             "RequestLimitExceeded")


def transient(code: str) -> bool:
    return code.startswith(TRANSIENT)


class TencentSmsGateway:
    name = "tencent"
    needs_template = True

    def __init__(self, config: NotifySettings) -> None:
        missing = [name for name, value in (
            ("PORTAL_TENCENT_SMS_SECRET_ID", config.tencent_secret_id),
            ("PORTAL_TENCENT_SMS_SECRET_KEY", config.tencent_secret_key),
            ("PORTAL_TENCENT_SMS_APP_ID", config.tencent_app_id),
            ("PORTAL_SMS_SIGN_NAME", config.sms_sign_name)) if not value]
        if missing:
            raise DeliveryError(f"Tencent Cloud SMS needs {', '.join(missing)}", permanent=True)
        self.config = config
        url = urlsplit(config.tencent_endpoint if "//" in config.tencent_endpoint
                       else "https://" + config.tencent_endpoint)
        http = HttpProfile(protocol=url.scheme or "https", endpoint=url.netloc,
                           reqTimeout=config.sms_timeout)
        self.client = sms_client.SmsClient(
            credential.Credential(config.tencent_secret_id, config.tencent_secret_key),
            config.tencent_region, ClientProfile(httpProfile=http))

    def send_sms(self, message: SmsMessage) -> str:
        if not message.template_code:
            raise DeliveryError(f"no template code for {message.kind} "
                                f"(PORTAL_SMS_TEMPLATE_{message.kind.upper()})", permanent=True)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [message.e164]
        request.SmsSdkAppId = self.config.tencent_app_id
        request.SignName = self.config.sms_sign_name
        request.TemplateId = message.template_code
        request.TemplateParamSet = positional(message.kind, message.params)
        request.SessionContext = message.reference
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "Error"
            raise DeliveryError(f"{code}: {exc.get_message()}", permanent=not transient(code)) \
                from None
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            raise DeliveryError("no send status in the answer", permanent=False)
        if status.Code != "Ok":
            raise DeliveryError(f"{status.Code}: {status.Message}",
                                permanent=not transient(status.Code))
        return str(status.SerialNo or "")
