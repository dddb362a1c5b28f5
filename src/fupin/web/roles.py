"""Roles of the site and what each may do. The one table of permissions: views ask `can()`."""

from __future__ import annotations

CLERK = "数据录入员"
REVIEWER = "审核员"
LEADER = "领导"
ASSESSOR = "评估员"
ADMIN = "系统管理员"

ROLES = (CLERK, REVIEWER, LEADER, ASSESSOR, ADMIN)

# permission → roles holding it
PERMISSIONS: dict[str, frozenset[str]] = {
    # see households, members and region pages of the user's region
    "view_registry": frozenset({CLERK, REVIEWER, LEADER, ADMIN}),
    # see dashboards and figures
    "view_figures": frozenset({CLERK, REVIEWER, LEADER, ASSESSOR, ADMIN}),
    # change households and members, ask for a dynamic adjustment
    "edit": frozenset({CLERK, ADMIN}),
    # approve or reject dynamic adjustments
    "approve": frozenset({REVIEWER}),
    # upload a data set
    "import": frozenset({CLERK, ADMIN}),
    # Excel export and PDF printouts
    "export": frozenset({CLERK, REVIEWER, LEADER, ADMIN}),
    # show full ID and phone numbers (each reveal is audited)
    "reveal": frozenset({CLERK, REVIEWER, ADMIN}),
    # assessment plans and findings
    "assessment": frozenset({ASSESSOR, LEADER, ADMIN}),
    # search the audit log
    "audit": frozenset({ADMIN}),
    # run the exit evaluation of the latest snapshot for the pages
    "evaluate": frozenset({REVIEWER, LEADER, ADMIN}),
}

PERMISSION_LABELS = {
    "view_registry": "查看建档立卡数据",
    "view_figures": "查看统计图表",
    "edit": "修改数据",
    "approve": "审核动态调整",
    "import": "导入数据",
    "export": "导出与打印",
    "reveal": "查看完整身份证号和电话",
    "assessment": "评估",
    "audit": "查询审计日志",
    "evaluate": "运行退出评估",
}


def roles_can(roles: list[str] | tuple[str, ...], permission: str) -> bool:
    allowed = PERMISSIONS[permission]
    return any(r in allowed for r in roles)
