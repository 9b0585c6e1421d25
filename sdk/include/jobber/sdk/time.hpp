// Civil date/time <-> Unix day and microsecond counts (UTC), for DATE and TIMESTAMP columns.
// The day arithmetic is Howard Hinnant's public-domain days_from_civil/civil_from_days.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace jobber::sdk {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
    int64_t year;
    unsigned month;
    unsigned day;
};

constexpr CivilDate CivilFromDays(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2), m, d};
}

inline int64_t FloorDiv(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// "YYYY-MM-DD"
inline std::string FormatDate(int32_t days) {
    const CivilDate c = CivilFromDays(days);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month, c.day);
    return buf;
}

// "YYYY-MM-DD HH:MM:SS" plus ".ffffff" when there are fractional seconds.
inline std::string FormatTimestamp(int64_t micros) {
    const int64_t days = FloorDiv(micros, kMicrosPerDay);
    int64_t rest = micros - days * kMicrosPerDay;
    const CivilDate c = CivilFromDays(days);
    const int64_t secs = rest / kMicrosPerSecond;
    const int64_t frac = rest % kMicrosPerSecond;
    char buf[48];
    int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02lld:%02lld:%02lld", static_cast<long long>(c.year),
                          c.month, c.day, static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                          static_cast<long long>(secs % 60));
    if (frac != 0) std::snprintf(buf + n, sizeof(buf) - n, ".%06lld", static_cast<long long>(frac));
    return buf;
}

namespace detail {
inline bool ReadDigits(std::string_view s, size_t& pos, size_t count, int64_t& out) {
    if (pos + count > s.size()) return false;
    out = 0;
    for (size_t i = 0; i < count; ++i) {
        const char ch = s[pos + i];
        if (ch < '0' || ch > '9') return false;
        out = out * 10 + (ch - '0');
    }
    pos += count;
    return true;
}
inline bool Expect(std::string_view s, size_t& pos, char ch) {
    if (pos < s.size() && s[pos] == ch) {
        ++pos;
        return true;
    }
    return false;
}
inline bool ValidDate(int64_t y, int64_t m, int64_t d) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}
}  // namespace detail

// Parses "YYYY-MM-DD"; nullopt when malformed.
inline std::optional<int32_t> ParseDate(std::string_view s) {
    size_t pos = 0;
    int64_t y = 0, m = 0, d = 0;
    if (!detail::ReadDigits(s, pos, 4, y) || !detail::Expect(s, pos, '-') || !detail::ReadDigits(s, pos, 2, m) ||
        !detail::Expect(s, pos, '-') || !detail::ReadDigits(s, pos, 2, d) || pos != s.size() ||
        !detail::ValidDate(y, m, d)) {
        return std::nullopt;
    }
    return static_cast<int32_t>(DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)));
}

// Parses "YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]" (a bare date is midnight) into
// microseconds since the epoch, UTC. nullopt when malformed.
inline std::optional<int64_t> ParseTimestamp(std::string_view s) {
    size_t pos = 0;
    int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
    if (!detail::ReadDigits(s, pos, 4, y) || !detail::Expect(s, pos, '-') || !detail::ReadDigits(s, pos, 2, mo) ||
        !detail::Expect(s, pos, '-') || !detail::ReadDigits(s, pos, 2, d) || !detail::ValidDate(y, mo, d)) {
        return std::nullopt;
    }
    if (pos < s.size()) {
        if (s[pos] != ' ' && s[pos] != 'T' && s[pos] != 't') return std::nullopt;
        ++pos;
        if (!detail::ReadDigits(s, pos, 2, h) || !detail::Expect(s, pos, ':') || !detail::ReadDigits(s, pos, 2, mi)) {
            return std::nullopt;
        }
        if (detail::Expect(s, pos, ':')) {
            if (!detail::ReadDigits(s, pos, 2, sec)) return std::nullopt;
            if (detail::Expect(s, pos, '.')) {
                int digits = 0;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    if (digits < 6) frac = frac * 10 + (s[pos] - '0');
                    ++digits;
                    ++pos;
                }
                if (digits == 0) return std::nullopt;
                for (int i = digits; i < 6; ++i) frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    }
    int64_t offset_minutes = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            const int sign = s[pos] == '-' ? -1 : 1;
            ++pos;
            int64_t oh = 0, om = 0;
            if (!detail::ReadDigits(s, pos, 2, oh)) return std::nullopt;
            if (detail::Expect(s, pos, ':') || (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')) {
                if (!detail::ReadDigits(s, pos, 2, om)) return std::nullopt;
            }
            offset_minutes = sign * (oh * 60 + om);
        }
        if (pos != s.size()) return std::nullopt;
    }
    const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return days * kMicrosPerDay + ((h * 60 + mi - offset_minutes) * 60 + sec) * kMicrosPerSecond + frac;
}

}  // namespace jobber::sdk
