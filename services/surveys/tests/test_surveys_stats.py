"""Tests of leko_surveys.stats: hand-computed summaries, intervals and Welch tests, the t
distribution against tables and closed forms, suppression, and a few properties."""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leko_kit.suppression import COMPLEMENTARY_REASON
from leko_surveys import stats
from leko_surveys.stats import (
    Comparison,
    Counts,
    Summary,
    below_threshold,
    compare,
    summarise,
    suppressed_cells,
    t_pdf,
    t_quantile,
    t_two_sided_p,
    welch_df,
)

REL = 1e-12


def approx(value: float, rel: float = REL) -> object:
    return pytest.approx(value, rel=rel, abs=1e-15)


def expand(counts: Counts) -> list[int]:
    """The individual answers 1..5 behind the counts."""
    per_value = (counts.n1, counts.n2, counts.n3, counts.n4, counts.n5)
    return [value for value, m in enumerate(per_value, 1) for _ in range(m)]


# --------------------------------------------------------------------------------------------
# Counts


def test_counts_n_distribution_and_dont_know() -> None:
    c = Counts(n1=0, n2=1, n3=2, n4=3, n5=1, dont_know=4)
    assert c.n == 7
    assert c.respondents == 11
    assert c.distribution() == {"1": 0, "2": 1, "3": 2, "4": 3, "5": 1, "dont_know": 4}


def test_counts_reject_negative_and_non_integers() -> None:
    with pytest.raises(ValueError, match="negative"):
        Counts(n3=-1)
    with pytest.raises(TypeError):
        Counts(n3=1.0)  # type: ignore[arg-type]


def test_counts_add_and_subtract() -> None:
    municipality = Counts(n1=2, n2=3, n3=10, n4=20, n5=7, dont_know=4)
    institution = Counts(n1=1, n2=0, n3=4, n4=5, n5=7, dont_know=1)
    rest = municipality - institution
    assert rest == Counts(n1=1, n2=3, n3=6, n4=15, n5=0, dont_know=3)
    assert rest + institution == municipality
    assert rest.n == municipality.n - institution.n
    with pytest.raises(ValueError, match="not part"):
        _ = institution - municipality


@given(
    st.tuples(*[st.integers(0, 50)] * 6).map(lambda t: Counts(*t)),
    st.tuples(*[st.integers(0, 50)] * 6).map(lambda t: Counts(*t)),
)
def test_counts_subtraction_undoes_addition(a: Counts, b: Counts) -> None:
    assert (a + b) - b == a
    assert (a + b).n == a.n + b.n


# --------------------------------------------------------------------------------------------
# Summaries


def test_mean_and_sd_by_hand() -> None:
    # Answers 1, 2, 5, 5: mean 13/4 = 3.25; squared deviations 5.0625 + 1.5625 + 3.0625 + 3.0625
    # = 12.75; sample variance 12.75 / 3 = 4.25; sd √4.25 = 2.0615528128...; SE = sd / 2.
    s = summarise(Counts(n1=1, n2=1, n5=2))
    assert s.n == 4
    assert s.mean == 3.25
    assert s.sd == approx(math.sqrt(4.25))
    assert s.standard_error == approx(math.sqrt(4.25) / 2)


def test_dont_know_is_excluded() -> None:
    with_dont_know = summarise(Counts(n1=1, n2=1, n5=2, dont_know=9))
    assert with_dont_know == summarise(Counts(n1=1, n2=1, n5=2))
    assert with_dont_know.n == 4  # not 13


def test_ci_by_hand() -> None:
    # Answers 2, 2, 3, 3, 3, 3, 4, 4: mean 3; squared deviations 1+1+0+0+0+0+1+1 = 4;
    # s² = 4/7, sd = 0.7559289; SE = √(4/7 / 8) = √(1/14) = 0.2672612;
    # t(0.975; 7) = 2.3646243 (tables: 2.365); half-width 2.3646243 × 0.2672612 = 0.6319724;
    # 95% CI = (2.3680276, 3.6319724).
    s = summarise(Counts(n2=2, n3=4, n4=2))
    assert s.mean == 3.0
    assert s.sd == approx(math.sqrt(4 / 7))
    assert s.standard_error == approx(math.sqrt(1 / 14))
    assert s.ci95 == pytest.approx((2.3680276, 3.6319724), abs=1e-7)
    # and exactly: mean ± t(0.975; 7)·√(1/14)
    half = t_quantile(0.975, 7) * math.sqrt(1 / 14)
    assert s.ci95 == pytest.approx((3 - half, 3 + half), rel=1e-15)


def test_fpc_shrinks_the_interval() -> None:
    # Same answers, 10 invited: FPC √((10 − 8) / (10 − 1)) = √(2/9) = 0.4714045;
    # SE = 0.2672612 × 0.4714045 = 0.1259882; half-width 2.3646243 × 0.1259882 = 0.2979147;
    # 95% CI = (2.7020853, 3.2979147).
    s = summarise(Counts(n2=2, n3=4, n4=2), population=10)
    assert s.standard_error == approx(math.sqrt(1 / 14) * math.sqrt(2 / 9))
    assert s.sd == approx(math.sqrt(4 / 7))  # the FPC concerns the mean, not the spread
    assert s.ci95 == pytest.approx((2.7020853, 3.2979147), abs=1e-7)


def test_everyone_invited_answered_gives_a_zero_width_interval() -> None:
    s = summarise(Counts(n2=2, n3=4, n4=2), population=8)
    assert s.standard_error == 0.0
    assert s.ci95 == (3.0, 3.0)
    assert s.sd == approx(math.sqrt(4 / 7))


def test_population_below_n_is_treated_as_unknown() -> None:
    counts = Counts(n2=2, n3=4, n4=2)
    assert summarise(counts, population=5) == summarise(counts)


def test_ci_is_clipped_to_the_scale() -> None:
    # Answers 1, 3, 5: mean 3, sd 2, SE 2/√3, half-width 4.3027 × 1.1547 = 4.968 > 2.
    s = summarise(Counts(n1=1, n3=1, n5=1))
    assert s.sd == approx(2.0)
    assert s.ci95 == (1.0, 5.0)
    # Answers 4, 5, 5, 5: mean 4.75, upper limit would pass 5.
    high = summarise(Counts(n4=1, n5=3))
    assert high.ci95 is not None
    assert high.ci95[1] == 5.0
    assert high.ci95[0] < 4.75


def test_no_answers() -> None:
    empty = Summary(n=0, mean=None, sd=None, standard_error=None, ci95=None)
    assert summarise(Counts()) == empty
    assert summarise(Counts(dont_know=7), population=10) == empty


def test_one_answer() -> None:
    assert summarise(Counts(n4=1), population=20) == Summary(
        n=1, mean=4.0, sd=None, standard_error=None, ci95=None
    )


def test_all_answers_equal() -> None:
    s = summarise(Counts(n4=6, dont_know=2))
    assert s == Summary(n=6, mean=4.0, sd=0.0, standard_error=0.0, ci95=(4.0, 4.0))


counts_strategy = st.tuples(*[st.integers(0, 40)] * 5, st.integers(0, 5)).map(lambda t: Counts(*t))


@given(counts_strategy)
def test_summary_matches_the_statistics_module(counts: Counts) -> None:
    s = summarise(counts)
    values = expand(counts)
    assert s.n == len(values)
    if len(values) >= 1:
        assert s.mean == approx(statistics.fmean(values))
    if len(values) >= 2:
        sd = statistics.stdev(values)
        assert s.sd == pytest.approx(sd, rel=1e-9, abs=1e-12)
        assert s.standard_error == pytest.approx(sd / math.sqrt(len(values)), rel=1e-9, abs=1e-12)


@given(counts_strategy, st.integers(0, 400))
def test_ci_contains_the_mean(counts: Counts, extra: int) -> None:
    s = summarise(counts, population=counts.n + extra)
    if s.n >= 2:
        assert s.ci95 is not None
        assert s.mean is not None
        assert 1.0 <= s.ci95[0] <= s.mean <= s.ci95[1] <= 5.0
    else:
        assert s.ci95 is None


@given(counts_strategy, st.integers(0, 400))
def test_fpc_never_widens_the_interval(counts: Counts, extra: int) -> None:
    without = summarise(counts)
    with_fpc = summarise(counts, population=counts.n + extra)
    if without.ci95 is None:
        assert with_fpc.ci95 is None
        return
    assert with_fpc.ci95 is not None
    assert without.standard_error is not None
    assert with_fpc.standard_error is not None
    assert with_fpc.standard_error <= without.standard_error
    assert without.ci95[0] <= with_fpc.ci95[0]
    assert with_fpc.ci95[1] <= without.ci95[1]


# --------------------------------------------------------------------------------------------
# Comparisons


def test_significant_difference() -> None:
    # a: ten 4s and ten 5s, mean 4.5, s² = (20·410 − 90²) / (20·19) = 100/380; b: ten 2s and
    # ten 3s, mean 2.5, same s². SE² = 100/7600 each; t = 2 / √(200/7600) = 12.3288;
    # df = (2v)² / (2v²/19) = 38. p ≈ 7e-15.
    a = summarise(Counts(n4=10, n5=10))
    b = summarise(Counts(n2=10, n3=10))
    c = compare(a, b)
    assert c.test == "welch_t"
    assert c.difference == 2.0
    assert c.statistic == approx(2 / math.sqrt(200 / 7600))
    assert c.df == approx(38.0)
    assert c.p_value is not None
    assert c.p_value < 1e-10
    assert c.significant is True


def test_non_significant_difference() -> None:
    # a: five 3s, five 4s: mean 3.5, s² = 25/90, SE² = 25/900. b: six 3s, four 4s: mean 3.4,
    # s² = 24/90, SE² = 24/900. t = 0.1 / √(49/900) = 0.1 / (7/30) = 3/7;
    # df = (49/900)² / (((25/900)² + (24/900)²) / 9) = 9·2401 / 1201 = 17.99251.
    # p = P(|T_17.99| ≥ 0.4286) = 0.6733 (t tables: between 0.6 and 0.7 for df 18).
    a = summarise(Counts(n3=5, n4=5))
    b = summarise(Counts(n3=6, n4=4))
    c = compare(a, b)
    assert c.difference == pytest.approx(0.1, rel=1e-12)
    assert c.statistic == approx(3 / 7)
    assert c.df == approx(9 * 2401 / 1201)
    assert c.p_value == pytest.approx(_tail_by_integration(3 / 7, 9 * 2401 / 1201), abs=1e-9)
    assert c.p_value == pytest.approx(0.6733, abs=1e-4)
    assert c.significant is False


def test_welch_df_by_hand() -> None:
    # a: 2, 2, 3, 3, 3, 3, 4, 4 (n 8, s² 4/7, SE² 1/14); b: 1, 2, 5, 5 (n 4, s² 17/4, SE² 17/16).
    # df = (1/14 + 17/16)² / ((1/14)²/7 + (17/16)²/3) = (16129/12544) / (99319/263424)
    #    = 16129·21 / 99319 = 338709/99319 = 3.4103142.
    a = summarise(Counts(n2=2, n3=4, n4=2))
    b = summarise(Counts(n1=1, n2=1, n5=2))
    exact = Fraction(1, 14) + Fraction(17, 16)
    exact = exact**2 / (Fraction(1, 14) ** 2 / 7 + Fraction(17, 16) ** 2 / 3)
    assert exact == Fraction(338709, 99319)
    c = compare(a, b)
    assert c.df == approx(338709 / 99319)
    assert welch_df(1 / 14, 8, 17 / 16, 4) == approx(338709 / 99319)
    # t = (3 − 3.25) / √(127/112) = −0.2347725
    assert c.statistic == approx(-0.25 / math.sqrt(127 / 112))
    by_integration = _tail_by_integration(0.25 / math.sqrt(127 / 112), 338709 / 99319)
    assert c.p_value == pytest.approx(by_integration, abs=1e-9)
    assert c.significant is False


def test_welch_df_with_one_side_without_variance_is_the_other_sides_n_minus_1() -> None:
    a = summarise(Counts(n5=12))
    b = summarise(Counts(n2=2, n3=4, n4=2))
    c = compare(a, b)
    assert c.df == approx(7.0)
    assert c.statistic == approx(2 / math.sqrt(1 / 14))
    assert c.significant is True


def test_welch_df_rejects_untestable_input() -> None:
    with pytest.raises(ValueError, match="two answers"):
        welch_df(0.1, 1, 0.1, 5)
    with pytest.raises(ValueError, match="not both zero"):
        welch_df(0.0, 5, 0.0, 5)


def test_fpc_carries_over_into_the_comparison() -> None:
    # Same answers as the non-significant case, but on the a side 10 of 11 invited answered.
    a_counts, b_counts = Counts(n3=5, n4=5), Counts(n3=6, n4=4)
    plain = compare(summarise(a_counts), summarise(b_counts))
    corrected = compare(summarise(a_counts, population=11), summarise(b_counts))
    assert corrected.difference == plain.difference
    assert corrected.statistic is not None
    assert plain.statistic is not None
    # SE_a² = 25/900 · 1/10
    assert corrected.statistic == approx(0.1 / math.sqrt(25 / 9000 + 24 / 900), rel=1e-9)
    assert corrected.statistic > plain.statistic
    assert corrected.p_value is not None
    assert plain.p_value is not None
    assert corrected.p_value < plain.p_value


def test_institution_against_the_rest_of_its_municipality() -> None:
    institution = Counts(n4=10, n5=10)
    municipality = institution + Counts(n2=5, n3=20, n4=20, n5=5)
    rest = municipality - institution
    assert rest == Counts(n2=5, n3=20, n4=20, n5=5)
    c = compare(summarise(institution, population=25), summarise(rest, population=80 - 25))
    # The rest's mean 3.5 and SE² = s²/50 · (55 − 50)/(55 − 1), s² = (50·645 − 175²)/(50·49),
    # S2 = 4·5 + 9·20 + 16·20 + 25·5 = 645.
    se2_rest = (50 * 645 - 175**2) / (50 * 49) / 50 * 5 / 54
    se2_institution = (20 * 410 - 90**2) / (20 * 19) / 20 * 5 / 24
    assert c.statistic == approx(1.0 / math.sqrt(se2_rest + se2_institution), rel=1e-9)
    expected_rest_mean = (2 * 5 + 3 * 20 + 4 * 20 + 5 * 5) / 50
    assert c.difference == approx(4.5 - expected_rest_mean)
    # Against the overlapping whole the difference is diluted (and so would be the test).
    overlapping = compare(summarise(institution), summarise(municipality))
    assert overlapping.difference is not None
    assert c.difference is not None
    assert overlapping.difference < c.difference


def test_alpha_decides_significance() -> None:
    # a: n 20, mean 84/20 = 4.2, s² = (20·364 − 84²)/(20·19) = 224/380, SE² = 224/7600;
    # b: n 11, mean 39/11 = 3.5455, s² = (11·143 − 39²)/(11·10) = 52/110, SE² = 52/1210.
    # t = 0.654545 / √(0.0294737 + 0.0429752) = 2.43178 on
    # df = 0.0724489² / (0.0294737²/19 + 0.0429752²/10) = 22.7807, so p ≈ 0.023.
    a = summarise(Counts(n3=4, n4=8, n5=8))
    b = summarise(Counts(n3=6, n4=4, n5=1))
    c05 = compare(a, b)
    v = 224 / 7600 + 52 / 1210
    assert c05.statistic == approx((4.2 - 39 / 11) / math.sqrt(v), rel=1e-9)
    assert c05.df == approx(v**2 / ((224 / 7600) ** 2 / 19 + (52 / 1210) ** 2 / 10), rel=1e-9)
    assert c05.p_value is not None
    assert 0.01 < c05.p_value < 0.05
    assert c05.significant is True
    c01 = compare(a, b, alpha=0.01)
    assert c01.p_value == c05.p_value
    assert c01.significant is False
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="alpha"):
            compare(a, b, alpha=bad)


def test_compare_without_answers_or_with_one_answer() -> None:
    none = summarise(Counts(dont_know=3))
    one = summarise(Counts(n5=1))
    many = summarise(Counts(n2=2, n3=4, n4=2))
    assert compare(none, many) == Comparison(None, None, None, "welch_t")
    assert compare(many, none) == Comparison(None, None, None, "welch_t")
    assert compare(one, many) == Comparison(2.0, None, None, "welch_t")
    assert compare(many, one) == Comparison(-2.0, None, None, "welch_t")


def test_compare_summaries_built_by_hand_with_one_answer() -> None:
    # E.g. a stored summary of a previous round: n decides testability, not the SE field.
    one = Summary(n=1, mean=4.0, sd=None, standard_error=0.5, ci95=None)
    many = summarise(Counts(n2=2, n3=4, n4=2))
    assert compare(one, many) == Comparison(1.0, None, None, "welch_t")


def test_compare_without_variance_on_both_sides() -> None:
    assert compare(summarise(Counts(n5=8)), summarise(Counts(n4=9))) == Comparison(
        1.0, None, None, "welch_t"
    )
    # Everyone invited answered on both sides: the standard errors are zero as well.
    a = summarise(Counts(n3=5, n4=5), population=10)
    b = summarise(Counts(n3=6, n4=4), population=10)
    c = compare(a, b)
    assert c.difference == pytest.approx(0.1)
    assert c.p_value is None
    assert c.significant is None


@settings(max_examples=200)
@given(counts_strategy, counts_strategy, st.integers(0, 100), st.integers(0, 100))
def test_compare_is_antisymmetric(a: Counts, b: Counts, extra_a: int, extra_b: int) -> None:
    sa = summarise(a, population=a.n + extra_a)
    sb = summarise(b, population=b.n + extra_b)
    ab = compare(sa, sb)
    ba = compare(sb, sa)
    if ab.difference is None:
        assert ba.difference is None
    else:
        assert ba.difference == -ab.difference
    assert ab.p_value == ba.p_value
    assert ab.significant == ba.significant
    assert ab.df == ba.df
    if ab.p_value is not None:
        assert 0.0 <= ab.p_value <= 1.0


# --------------------------------------------------------------------------------------------
# Student's t distribution


@pytest.mark.parametrize(
    ("df", "table", "precise"),
    [
        (1, 12.706, 12.706204736174707),
        (2, 4.303, 4.302652729749464),
        (5, 2.571, 2.570581835636314),
        (10, 2.228, 2.228138851986274),
        (30, 2.042, 2.042272456301238),
        (120, 1.980, 1.979930405082423),
    ],
)
def test_t_quantile_against_tables(df: int, table: float, precise: float) -> None:
    q = t_quantile(0.975, df)
    assert round(q, 3) == table
    assert q == pytest.approx(precise, rel=1e-12)
    # 1 − 0.975 is not exactly 0.025 in binary, so the two agree to rounding only.
    assert t_quantile(0.025, df) == pytest.approx(-q, rel=1e-14)


def test_two_sided_p_against_tables() -> None:
    assert round(t_two_sided_p(2.0, 10), 4) == 0.0734
    assert t_two_sided_p(-2.0, 10) == t_two_sided_p(2.0, 10)
    assert t_two_sided_p(0.0, 10) == 1.0
    assert t_two_sided_p(math.inf, 10) == 0.0
    assert t_two_sided_p(2.228138851986274, 10) == pytest.approx(0.05, rel=1e-12)


@given(st.floats(0, 1e6))
def test_t_tail_closed_forms(t: float) -> None:
    # The lower tail F(−t) = p/2 of the two-sided p-value. df 1 (Cauchy): F(−t) = atan2(1, t)/π;
    # df 2: F(−t) = 1 / (r(r + t)), r = √(t² + 2), both written without cancellation so that
    # they can be compared to 1e-11 relative; df 3: F(t) = 1/2 + (u/(1 + u²) + atan u)/π,
    # u = t/√3.
    assert t_two_sided_p(t, 1) / 2 == pytest.approx(math.atan2(1.0, t) / math.pi, rel=1e-11)
    r = math.sqrt(t * t + 2)
    assert t_two_sided_p(t, 2) / 2 == pytest.approx(1 / (r * (r + t)), rel=1e-11)
    u = t / math.sqrt(3)
    expected3 = 0.5 + (u / (1 + u * u) + math.atan(u)) / math.pi
    assert 1 - t_two_sided_p(t, 3) / 2 == pytest.approx(expected3, rel=1e-11)
    assert t_two_sided_p(t, 3) / 2 == pytest.approx(1 - expected3, rel=1e-11, abs=1e-15)


@given(st.floats(1e-9, 1 - 1e-9))
def test_t_quantile_closed_forms(q: float) -> None:
    # df 1: tan(π(q − 1/2)), written as ∓cot(π·tail) to stay accurate near 0 and 1.
    cauchy = -1 / math.tan(math.pi * q) if q < 0.5 else 1 / math.tan(math.pi * (1 - q))
    assert t_quantile(q, 1) == pytest.approx(cauchy, rel=1e-9, abs=1e-12)
    df2 = (2 * q - 1) / math.sqrt(2 * q * (1 - q))
    assert t_quantile(q, 2) == pytest.approx(df2, rel=1e-9, abs=1e-12)


@settings(max_examples=200)
@given(st.floats(0.2, 1e9), st.floats(1e-6, 1 - 1e-6))
def test_t_quantile_inverts_the_cdf(df: float, q: float) -> None:
    t = t_quantile(q, df)
    assert t_two_sided_p(t, df) / 2 == pytest.approx(min(q, 1 - q), rel=1e-9)
    assert (t > 0) == (q > 0.5)


@pytest.mark.parametrize("df", [0.5, 3.4103, 7.3, 17.99, 250.5, 4.2e4])
@pytest.mark.parametrize("t", [0.3, 1.0, 2.2, 4.0])
def test_tail_agrees_with_integrating_the_density(df: float, t: float) -> None:
    assert t_two_sided_p(t, df) == pytest.approx(_tail_by_integration(t, df), rel=1e-8)


@pytest.mark.parametrize("df", [1e4, 1e5, 2e5, 3.5e5, 1e6, 1e8, 1e12])
def test_large_df_approaches_the_normal(df: float) -> None:
    # Fisher: upper tail = Q(t) + φ(t)(g1/df + g2/df² + O(df⁻³)), g1 = (t³ + t)/4,
    # g2 = (3t⁷ − 7t⁵ − 5t³ − 3t)/96. Cornish–Fisher (Abramowitz & Stegun 26.7.5) for the
    # quantile: t(q; df) = z + (z³ + z)/(4 df) + (5z⁵ + 16z³ + 3z)/(96 df²) + O(df⁻³).
    for t in (0.5, 1.96, 3.0):
        g1 = (t**3 + t) / 4
        g2 = (3 * t**7 - 7 * t**5 - 5 * t**3 - 3 * t) / 96
        expansion = math.erfc(t / math.sqrt(2)) + 2 * _phi(t) * (g1 / df + g2 / df**2)
        # The omitted O(df⁻³) term is about 1e-9 of the tail at 10⁴ and 1e-12 from 10⁵ on.
        assert t_two_sided_p(t, df) == pytest.approx(expansion, rel=1e-8 if df < 1e5 else 1e-10)
    z = 1.959963984540054
    cornish_fisher = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    assert t_quantile(0.975, df) == pytest.approx(cornish_fisher, rel=1e-11)


def test_t_distribution_rejects_bad_arguments() -> None:
    for bad_df in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="degrees of freedom"):
            t_two_sided_p(1.0, bad_df)
        with pytest.raises(ValueError, match="degrees of freedom"):
            t_quantile(0.975, bad_df)
    for bad_q in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            t_quantile(bad_q, 5)
    with pytest.raises(ValueError, match="NaN"):
        t_two_sided_p(math.nan, 5)
    assert t_quantile(0.5, 5) == 0.0


@pytest.mark.parametrize("a", [20.0, 21.5, 50.0, 1e3])
def test_log_beta_series_matches_lgamma(a: float) -> None:
    # log B(a, 1/2) switches from lgamma to its asymptotic series at a = 20 (df = 40).
    by_lgamma = math.lgamma(a) + math.lgamma(0.5) - math.lgamma(a + 0.5)
    assert stats._log_beta_half(a) == pytest.approx(by_lgamma, rel=1e-13)
    assert stats._log_beta_half(19.999999) == pytest.approx(stats._log_beta_half(20.0), rel=1e-7)


def _phi(t: float) -> float:
    return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)


def _tail_by_integration(t: float, df: float) -> float:
    """P(|T| ≥ t) = 1 − 2∫₀ᵗ pdf, by composite Simpson's rule (independent of the continued
    fraction; shares only the density's normalising constant)."""
    steps = 20_000
    h = t / steps
    total = t_pdf(0.0, df) + t_pdf(t, df)
    total += 4 * math.fsum(t_pdf((2 * i - 1) * h, df) for i in range(1, steps // 2 + 1))
    total += 2 * math.fsum(t_pdf(2 * i * h, df) for i in range(1, steps // 2))
    return 1.0 - 2.0 * total * h / 3.0


def test_density_integrates_to_one() -> None:
    # ∫ pdf over (−∞, ∞) = 1, which checks the normalising constant the integration relies on:
    # substitute t = tan θ and integrate over (−π/2, π/2) with Simpson's rule.
    assert t_pdf(0.7, 1) == pytest.approx(1 / (math.pi * (1 + 0.49)), rel=1e-14)
    for df in (3.4, 25.0, 1e4, 1e6):
        steps = 20_000
        lo, hi = -math.pi / 2, math.pi / 2
        h = (hi - lo) / steps

        def f(theta: float, df: float = df) -> float:
            if abs(theta) >= math.pi / 2:
                return 0.0
            return t_pdf(math.tan(theta), df) / math.cos(theta) ** 2

        total = f(lo) + f(hi)
        total += 4 * math.fsum(f(lo + (2 * i - 1) * h) for i in range(1, steps // 2 + 1))
        total += 2 * math.fsum(f(lo + 2 * i * h) for i in range(1, steps // 2))
        assert total * h / 3 == pytest.approx(1.0, rel=1e-9)


# --------------------------------------------------------------------------------------------
# Suppression


def test_below_threshold() -> None:
    assert below_threshold(4, 5) is True
    assert below_threshold(5, 5) is False
    assert below_threshold(0, 3) is True
    with pytest.raises(ValueError, match="never below 3"):
        below_threshold(10, 2)


def test_suppressed_cells_adds_complementary_suppression() -> None:
    # A municipality of three institutions: B is below 5, and would be the municipality minus
    # A and C, so the smaller of A and C (C) is withheld as well.
    sizes = {"muni": 21, "A": 10, "B": 3, "C": 8}
    equations = [("muni", ["A", "B", "C"])]
    assert suppressed_cells(sizes, 5, equations) == {
        "B": "fewer than 5 responses",
        "C": COMPLEMENTARY_REASON,
    }
    assert suppressed_cells(sizes, 3, equations) == {}
    assert suppressed_cells({"A": 4, "B": 9}, 5) == {"A": "fewer than 5 responses"}


def test_suppressed_cells_protects_cells_withheld_already() -> None:
    # One question of a municipality of four institutions: A is withheld as a whole (its
    # respondents), B had 3 answers; pooled they are 4, the municipality minus C and D, so the
    # smaller of those (C) is withheld as well. A keeps its own reason.
    sizes = {"muni": 22, "A": 1, "B": 3, "C": 8, "D": 10}
    few = "fewer than 5 answers to this question"
    withheld = suppressed_cells(
        sizes,
        5,
        [("muni", ["A", "B", "C", "D"])],
        withheld={"A": "fewer than 5 responses"},
        reason=few,
    )
    assert withheld == {"A": "fewer than 5 responses", "B": few, "C": COMPLEMENTARY_REASON}
