#include "numeric_binary.hpp"

#include <strings.h>

#include <cstdint>

namespace jobber::postgres {

namespace {

// numeric.c: NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, NUMERIC_PINF, NUMERIC_NINF.
constexpr uint16_t kPositive = 0x0000;
constexpr uint16_t kNegative = 0x4000;
constexpr uint16_t kNaN = 0xC000;
constexpr uint16_t kPlusInfinity = 0xD000;
constexpr uint16_t kMinusInfinity = 0xF000;
constexpr int kMaxDisplayScale = 0x3FFF;  // NUMERIC_DSCALE_MASK
// The exponent is bounded so that positions below stay far from overflow; numeric's own limits
// (131072 digits before the point, 16383 after) are far below it.
constexpr int64_t kMaxExponent = 1000000;

void PutInt16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
}

bool EqualsIgnoringCase(std::string_view a, const char* b) {
    return a.size() == std::char_traits<char>::length(b) && strncasecmp(a.data(), b, a.size()) == 0;
}

void AppendSpecial(uint16_t sign, std::string& out) {
    PutInt16(out, 0);  // ndigits
    PutInt16(out, 0);  // weight
    PutInt16(out, sign);
    PutInt16(out, 0);  // dscale
}

}  // namespace

bool AppendNumericBinary(std::string_view text, std::string& out) {
    std::string_view s = text;
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (EqualsIgnoringCase(s, "NaN")) {
        AppendSpecial(kNaN, out);
        return true;
    }
    bool negative = false;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    if (EqualsIgnoringCase(s, "Infinity") || EqualsIgnoringCase(s, "inf")) {
        AppendSpecial(negative ? kMinusInfinity : kPlusInfinity, out);
        return true;
    }

    // Collect the digits, remembering where the decimal point falls (`point` digits from the start
    // of `digits`) and how many fraction digits the text shows (the display scale).
    std::string digits;
    digits.reserve(s.size());
    size_t pos = 0;
    int64_t integer_digits = 0;
    int64_t fraction_digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        digits.push_back(s[pos++]);
        ++integer_digits;
    }
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            digits.push_back(s[pos++]);
            ++fraction_digits;
        }
    }
    if (digits.empty()) return false;
    int64_t exponent = 0;
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
        ++pos;
        bool exponent_negative = false;
        if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) exponent_negative = s[pos++] == '-';
        const size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            exponent = exponent * 10 + (s[pos++] - '0');
            if (exponent > kMaxExponent) return false;
        }
        if (pos == start) return false;
        if (exponent_negative) exponent = -exponent;
    }
    if (pos != s.size()) return false;

    int64_t display_scale = fraction_digits - exponent;
    if (display_scale < 0) display_scale = 0;
    if (display_scale > kMaxDisplayScale) return false;
    int64_t point = integer_digits + exponent;  // digits before the decimal point

    // Leading zeros move the point left; trailing zeros carry no value (the scale keeps them shown).
    size_t first = 0;
    while (first < digits.size() && digits[first] == '0') ++first;
    size_t last = digits.size();
    while (last > first && digits[last - 1] == '0') --last;
    if (first == last) {  // zero
        PutInt16(out, 0);
        PutInt16(out, 0);
        PutInt16(out, kPositive);
        PutInt16(out, static_cast<uint16_t>(display_scale));
        return true;
    }
    point -= static_cast<int64_t>(first);
    std::string_view significant(digits.data() + first, last - first);

    // Align on base-10000 groups with the point on a group boundary: pad zeros on the left so that
    // the digit count before the point is a multiple of 4, then on the right to whole groups.
    const int64_t left_pad = ((4 - point % 4) % 4 + 4) % 4;
    point += left_pad;
    const int64_t total = left_pad + static_cast<int64_t>(significant.size());
    const int64_t groups = (total + 3) / 4;
    const int64_t weight = point / 4 - 1;
    if (groups > 0x7fff || weight > 0x7fff || weight < -0x8000) return false;

    PutInt16(out, static_cast<uint16_t>(groups));
    PutInt16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
    PutInt16(out, negative ? kNegative : kPositive);
    PutInt16(out, static_cast<uint16_t>(display_scale));
    for (int64_t g = 0; g < groups; ++g) {
        uint16_t value = 0;
        for (int64_t i = g * 4; i < g * 4 + 4; ++i) {
            const int64_t index = i - left_pad;
            const int digit =
                index >= 0 && index < static_cast<int64_t>(significant.size()) ? significant[index] - '0' : 0;
            value = static_cast<uint16_t>(value * 10 + digit);
        }
        PutInt16(out, value);
    }
    return true;
}

}  // namespace jobber::postgres
