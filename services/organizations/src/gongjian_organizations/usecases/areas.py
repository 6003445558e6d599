"""Areas (行政区划): create, rename."""

from __future__ import annotations

from gongjian_kit import policy
from gongjian_kit.areas import AREA_CODE_LENGTH, area_level, is_area_code, parent_area
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ErrorCode
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.usecases import EVENT, Outcome


async def create_area(runtime: Runtime, caller: Caller, code: str, name: str) -> Outcome:
    """Create an area; its level and parent follow from the code."""
    outcome = Outcome()
    code, name = code.strip(), name.strip()
    if not is_area_code(code):
        outcome.add(
            "code",
            ErrorCode.BAD_USER_INPUT,
            f"区划代码应为{AREA_CODE_LENGTH}位数字",
            "The area code must be 12 digits",
        )
    name = outcome.check_name("name", name, "名称", "name", 100)
    if outcome.errors:
        return outcome
    parent = parent_area(code)
    # Inside one's own area (the parent's, or a district admin's own district): a street admin
    # creates communities, a community admin (whose area has no children) nothing.
    policy.require(caller, Resource.AREAS, Action.WRITE)
    if not caller.can_see_area(parent or code):
        outcome.add(
            "code",
            ErrorCode.FORBIDDEN,
            "该区划不在您的管理范围内",
            "That area is outside your scope",
        )
        return outcome
    async with runtime.unit_of_work() as uow:
        if parent is not None and not await area_store.area_exists(uow.conn, parent):
            outcome.add(
                "code",
                ErrorCode.NOT_FOUND,
                f"上级区划 {parent} 不存在，请先创建",
                f"The parent area {parent} does not exist; create it first",
            )
            return outcome
        row = await area_store.insert_area(uow.conn, code, name, area_level(code).value, parent)
        if row is None:
            outcome.add(
                "code",
                ErrorCode.CONFLICT,
                f"区划代码 {code} 已存在",
                f"The area code {code} already exists",
            )
            return outcome
        await uow.publish(
            f"{EVENT}area.created.v1",
            code,
            {"code": code, "level": row["level"], "parentCode": parent},
        )
    outcome.row = row
    return outcome


async def rename_area(runtime: Runtime, caller: Caller, code: str, name: str) -> Outcome:
    outcome = Outcome()
    name = outcome.check_name("name", name, "名称", "name", 100)
    if outcome.errors:
        return outcome
    policy.require(caller, Resource.AREAS, Action.WRITE)
    async with runtime.unit_of_work() as uow:
        row = await area_store.rename_area(uow.conn, code, name, caller.area_like)
        if row is None:
            outcome.add(
                "code",
                ErrorCode.NOT_FOUND,
                "区划不存在或不在您的范围内",
                "The area does not exist or is outside your scope",
            )
            return outcome
        await uow.publish(f"{EVENT}area.renamed.v1", code, {"code": code, "name": name})
    outcome.row = row
    return outcome
