"""Two snapshots compared step by step; every divergence named and classified by one stated rule.

Contract-relevant (the docs decide, so the emulator must do the same):
  status      a status the step's documented set does not allow on one side: another class, or another code where
              the docs name one (restore: the oracle, `contracts/oracle.py`; other operations: their documented code);
              or a 409 window answered 2xx on one side although that side's read just before the request showed the
              target provisioning or recovering (the step's `before`: the docs say 409 then); or the restore after
              the recovery answered 409 on one side although that side's read just before showed the target ready
              (the docs say 409 only while provisioning or recovering: a conflict that outlived the recovery)
  content     another media type (the docs declare application/json)
  schema      an answer that breaks its documented schema on one side only: a required field, a type, an enum, a
              format, the error envelope (`{"error": {"code", "message"}}`)
  state       a `status` field differs, or a watch ends in another state (the documented state transitions)
  identity    a value names another resource (the restored id, the echoed source, the preserved connections), a
              list lacks or adds a resource the scenario knows, or the scenario had to send another request
  step        a step ran on one side only (a documented answer checked on one side)
Docs silent (any of these is a correct server; the emulator may still be told to match):
  which code  both statuses are allowed (404 or 422 for a regex-invalid id; 200 or 404 for the unprefixed id)
  timing      a 409 window reached on one side and closed on the other (the 2xx side read the target settled just
              before, or did not record that read); the restore after the recovery refused 409 on a side whose read
              just before still showed the target recovering (a slower recovery); busy statuses seen while watching
  error code  `error.code` strings, and the prose in `error.message` and `error.hint`
  id format   the shape of the ids a server mints
  list order  the resources both sides list, in another order (resources on one side only are left out of it)
  extra resource
              a list item on one side only that the scenario does not know: an environment's own resources (e.g. the
              golden source keeping more backups than the emulator seeds)
  extra field a field the schema does not require, present on one side only
  value       any other value the schema allows and the docs do not pin (a name, a size)

Which resources the scenario knows: those whose placeholder (`<connection:1>`, `<backup:2>`) appears in a request
the scenario sent (the backup restored from, the unusable one) or in the answer of another step (the connection it
issued, the database it created), on either side. A list item on one side only is contract-relevant when it is one
of those (the restored database lost or gained one of its connections: identity), and docs silent otherwise (a
foreign extra, named nowhere else in the scenario).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from restore_contract.contracts import BUSY_STATUSES, TargetState
from restore_contract.parity.normalise import PLACEHOLDER
from restore_contract.parity.scenario import BY_NAME, Step
from restore_contract.parity.snapshot import Snapshot

CONTRACT = "contract-relevant"
SILENT = "docs-silent"
CLASSES = (CONTRACT, SILENT)
ABSENT = object()
SHOWN = 70  # characters of a value shown in a divergence


@dataclass(frozen=True)
class Divergence:
    step: str
    where: str  # "status", "content type", "schema …", "body $.data.status", "watch", "database ids", …
    recorded: str  # the snapshot's side
    actual: str  # the side compared with it (the emulator)
    kind: str  # CONTRACT or SILENT
    rule: str  # why it is of that class

    @property
    def key(self) -> str:
        return f"{self.step} · {self.where}"

    @property
    def category(self) -> str:
        """The rule's kind: its words before the first colon (`timing`, `list order`, `identity`, …)."""
        return self.rule.split(":", 1)[0]


def compare(recorded: Snapshot, actual: Snapshot) -> list[Divergence]:
    """Every divergence of `actual` from `recorded`, in the scenario's order."""
    found = list(_id_formats(recorded.get("id_formats", {}), actual.get("id_formats", {})))
    ours = {step["step"]: step for step in recorded["steps"]}
    theirs = {step["step"]: step for step in actual["steps"]}
    names = _Names([*recorded["steps"], *actual["steps"]])
    for name in list(ours) + [name for name in theirs if name not in ours]:
        found += _step(name, ours.get(name), theirs.get(name), names)
    return found


class _Names:
    """Which placeholders the scenario knows, as seen from one step: named in any request, or in another step's
    answer (on either side)."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self._requested: set[str] = set()
        self._answered: dict[str, set[str]] = {}  # placeholder → the steps whose answers name it
        for step in steps:
            self._requested |= _placeholders(step.get("request"))
            for name in _placeholders({key: value for key, value in step.items() if key != "request"}):
                self._answered.setdefault(name, set()).add(step["step"])

    def known(self, placeholder: str, step: str) -> bool:
        name = placeholder.replace(":unprefixed>", ">")
        return name in self._requested or bool(self._answered.get(name, set()) - {step})


def _placeholders(value: Any) -> set[str]:
    return {name.replace(":unprefixed>", ">") for name in PLACEHOLDER.findall(json.dumps(value))}


def _id_formats(recorded: Mapping[str, Any], actual: Mapping[str, Any]) -> Iterator[Divergence]:
    for kind in sorted(set(recorded) | set(actual)):
        if recorded.get(kind) != actual.get(kind):
            yield Divergence(
                "id formats", f"{kind} ids", _show(recorded.get(kind)), _show(actual.get(kind)), SILENT, "id format"
            )


def _step(name: str, recorded: dict[str, Any] | None, actual: dict[str, Any] | None, names: _Names) -> list[Divergence]:
    step = BY_NAME.get(name)
    if step is None:
        why = "step: the scenario has no such step any more (re-record the snapshot: restore_contract.parity record)"
        return [Divergence(name, "step", _ran(recorded), _ran(actual), CONTRACT, why)]
    if recorded is None or actual is None or "skipped" in recorded or "skipped" in actual:
        if recorded is not None and actual is not None and "skipped" in recorded and "skipped" in actual:
            return []
        why = "step: a documented answer checked on one side only"
        return [Divergence(name, "step", _ran(recorded), _ran(actual), CONTRACT, why)]
    found = []
    if recorded["request"] != actual["request"]:
        why = "identity: the scenario sent another request (an earlier answer differed)"
        found.append(Divergence(name, "request", _show(recorded["request"]), _show(actual["request"]), CONTRACT, why))
    ours, theirs = recorded["status"], actual["status"]
    ignored = [_ignored(step, side) for side in (recorded, actual)]
    sticky = [_sticky(step, side) for side in (recorded, actual)]
    if any(ignored) and (ours != theirs or ignored[0] != ignored[1]):
        why = f"status: the target was {ignored[0] or ignored[1]} just before, the docs say 409"
        found.append(Divergence(name, "status", _answered(step, recorded), _answered(step, actual), CONTRACT, why))
        if ours != theirs:
            return found
    elif any(sticky) and (ours != theirs or sticky[0] != sticky[1]):
        why = "status: the target was ready just before, the docs say 409 only while provisioning or recovering"
        found.append(Divergence(name, "status", _answered(step, recorded), _answered(step, actual), CONTRACT, why))
        if ours != theirs:
            return found
    elif ours != theirs:  # bodies of different statuses are not comparable: the status says it all
        answered = _answered(step, recorded), _answered(step, actual)
        return [*found, Divergence(name, "status", *answered, *_status_class(name, ours, theirs))]
    if recorded["content_type"] != actual["content_type"]:
        why = "content: the docs declare application/json"
        found.append(Divergence(name, "content type", recorded["content_type"], actual["content_type"], CONTRACT, why))
    hidden: list[str] = []  # body paths a schema divergence already explains
    for error in sorted(set(recorded["schema_errors"]) ^ set(actual["schema_errors"])):
        path = error.split(":", 1)[0]
        envelope = path == "$.error" or path.startswith(("$.error.", "$.error["))
        hidden.append("$" if envelope else _wildcard(path))
        why = "schema: the error envelope" if envelope else f"schema: {_schema_rule(error)}"
        sides = ["breaks it" if error in side["schema_errors"] else "conforms" for side in (recorded, actual)]
        found.append(Divergence(name, f"schema {error}", sides[0], sides[1], CONTRACT, why))
    for path, ours_value, theirs_value, note in _diff(recorded["body"], actual["body"], "$"):
        if any(_under(_wildcard(path), prefix) for prefix in hidden):
            continue
        if note == "resource":
            item = path[path.rindex("[") + 1 : -1]
            note = "resource" if names.known(item, name) else "foreign"
        kind, why = _body_class(path, ours_value, theirs_value, note)
        where = f"body {path}" + (" order" if note == "order" else "")
        found.append(Divergence(name, where, _show(ours_value), _show(theirs_value), kind, why))
    found += _watch(name, recorded.get("seen"), actual.get("seen"))
    return found


def _ignored(step: Step, answer: dict[str, Any]) -> str | None:
    """The busy status a side read just before a restore it then accepted (None: not so)."""
    before = answer.get("before")
    if step.reads_first and 200 <= answer["status"] < 300 and before in BUSY_STATUSES:
        return str(before)
    return None


def _sticky(step: Step, answer: dict[str, Any]) -> bool:
    """The restore after the recovery refused 409 although the side's read just before showed the target ready."""
    return step.settled and answer["status"] == 409 and answer.get("before") == TargetState.READY


def _answered(step: Step, answer: dict[str, Any]) -> str:
    before = answer.get("before") if step.reads_first else None
    return f"{answer['status']} ({before} just before)" if before else str(answer["status"])


def _status_class(name: str, recorded: int, actual: int) -> tuple[str, str]:
    step = BY_NAME[name]
    busy_or_started = {recorded, actual} - {409}
    if step.reads_first and 409 in {recorded, actual} and all(200 <= code < 300 for code in busy_or_started):
        if step.settled:  # the 409 side's read did not show it ready (else `_sticky`): a slower recovery
            return SILENT, "timing: the read just before showed the target ready on one side only (a slower recovery)"
        return SILENT, "timing: the 409 window was reached on one side and had closed on the other"
    allowed = sorted(step.allowed)
    if recorded in step.allowed and actual in step.allowed:
        return SILENT, f"which code: the docs allow any of {allowed} here"
    if recorded // 100 != actual // 100:
        return CONTRACT, f"status: another class (the docs allow {allowed} here)"
    return CONTRACT, f"status: the docs allow {allowed} here"


def _schema_rule(error: str) -> str:
    return "a required field" if error.endswith(": required") else "the documented schema"


def _watch(name: str, recorded: list[str] | None, actual: list[str] | None) -> list[Divergence]:
    if recorded == actual or not recorded or not actual:
        return []
    if recorded[-1] != actual[-1]:  # the final read differs: its status or body says so already
        return []
    why = "timing: the same end state, other statuses seen on the way"
    return [Divergence(name, "watch", " → ".join(recorded), " → ".join(actual), SILENT, why)]


def _body_class(path: str, recorded: Any, actual: Any, note: str) -> tuple[str, str]:
    field = re.sub(r"\[[^\]]*\]", "", path).rsplit(".", 1)[-1]
    if note == "order":
        return SILENT, "list order: the docs do not order this list"
    if note == "resource":
        return CONTRACT, "identity: a resource the scenario knows is on one side of the list only"
    if note == "foreign":
        return SILENT, "extra resource: the environment's own, named nowhere else in the scenario"
    if path.startswith("$.error.") and field == "code":
        return SILENT, "error code: the docs name no error codes"
    if path.startswith("$.error.") and field in ("message", "hint"):
        return SILENT, "error code: the message and hint are prose, not documented"
    if note == "absent":
        return SILENT, "extra field: the schema does not require it"
    if field == "status":
        return CONTRACT, "state: a documented status"
    if any(PLACEHOLDER.search(json.dumps(value)) for value in (recorded, actual) if value is not ABSENT):
        return CONTRACT, "identity: names another resource"
    return SILENT, "value: allowed by the schema, not pinned by the docs"


def _diff(recorded: Any, actual: Any, path: str) -> Iterator[tuple[str, Any, Any, str]]:
    """(path, recorded value, actual value, note) of every difference; note: value, absent, resource (an item on one
    side only) or order (of the items both sides have)."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in list(recorded) + [key for key in actual if key not in recorded]:
            if key in recorded and key in actual:
                yield from _diff(recorded[key], actual[key], f"{path}.{key}")
            else:
                yield f"{path}.{key}", recorded.get(key, ABSENT), actual.get(key, ABSENT), "absent"
    elif isinstance(recorded, list) and isinstance(actual, list):
        ours, theirs = _ids(recorded), _ids(actual)
        if ours is None or theirs is None:  # items without ids: by position
            for index in range(max(len(recorded), len(actual))):
                if index < len(recorded) and index < len(actual):
                    yield from _diff(recorded[index], actual[index], f"{path}[{index}]")
                else:
                    mine = recorded[index] if index < len(recorded) else ABSENT
                    yield f"{path}[{index}]", mine, actual[index] if index < len(actual) else ABSENT, "absent"
            return
        both = set(ours) & set(theirs)
        if [key for key in ours if key in both] != [key for key in theirs if key in both]:
            yield path, [key for key in ours if key in both], [key for key in theirs if key in both], "order"
        by_ours, by_theirs = dict(zip(ours, recorded, strict=True)), dict(zip(theirs, actual, strict=True))
        for key in ours + [key for key in theirs if key not in by_ours]:
            if key in by_ours and key in by_theirs:
                yield from _diff(by_ours[key], by_theirs[key], f"{path}[{key}]")
            else:
                yield f"{path}[{key}]", by_ours.get(key, ABSENT), by_theirs.get(key, ABSENT), "resource"
    elif recorded != actual:
        yield path, recorded, actual, "value"


def _ids(items: list[Any]) -> list[str] | None:
    """The items' ids, when every item is an object with its own id (then items are matched by id)."""
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    if len(ids) != len(items) or not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return [str(i) for i in ids]


def _wildcard(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "[*]", path)


def _under(path: str, prefix: str) -> bool:
    return prefix == "$" or path == prefix or path.startswith((prefix + ".", prefix + "["))


def _ran(step: dict[str, Any] | None) -> str:
    if step is None:
        return "(no such step)"
    return f"skipped: {step['skipped']}" if "skipped" in step else f"answered {step['status']}"


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
