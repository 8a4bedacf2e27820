"""Statistics behind the survey results (SPEC §6): n, mean, standard deviation, standard error
and 95% confidence interval of a 1–5 scale question, Welch's t-test for comparing an
institution with the rest of its municipality, the rest of the country, or the previous round,
and the anonymity suppression of result cells (SPEC §3). Pure functions: no database, no HTTP.

Formulas, for one question with ``n_k`` answers of value ``k`` (k = 1..5). "Ved ikke" is
counted in the distribution but is not an answer on the scale, so it is left out of ``n`` and
of every statistic below.

- ``n = Σ n_k``, ``S1 = Σ k·n_k``, ``S2 = Σ k²·n_k``.
- Mean: ``x̄ = S1 / n`` (n ≥ 1).
- Sample variance (n − 1 in the denominator): ``s² = (n·S2 − S1²) / (n·(n − 1))`` (n ≥ 2).
  The numerator is an exact integer, so answers that are all equal give exactly 0.
- Standard error: ``SE = s / √n · √((N − n) / (N − 1))``, where ``N`` is the population (the
  number invited, i.e. everyone who could have answered). The second factor is the
  finite-population correction (FPC): a round surveys a finite group, and when most of the
  group has answered the mean is known more precisely (when everyone has answered, n = N, it is
  known exactly and SE = 0). Without a known N, or with N < n (more answers than invitations,
  e.g. answers collected by a vendor), the factor is 1.
- 95% confidence interval: ``x̄ ± t(0.975; n − 1) · SE``, with ``t(q; ν)`` the q-quantile of
  Student's t distribution with ν degrees of freedom, clipped to the scale [1, 5].
- Comparison (Welch's unequal-variance t-test on two independent samples, using each side's
  SE, so each side's FPC carries over):
  ``t = (x̄_a − x̄_b) / √(SE_a² + SE_b²)``, with the Welch–Satterthwaite degrees of freedom
  ``ν = (SE_a² + SE_b²)² / (SE_a⁴ / (n_a − 1) + SE_b⁴ / (n_b − 1))``, and the two-sided
  p-value ``p = 2·P(T_ν ≥ |t|)``. The difference is significant when p < α (α = 0.05).

Student's t distribution is computed here rather than taken from scipy (which the platform does
not otherwise need): ``2·P(T_ν ≥ |t|) = I_x(ν/2, 1/2)`` with ``x = ν / (ν + t²)``, where
``I_x(a, b)`` is the regularised incomplete beta function, evaluated by its continued fraction
with the modified Lentz method (Numerical Recipes §6.4), and ``log B(ν/2, 1/2)`` by its
asymptotic series for large ν (where subtracting ``lgamma`` values would lose digits). Beyond
3·10⁵ degrees of freedom, where the continued fraction loses digits to cancellation, Fisher's
expansion of the tail about the normal to order ν⁻² is used instead. The tail is accurate to
about 1e-13 (relative) up to 10³ degrees of freedom and 1e-10 beyond, for |t| ≤ 5. Quantiles are
found by Newton's method, kept inside a bracket by bisection.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import TypeVar

from leko_kit.suppression import COMPLEMENTARY_REASON, below_reason, complementary, fewer_than

SCALE_MIN = 1
SCALE_MAX = 5
CONFIDENCE = 0.95
ALPHA = 0.05
MIN_THRESHOLD = 3  # SPEC §3: the anonymity threshold is configurable per round, never below 3
DISTRIBUTION_KEYS = ("1", "2", "3", "4", "5", "dont_know")
WELCH_T = "welch_t"

K = TypeVar("K", bound=Hashable)


# --------------------------------------------------------------------------------------------
# Counts and summaries


@dataclass(frozen=True, slots=True)
class Counts:
    """Answers to one scale question: how many chose 1..5, and "ved ikke" (excluded from
    means)."""

    n1: int = 0
    n2: int = 0
    n3: int = 0
    n4: int = 0
    n5: int = 0
    dont_know: int = 0

    def __post_init__(self) -> None:
        for value in self._as_tuple():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("answer counts must be integers")
            if value < 0:
                raise ValueError("answer counts cannot be negative")

    @property
    def n(self) -> int:
        """Answers on the scale (1..5); "ved ikke" is not counted."""
        return self.n1 + self.n2 + self.n3 + self.n4 + self.n5

    @property
    def respondents(self) -> int:
        """Everyone who answered the question, "ved ikke" included."""
        return self.n + self.dont_know

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(*(x + y for x, y in zip(self._as_tuple(), other._as_tuple(), strict=True)))

    def __sub__(self, other: Counts) -> Counts:
        """The counts left when `other` (a part of these, e.g. one institution of a
        municipality) is taken out. Raises ValueError when `other` is not a part of these."""
        if not isinstance(other, Counts):
            return NotImplemented
        diff = tuple(x - y for x, y in zip(self._as_tuple(), other._as_tuple(), strict=True))
        if min(diff) < 0:
            raise ValueError("cannot subtract counts that are not part of these counts")
        return Counts(*diff)

    def distribution(self) -> dict[str, int]:
        """{"1": .., "2": .., "3": .., "4": .., "5": .., "dont_know": ..}"""
        return dict(zip(DISTRIBUTION_KEYS, self._as_tuple(), strict=True))

    def _as_tuple(self) -> tuple[int, int, int, int, int, int]:
        return (self.n1, self.n2, self.n3, self.n4, self.n5, self.dont_know)


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    mean: float | None
    sd: float | None  # sample standard deviation (n - 1)
    standard_error: float | None  # with finite-population correction when population is known
    ci95: tuple[float, float] | None  # 95% CI of the mean (t, n - 1 df), clipped to [1, 5]


def summarise(counts: Counts, *, population: int | None = None) -> Summary:
    """n, mean, sample standard deviation, standard error and 95% confidence interval of the
    answers 1..5 ("ved ikke" excluded).

    `population` is the number invited (everyone who could have answered). When it is known
    and at least n, the finite-population correction √((N − n) / (N − 1)) is applied to the
    standard error; n == N gives a zero-width interval. A population below n (more answers
    than invitations) is treated as unknown.

    n = 0 gives no mean; n = 1 a mean but no standard deviation, standard error or interval.
    """
    n = counts.n
    if n == 0:
        return Summary(n=0, mean=None, sd=None, standard_error=None, ci95=None)
    s1 = counts.n1 + 2 * counts.n2 + 3 * counts.n3 + 4 * counts.n4 + 5 * counts.n5
    mean = s1 / n
    if n == 1:
        return Summary(n=1, mean=mean, sd=None, standard_error=None, ci95=None)
    s2 = counts.n1 + 4 * counts.n2 + 9 * counts.n3 + 16 * counts.n4 + 25 * counts.n5
    # Exact integers up to the final division: s² = num / (n (n - 1)).
    num = n * s2 - s1 * s1
    sd = math.sqrt(num / (n * (n - 1)))
    if population is not None and population >= n:
        # SE² = s²/n · (N - n)/(N - 1), still one correctly rounded division of integers.
        se = math.sqrt(num * (population - n) / (n * n * (n - 1) * (population - 1)))
    else:
        se = math.sqrt(num / (n * n * (n - 1)))
    half = t_quantile(0.5 + CONFIDENCE / 2, n - 1) * se
    ci95 = (max(float(SCALE_MIN), mean - half), min(float(SCALE_MAX), mean + half))
    return Summary(n=n, mean=mean, sd=sd, standard_error=se, ci95=ci95)


# --------------------------------------------------------------------------------------------
# Comparison


@dataclass(frozen=True, slots=True)
class Comparison:
    difference: float | None  # mean of a minus mean of b
    p_value: float | None
    significant: bool | None  # at alpha; None when untestable
    test: str  # "welch_t"
    statistic: float | None = None  # Welch's t
    df: float | None = None  # Welch–Satterthwaite degrees of freedom


def compare(a: Summary, b: Summary, *, alpha: float = ALPHA) -> Comparison:
    """Welch's unequal-variance t-test of the difference between the means of two independent
    samples, using each side's standard error (so a finite-population correction carries
    over): t = (x̄_a − x̄_b) / √(SE_a² + SE_b²), two-sided p from Student's t with the
    Welch–Satterthwaite degrees of freedom (SE_a² + SE_b²)² / (SE_a⁴/(n_a − 1) + SE_b⁴/(n_b − 1)).

    The two samples must not overlap. To compare an institution with its municipality, compare
    it with the REST of the municipality: ``summarise(municipality - institution,
    population=municipality_invited - institution_invited)``; likewise a municipality with the
    rest of the country. Comparing a part with a whole that contains it would count the same
    answers on both sides and understate the difference's significance. (The difference
    reported is then against the rest, not against the municipality's mean.) Two rounds of a
    programme are treated as independent samples.

    `difference` is None when either side has no mean. `p_value` and `significant` are None
    when the difference cannot be tested: n < 2 on either side, or a standard error of zero on
    both sides (all answers equal on both sides, or everyone invited answered on both).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be between 0 and 1")
    if a.mean is None or b.mean is None:
        return Comparison(difference=None, p_value=None, significant=None, test=WELCH_T)
    difference = a.mean - b.mean
    untestable = Comparison(difference=difference, p_value=None, significant=None, test=WELCH_T)
    if a.n < 2 or b.n < 2 or a.standard_error is None or b.standard_error is None:
        return untestable
    va = a.standard_error**2
    vb = b.standard_error**2
    if va + vb == 0.0:
        return untestable
    df = welch_df(va, a.n, vb, b.n)
    t = difference / math.sqrt(va + vb)
    p = t_two_sided_p(t, df)
    return Comparison(
        difference=difference,
        p_value=p,
        significant=p < alpha,
        test=WELCH_T,
        statistic=t,
        df=df,
    )


def welch_df(var_a: float, n_a: int, var_b: float, n_b: int) -> float:
    """Welch–Satterthwaite degrees of freedom from each side's squared standard error and n:
    (v_a + v_b)² / (v_a²/(n_a − 1) + v_b²/(n_b − 1))."""
    if n_a < 2 or n_b < 2:
        raise ValueError("each side needs at least two answers")
    if var_a < 0 or var_b < 0 or var_a + var_b == 0:
        raise ValueError("squared standard errors must be non-negative and not both zero")
    return (var_a + var_b) ** 2 / (var_a**2 / (n_a - 1) + var_b**2 / (n_b - 1))


# --------------------------------------------------------------------------------------------
# Suppression (SPEC §3)


def below_threshold(n: int, threshold: int) -> bool:
    """True when a cell of n respondents is too small to show. Raises ValueError for a
    threshold below the floor of 3 that SPEC §3 allows."""
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"the anonymity threshold is never below {MIN_THRESHOLD}")
    return n < threshold


def suppressed_cells(
    sizes: Mapping[K, int],
    threshold: int,
    equations: Sequence[tuple[K, Sequence[K]]] = (),
    *,
    withheld: Mapping[K, str] | None = None,
    reason: str | None = None,
) -> dict[K, str]:
    """Cells to withhold, each with the reason to show: those below the threshold, and those
    withheld by `leko_kit.suppression.complementary` so that no withheld cell can be worked out
    from a shown total and its shown parts. `equations` are (total, parts) pairs, e.g.
    (municipality, its institutions).

    `withheld` are cells withheld already for another reason (one question of a cell whose
    respondents are withheld as a whole), kept with their reasons and protected like the
    small ones; `reason` is what a small cell says (by default, fewer than the threshold of
    responses)."""
    reasons = dict(withheld or {})
    for cell, n in sizes.items():
        if cell not in reasons and below_threshold(n, threshold):
            reasons[cell] = reason or below_reason(threshold)
    extra = complementary(sizes, set(reasons), equations, too_small=fewer_than(threshold, sizes))
    reasons.update(dict.fromkeys(extra, COMPLEMENTARY_REASON))
    return reasons


# --------------------------------------------------------------------------------------------
# Student's t distribution

_EPS = 3e-16  # just above the spacing of floats at 1.0
_TINY = 1e-300
_MAX_ITERATIONS = 10_000
_MAX_ROOT_ITERATIONS = 200
_LARGE_DF = 3e5  # see _t_two_sided_tail
# (power, coefficient) of log Γ(a + 1/2) − log Γ(a) − (1/2) log a in powers of 1/a (from
# Stirling's series); the first omitted term is 691/(180224 a¹¹), below 1e-17 for a ≥ 20.
_HALF_GAMMA_RATIO_SERIES = (
    (1, -1 / 8),
    (3, 1 / 192),
    (5, -1 / 640),
    (7, 17 / 14336),
    (9, -31 / 18432),
)
_LOG_SQRT_PI = 0.5 * math.log(math.pi)


def _log_beta_half(a: float) -> float:
    """log B(a, 1/2) = log Γ(a) + log Γ(1/2) − log Γ(a + 1/2)."""
    if a < 20:
        return math.lgamma(a) + _LOG_SQRT_PI - math.lgamma(a + 0.5)
    ratio = 0.5 * math.log(a)
    for power, coefficient in _HALF_GAMMA_RATIO_SERIES:
        ratio += coefficient / a**power
    return _LOG_SQRT_PI - ratio


def _beta_continued_fraction(a: float, b: float, x: float, y: float) -> float:
    """Continued fraction of the incomplete beta function I_x(a, b) (modified Lentz); y = 1 − x."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = (1.0 - b + qab * y) / qap  # = 1 − qab·x/qap, without the cancellation for x near 1
    d = 1.0 / (d if abs(d) >= _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITERATIONS + 1):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) >= _TINY else _TINY)
            c = 1.0 + aa / c
            c = c if abs(c) >= _TINY else _TINY
            delta = d * c
            h *= delta
        if abs(delta - 1.0) <= _EPS:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def _t_two_sided_tail(t: float, df: float) -> float:
    """P(|T_df| ≥ |t|) = I_x(df/2, 1/2), x = df / (df + t²)."""
    t2 = t * t
    if t2 == 0.0:
        return 1.0
    if math.isinf(t2):
        return 0.0
    if df > _LARGE_DF:
        # Fisher's expansion in 1/df: P(T ≥ t) = Q(t) + φ(t)·(g1(t)/df + g2(t)/df² + O(df⁻³)),
        # g1 = (t³ + t)/4, g2 = (3t⁷ − 7t⁵ − 5t³ − 3t)/96. Beyond 3·10⁵ degrees of freedom
        # the neglected term is below about 3e-11 of the tail for |t| ≤ 5, while the continued
        # fraction loses digits to cancellation (1e-9 of the tail at 10⁶, 1e-8 at 10⁷).
        u = abs(t)
        g1 = (u * t2 + u) / 4.0
        g2 = (((3.0 * t2 - 7.0) * t2 - 5.0) * t2 - 3.0) * u / 96.0
        density = math.exp(-t2 / 2.0) / math.sqrt(2.0 * math.pi)
        upper = 0.5 * math.erfc(u / math.sqrt(2.0)) + density * (g1 / df + g2 / (df * df))
        return 2.0 * upper
    a = df / 2.0
    b = 0.5
    # x and 1 − x, and their logarithms, computed without cancellation.
    x = df / (df + t2)
    y = t2 / (df + t2)
    log_x = -math.log1p(t2 / df)
    log_y = -math.log1p(df / t2)
    front = math.exp(a * log_x + b * log_y - _log_beta_half(a))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x, y) / a
    return 1.0 - front * _beta_continued_fraction(b, a, y, x) / b


def _check_df(df: float) -> None:
    if not (df > 0 and math.isfinite(df)):
        raise ValueError("degrees of freedom must be positive and finite")


def t_two_sided_p(t: float, df: float) -> float:
    """Two-sided p-value of a t statistic: P(|T_df| ≥ |t|)."""
    _check_df(df)
    if math.isnan(t):
        raise ValueError("t is NaN")
    return min(1.0, max(0.0, _t_two_sided_tail(t, df)))


def t_pdf(t: float, df: float) -> float:
    """Density of Student's t distribution."""
    _check_df(df)
    return math.exp(
        -_log_beta_half(df / 2.0) - 0.5 * math.log(df) - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )


def t_quantile(q: float, df: float) -> float:
    """The q-quantile of Student's t distribution with df degrees of freedom."""
    _check_df(df)
    if not 0.0 < q < 1.0:
        raise ValueError("q must be between 0 and 1")
    if q == 0.5:
        return 0.0
    return _upper_quantile(1.0 - q, df) if q > 0.5 else -_upper_quantile(q, df)


@lru_cache(maxsize=4096)
def _upper_quantile(p: float, df: float) -> float:
    """The t > 0 with P(T_df ≥ t) = p, for 0 < p < 1/2."""
    target = 2.0 * p  # two-sided tail, exact in binary

    def excess(t: float) -> float:
        return _t_two_sided_tail(t, df) - target  # decreasing in t

    lo = 0.0
    hi = max(1.0, NormalDist().inv_cdf(1.0 - p))
    while excess(hi) > 0:
        lo, hi = hi, hi * 2.0
        if math.isinf(hi):
            return math.inf
    t = hi
    for _ in range(_MAX_ROOT_ITERATIONS):
        f = excess(t)
        if f == 0.0:
            return t
        if f > 0:
            lo = t
        else:
            hi = t
        # Newton on the tail, whose derivative is −2·pdf(t).
        step = f / (2.0 * t_pdf(t, df))
        new = t + step
        if not lo < new < hi:
            new = (lo + hi) / 2.0
        if abs(new - t) <= 1e-15 * new or hi - lo <= 1e-15 * hi:
            return new
        t = new
    return t
