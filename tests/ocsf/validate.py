"""Check OCSF events against the official compiled schema (ocsf-lib's model), offline.

`ocsf-schema-1.4.0.json.gz` is the OCSF project's schema at tag 1.4.0 compiled with the
project's own compiler (`ocsf-lib`, pinned as a dev dependency):

    git clone https://github.com/ocsf/ocsf-schema && git -C ocsf-schema checkout 1.4.0
    python -m ocsf.compile ocsf-schema | gzip -9 > tests/ocsf/ocsf-schema-1.4.0.json.gz

ocsf-lib gives the schema, not an event validator, so the checks are written here from the
schema's own facts: every attribute known to its class or object, required ones present, the
types and enums of the schema (an `_id` enum's sibling caption must be the enum's caption),
and every attribute a profile adds declared in `metadata.profiles`.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

from ocsf.schema import OcsfAttr, OcsfSchema, from_dict

SCHEMA_FILE = Path(__file__).with_name("ocsf-schema-1.4.0.json.gz")
STRING_TYPES = {"string_t", "username_t", "email_t", "ip_t", "hostname_t", "url_t", "uuid_t", "resource_uid_t",
                "file_name_t", "file_hash_t", "mac_t", "process_name_t", "subnet_t", "bytestring_t", "datetime_t"}
INT_TYPES = {"integer_t", "long_t", "timestamp_t", "port_t"}


@cache
def schema() -> OcsfSchema:
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as handle:
        return from_dict(json.load(handle))


def validate(event: dict) -> list[str]:
    """Every way `event` departs from the schema (empty: it validates)."""
    s = schema()
    classes = {c.uid: c for c in s.classes.values()}
    cls = classes.get(event.get("class_uid"))
    if cls is None:
        return [f"unknown class_uid {event.get('class_uid')!r}"]
    profiles = set((event.get("metadata") or {}).get("profiles") or [])
    errors: list[str] = []
    unknown = profiles - set(s.profiles)
    if unknown:
        errors.append(f"metadata.profiles: unknown profile(s) {sorted(unknown)}")
    _check(event, cls.attributes, cls.name, profiles, errors)
    if event.get("type_uid") != cls.uid * 100 + int(event.get("activity_id") or 0):
        errors.append("type_uid is not class_uid * 100 + activity_id")
    return errors


def _applies(attr: OcsfAttr, profiles: set[str]) -> bool:
    wanted = [attr.profile] if isinstance(attr.profile, str) else (attr.profile or [])
    return not wanted or any(p in profiles for p in wanted)


def _check(obj: dict, attributes: dict[str, OcsfAttr], where: str, profiles: set[str], errors: list[str]) -> None:
    for name, value in obj.items():
        attr = attributes.get(name)
        path = f"{where}.{name}"
        if attr is None:
            errors.append(f"{path}: no such attribute")
            continue
        if not _applies(attr, profiles):
            errors.append(f"{path}: belongs to profile {attr.profile!r}, not declared in metadata.profiles")
        if value is None:
            errors.append(f"{path}: null (leave the attribute out)")
            continue
        if attr.is_array:
            if not isinstance(value, list):
                errors.append(f"{path}: an array is expected")
                continue
            for i, item in enumerate(value):
                _value(item, attr, f"{path}[{i}]", profiles, errors)
        else:
            _value(value, attr, path, profiles, errors)
        if attr.enum and not attr.is_array:
            members = attr.enum
            if str(value) not in members:
                errors.append(f"{path}: {value!r} is not one of {sorted(members)}")
            elif name.endswith("_id") and value != 99:
                sibling = name[:-3]
                caption = members[str(value)].caption
                if sibling in obj and sibling in attributes and obj[sibling] != caption:
                    errors.append(f"{where}.{sibling}: {obj[sibling]!r} is not the caption {caption!r} of {name}")
    for name, attr in attributes.items():
        if attr.requirement == "required" and name not in obj and _applies(attr, profiles):
            errors.append(f"{where}.{name}: required")


def _value(value: object, attr: OcsfAttr, path: str, profiles: set[str], errors: list[str]) -> None:
    kind = attr.type
    s = schema()
    if kind in s.objects and kind != "object":
        if not isinstance(value, dict):
            errors.append(f"{path}: an object {kind} is expected")
            return
        _check(value, s.objects[kind].attributes, path, profiles, errors)
        return
    if kind in ("object", "object_t"):  # free-form (unmapped)
        if not isinstance(value, dict):
            errors.append(f"{path}: an object is expected")
        return
    if kind == "json_t":
        return
    if kind in STRING_TYPES and not isinstance(value, str):
        errors.append(f"{path}: a string is expected ({kind}), not {type(value).__name__}")
    elif kind in INT_TYPES and (isinstance(value, bool) or not isinstance(value, int)):
        errors.append(f"{path}: an integer is expected ({kind})")
    elif kind == "boolean_t" and not isinstance(value, bool):
        errors.append(f"{path}: a boolean is expected")
    elif kind == "float_t" and (isinstance(value, bool) or not isinstance(value, int | float)):
        errors.append(f"{path}: a number is expected")
    if kind in s.types and isinstance(value, str):
        t = s.types[kind]
        if t.max_len and len(value) > t.max_len:
            errors.append(f"{path}: longer than {t.max_len}")
