"""Resident ID numbers, tested from GB 11643-1999 and ISO 7064 MOD 11-2."""

import datetime as dt

import pytest

from fupin.engine import idcard

# The worked example printed in GB 11643-1999 (appendix): a woman born 31 Dec 1949 in 北京市朝阳区.
STANDARD_EXAMPLE = "11010519491231002X"


class TestResidentId:
    def test_it_accepts_the_example_of_the_standard(self):
        parsed = idcard.parse(STANDARD_EXAMPLE)
        assert parsed.region_prefix == "110105"
        assert parsed.birth_date == dt.date(1949, 12, 31)
        assert parsed.sequence == "002"
        assert parsed.sex == "女"

    def test_the_check_character_follows_mod_11_2(self):
        # weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; sum mod 11 = 2 maps to X in 1 0 X 9 8 7 6 5 4 3 2
        assert idcard.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        assert idcard.check_character("11010519491231002") == "X"
        assert idcard.check_character("44052418800101001") == "4"

    def test_an_odd_sequence_is_a_man(self):
        number = idcard.make("530523", dt.date(1970, 3, 5), 11)
        assert idcard.parse(number).sex == "男"

    def test_lower_case_x_full_width_digits_and_spaces_are_normalised(self):
        assert idcard.parse("11010519491231002x").number == STANDARD_EXAMPLE
        assert idcard.parse("１１０１０５１９４９１２３１００２Ｘ").number == STANDARD_EXAMPLE
        assert idcard.parse(" 110105 19491231 002X\u3000").number == STANDARD_EXAMPLE

    def test_it_explains_a_wrong_check_digit(self):
        assert idcard.explain("110105194912310021") == "身份证号校验码错误：第18位应为X，实际为1"

    def test_it_refuses_the_31st_of_february(self):
        body = "53052319800231001"
        number = body + idcard.check_character(body)
        assert idcard.explain(number) == "身份证号中的出生日期1980-02-31不存在"

    def test_two_transposed_digits_are_caught_by_the_check_character(self):
        good = idcard.make("530523", dt.date(1983, 6, 14), 125)
        swapped = good[:8] + good[9] + good[8] + good[10:]  # 1983 -> 1938
        assert swapped != good
        assert "校验码错误" in (idcard.explain(swapped) or "")

    def test_it_refuses_a_wrong_length(self):
        assert idcard.explain("11010519491231002") == "身份证号应为18位，实际为17位"

    def test_it_refuses_letters_in_the_body(self):
        assert idcard.explain("1101051949123100AX") == "身份证号前17位应全部为数字"

    def test_it_refuses_an_unknown_province(self):
        body = "99010519491231002"
        assert "不是有效的省级行政区划代码" in (
            idcard.explain(body + idcard.check_character(body)) or ""
        )

    def test_it_refuses_a_birth_date_in_the_future(self):
        body = "53052320991231002"
        number = body + idcard.check_character(body)
        assert "晚于今天" in (idcard.explain(number) or "")

    def test_it_refuses_an_empty_value(self):
        assert idcard.explain("  ") == "身份证号为空"

    def test_mask_keeps_the_region_and_the_last_four(self):
        assert idcard.mask("530523198001010017") == "530523********0017"

    @pytest.mark.parametrize("sequence", [0, 1000])
    def test_make_refuses_an_impossible_sequence(self, sequence):
        with pytest.raises(ValueError):
            idcard.make("530523", dt.date(1980, 1, 1), sequence)
