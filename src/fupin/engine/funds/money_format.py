"""The money workbook (资金台账): allocations, disbursements, household payments and carry-over.

Four sheets, each optional, first row the Chinese column names below:
资金下达 (key 下达文号), 资金拨付 (key 拨付凭证号, pointing at a 下达文号), 到户资金 and 结转结余.
"""

from __future__ import annotations

from fupin.engine.funds.projects_format import FUND_SOURCES, PAYMENT_KINDS
from fupin.engine.standard_format import Field, Table

ALLOCATIONS = Table(
    name="allocations",
    label="资金下达",
    key=("document_number",),
    fields=(
        Field("document_number", "下达文号", "text", required=True),
        Field("county_code", "县区划代码", "code", required=True),
        Field("source", "资金来源", "enum", required=True, values=FUND_SOURCES),
        Field("fund_year", "资金年度", "year", required=True),
        Field("allocated_on", "下达日期", "date", required=True),
        Field("amount", "金额", "money", required=True),
        Field("project_code", "项目编号", "text"),
    ),
)

DISBURSEMENTS = Table(
    name="disbursements",
    label="资金拨付",
    key=("voucher",),
    fields=(
        Field("voucher", "拨付凭证号", "text", required=True),
        Field("document_number", "下达文号", "text", required=True),
        Field("disbursed_on", "拨付日期", "date", required=True),
        Field("amount", "金额", "money", required=True),
        Field("project_code", "项目编号", "text"),
        Field("township_code", "经由乡镇区划代码", "code"),
        Field("township_paid_on", "乡镇拨出日期", "date"),
        Field("payee", "收款单位", "text"),
    ),
)

PAYMENTS = Table(
    name="payments",
    label="到户资金",
    key=(),
    fields=(
        Field("county_code", "县区划代码", "code", required=True),
        Field("kind", "补助类型", "enum", required=True, values=PAYMENT_KINDS),
        Field("fund_year", "资金年度", "year", required=True),
        Field("payee_name", "领款人姓名", "text", required=True),
        Field("payee_id_number", "领款人身份证号", "id", required=True),
        Field("amount", "金额", "money", required=True),
        Field("paid_on", "发放日期", "date", required=True),
        Field("voucher", "拨付凭证号", "text"),
        Field("project_code", "项目编号", "text"),
        Field("village_code", "所在村区划代码", "code"),
    ),
)

CARRYOVERS = Table(
    name="carryovers",
    label="结转结余",
    key=("county_code", "source", "fund_year", "as_of"),
    fields=(
        Field("county_code", "县区划代码", "code", required=True),
        Field("source", "资金来源", "enum", required=True, values=FUND_SOURCES),
        Field("fund_year", "资金年度", "year", required=True),
        Field("as_of", "截止日期", "date", required=True),
        Field("amount", "结转结余金额", "money", required=True),
    ),
)

MONEY_TABLES = (ALLOCATIONS, DISBURSEMENTS, PAYMENTS, CARRYOVERS)
