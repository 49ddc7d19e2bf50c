"""Encryption at rest of personal data, and the keyed hash that finds it again.

``EncryptedCharField`` stores its value as a Fernet token (AES-128-CBC + HMAC-SHA256, from
the ``cryptography`` package) under the keys in ``settings.FIELD_ENCRYPTION_KEYS``: the first
encrypts, every one of them decrypts (``MultiFernet``), so a key is rotated by putting a new
one first and running ``manage.py rotate_encryption_keys`` before dropping the old one.

A token differs every time the same value is encrypted, so the database cannot compare
encrypted values: the field refuses every lookup but ``isnull`` (a ``filter(id_number=...)``
that silently matched nothing would be worse). Values that must be found or kept unique get
a column of their own holding ``keyed_hash(value)``, an HMAC-SHA256 under
``settings.ID_HASH_KEY``, which is not reversible without that key.

Why not a field library: django-fernet-encrypted-fields (the maintained one) derives its keys
from ``SECRET_KEY`` (rotating the session key would re-key the data) and returns the stored
token as the value when no key decrypts it, which would show a token as an ID number and
encrypt it again on the next save. Here a value no key opens raises ``UndecryptableValue``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class UndecryptableValue(ImproperlyConfigured):
    """A stored value none of the configured keys opens: a key is missing from the settings."""


@functools.lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("DJANGO_FIELD_ENCRYPTION_KEYS 未设置：至少需要一个加密密钥。")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "DJANGO_FIELD_ENCRYPTION_KEYS 中的密钥格式不正确（应为 Fernet 密钥：32 字节的 URL 安全 Base64，"
            "可用 python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' 生成）。"
        ) from exc


def fernet() -> MultiFernet:
    """The keys of the moment (read each call, so ``override_settings`` works in tests)."""
    return _fernet_for(tuple(k for k in settings.FIELD_ENCRYPTION_KEYS if k))


@functools.lru_cache(maxsize=8)
def _first_for(key: str) -> Fernet:
    return Fernet(key.encode() if isinstance(key, str) else key)


def under_first_key(token: str) -> bool:
    """Whether ``token`` is already encrypted under the key that encrypts now."""
    fernet()  # the keys' format is checked there
    try:
        _first_for(next(k for k in settings.FIELD_ENCRYPTION_KEYS if k)).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableValue(
            "无法解密已加密的数据：DJANGO_FIELD_ENCRYPTION_KEYS 中没有加密它的密钥（轮换密钥时旧密钥须保留到 "
            "rotate_encryption_keys 运行完毕）。"
        ) from None


def reencrypt(token: str) -> str:
    """``token`` encrypted again under the first key (any configured key opens it)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        decrypt(token)  # raises the explained error
        raise


@functools.lru_cache(maxsize=8)
def _hash_key(key: str) -> bytes:
    if not key:
        raise ImproperlyConfigured("DJANGO_ID_HASH_KEY 未设置：按身份证号查找需要这个密钥。")
    return key.encode()


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``settings.ID_HASH_KEY``, 64 hex digits."""
    return hmac.new(_hash_key(settings.ID_HASH_KEY), text.encode(), hashlib.sha256).hexdigest()


def keyed_hasher() -> Callable[[str], str]:
    """``keyed_hash`` for many values in a row (the key is looked up once)."""
    # the keyed state copied per value: cheaper than setting the key up each time
    keyed = hmac.new(_hash_key(settings.ID_HASH_KEY), digestmod=hashlib.sha256)

    def digest(text: str) -> str:
        h = keyed.copy()
        h.update(text.encode())
        return h.hexdigest()

    return digest


def _full_mask(value: str) -> str:
    return "*" * len(value)


class EncryptedCharField(models.CharField):
    """A CharField whose column holds a Fernet token (a text column: a token of an 18-character
    value is 120 characters). ``max_length`` still limits the clear value in forms and
    ``full_clean``. ``mask`` is what the audit trail stores instead of the value (whole
    asterisks by default); it is not part of migrations. The empty string is stored as it is."""

    encrypted = True

    def __init__(self, *args, mask: Callable[[str], str] | None = None, **kwargs):
        self.mask = mask or _full_mask
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "TextField"

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None  # FieldError: encrypted values are compared through their keyed hash

    def audit_value(self, value):
        """What the audit trail keeps of ``value``: its mask, never the clear value."""
        if value is None or value == "":
            return value
        return self.mask(str(value))


def check_keys(app_configs=None, **kwargs):
    """System check (``manage.py check``, and every start): the keys are there and usable."""
    from django.core import checks

    problems = []
    try:
        fernet()
    except ImproperlyConfigured as exc:
        problems.append(checks.Error(str(exc), id="core.E101"))
    key = getattr(settings, "ID_HASH_KEY", "")
    if not key:
        problems.append(
            checks.Error("DJANGO_ID_HASH_KEY 未设置：按身份证号查找需要这个密钥。", id="core.E102")
        )
    elif len(key) < 32:
        problems.append(checks.Warning("DJANGO_ID_HASH_KEY 太短：应至少 32 个随机字符。", id="core.W103"))
    return problems
