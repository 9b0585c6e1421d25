#include "text_values.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "jobber/sdk/time.hpp"

namespace jobber::postgres {

namespace {

// Reads at least `min_digits` digits (and at most 18); advances pos.
bool ReadNumber(std::string_view s, size_t& pos, size_t min_digits, size_t max_digits, int64_t& out) {
    size_t start = pos;
    out = 0;
    while (pos < s.size() && pos - start < max_digits && s[pos] >= '0' && s[pos] <= '9') {
        out = out * 10 + (s[pos] - '0');
        ++pos;
    }
    return pos - start >= min_digits;
}

bool Expect(std::string_view s, size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

bool ValidDate(int64_t year, int64_t month, int64_t day) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return false;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// Strips a trailing " BC"; true when it was there.
bool StripBc(std::string_view& s) {
    if (s.size() > 3 && s.substr(s.size() - 3) == " BC") {
        s.remove_suffix(3);
        return true;
    }
    return false;
}

// Reads "Y...Y-MM-DD" into days since the epoch; `bc` turns the year into astronomical numbering.
bool ReadDate(std::string_view s, size_t& pos, bool bc, int64_t& days) {
    int64_t year = 0, month = 0, day = 0;
    if (!ReadNumber(s, pos, 4, 9, year) || !Expect(s, pos, '-') || !ReadNumber(s, pos, 2, 2, month) ||
        !Expect(s, pos, '-') || !ReadNumber(s, pos, 2, 2, day)) {
        return false;
    }
    if (bc) year = 1 - year;  // 1 BC is year 0
    if (!ValidDate(year, month, day)) return false;
    days = sdk::DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return true;
}

void AppendPadded(int64_t value, int width, std::string& out) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    for (int n = static_cast<int>(end - buffer); n < width; ++n) out.push_back('0');
    out.append(buffer, end);
}

// Appends the date part; returns whether the year is BC (to be suffixed after the time).
bool AppendCivil(int64_t days, std::string& out) {
    const sdk::CivilDate c = sdk::CivilFromDays(days);
    const bool bc = c.year <= 0;
    AppendPadded(bc ? 1 - c.year : c.year, 4, out);
    out.push_back('-');
    AppendPadded(c.month, 2, out);
    out.push_back('-');
    AppendPadded(c.day, 2, out);
    return bc;
}

}  // namespace

std::optional<int64_t> ParseInt64(std::string_view text) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<double> ParseDouble(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::optional<bool> ParseBool(std::string_view text) {
    if (text == "t") return true;
    if (text == "f") return false;
    return std::nullopt;
}

std::optional<int32_t> ParseDate(std::string_view text) {
    const bool bc = StripBc(text);
    size_t pos = 0;
    int64_t days = 0;
    if (!ReadDate(text, pos, bc, days) || pos != text.size()) return std::nullopt;
    if (days < INT32_MIN || days > INT32_MAX) return std::nullopt;
    return static_cast<int32_t>(days);
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
    const bool bc = StripBc(text);
    size_t pos = 0;
    int64_t days = 0, hour = 0, minute = 0, second = 0, fraction = 0;
    if (!ReadDate(text, pos, bc, days) || !Expect(text, pos, ' ') || !ReadNumber(text, pos, 2, 2, hour) ||
        !Expect(text, pos, ':') || !ReadNumber(text, pos, 2, 2, minute) || !Expect(text, pos, ':') ||
        !ReadNumber(text, pos, 2, 2, second)) {
        return std::nullopt;
    }
    if (Expect(text, pos, '.')) {
        const size_t start = pos;
        if (!ReadNumber(text, pos, 1, 6, fraction)) return std::nullopt;
        for (size_t n = pos - start; n < 6; ++n) fraction *= 10;
    }
    int64_t offset_seconds = 0;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int64_t oh = 0, om = 0, os = 0;
        if (!ReadNumber(text, pos, 2, 2, oh)) return std::nullopt;
        if (Expect(text, pos, ':') && !ReadNumber(text, pos, 2, 2, om)) return std::nullopt;
        if (Expect(text, pos, ':') && !ReadNumber(text, pos, 2, 2, os)) return std::nullopt;
        offset_seconds = sign * (oh * 3600 + om * 60 + os);
    }
    if (pos != text.size() || hour > 24 || minute > 59 || second > 60) return std::nullopt;
    // PostgreSQL counts from 2000 and reaches year 294276; from 1970 the last ~30 years of that
    // overflow int64 microseconds, and are refused rather than wrapped.
    int64_t micros = 0;
    if (__builtin_mul_overflow(days, sdk::kMicrosPerDay, &micros) ||
        __builtin_add_overflow(micros,
                               (hour * 3600 + minute * 60 + second - offset_seconds) * sdk::kMicrosPerSecond + fraction,
                               &micros)) {
        return std::nullopt;
    }
    return micros;
}

void AppendDate(int32_t days, std::string& out) {
    if (AppendCivil(days, out)) out.append(" BC");
}

void AppendTimestamp(int64_t micros, std::string& out) {
    const int64_t days = sdk::FloorDiv(micros, sdk::kMicrosPerDay);
    const int64_t rest = micros - days * sdk::kMicrosPerDay;
    const bool bc = AppendCivil(days, out);
    const int64_t seconds = rest / sdk::kMicrosPerSecond;
    out.push_back(' ');
    AppendPadded(seconds / 3600, 2, out);
    out.push_back(':');
    AppendPadded(seconds / 60 % 60, 2, out);
    out.push_back(':');
    AppendPadded(seconds % 60, 2, out);
    if (const int64_t fraction = rest % sdk::kMicrosPerSecond; fraction != 0) {
        out.push_back('.');
        AppendPadded(fraction, 6, out);
    }
    if (bc) out.append(" BC");
}

void AppendDouble(double value, std::string& out) {
    if (std::isnan(value)) {
        out.append("NaN");
    } else if (std::isinf(value)) {
        out.append(value > 0 ? "Infinity" : "-Infinity");
    } else {
        char buffer[32];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
        out.append(buffer, end);
    }
}

void AppendInt64(int64_t value, std::string& out) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.append(buffer, end);
}

}  // namespace jobber::postgres
