#include "jobber/config/duration.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>

namespace jobber::config {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
    while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
    return text;
}

// Quotes at most 80 bytes of the input so a hostile multi-megabyte value does not become a multi-megabyte message.
std::string Quote(std::string_view text) {
    constexpr size_t kShown = 80;
    std::string quoted = "\"";
    quoted.append(text.substr(0, kShown));
    if (text.size() > kShown) quoted.append("...");
    quoted.append("\"");
    return quoted;
}

[[noreturn]] void Fail(std::string_view input, const std::string& why) {
    throw std::invalid_argument("invalid duration " + Quote(input) + ": " + why);
}

constexpr const char* kExpected = "write whole seconds (\"90\") or groups like \"250ms\", \"90s\", \"5m\", \"1h30m\"";

// Adds value * factor to total, refusing to wrap around.
bool AddScaled(std::int64_t& total, std::int64_t value, std::int64_t factor) {
    if (value > kMax / factor) return false;
    const std::int64_t scaled = value * factor;
    if (total > kMax - scaled) return false;
    total += scaled;
    return true;
}

}  // namespace

std::chrono::milliseconds ParseDuration(std::string_view text) {
    const std::string_view input = Trim(text);
    if (input.empty()) Fail(text, "empty; " + std::string(kExpected));
    if (input.front() == '-') Fail(text, "negative durations are not allowed");

    std::int64_t total_ms = 0;
    size_t pos = 0;
    bool bare_number = true;
    while (pos < input.size()) {
        if (!IsDigit(input[pos])) Fail(text, std::string("expected a number at '") + input[pos] + "'; " + kExpected);
        std::int64_t value = 0;
        while (pos < input.size() && IsDigit(input[pos])) {
            const int digit = input[pos] - '0';
            if (value > (kMax - digit) / 10) Fail(text, "too large");
            value = value * 10 + digit;
            ++pos;
        }
        if (pos == input.size() && bare_number) {
            // Only a lone number means seconds; "1h30" is refused below rather than guessed at.
            if (!AddScaled(total_ms, value, 1000)) Fail(text, "too large");
            return std::chrono::milliseconds(total_ms);
        }
        bare_number = false;
        std::int64_t factor = 0;
        if (input.substr(pos, 2) == "ms") {
            factor = 1;
            pos += 2;
        } else if (pos < input.size() && input[pos] == 's') {
            factor = 1000;
            ++pos;
        } else if (pos < input.size() && input[pos] == 'm') {
            factor = 60 * 1000;
            ++pos;
        } else if (pos < input.size() && input[pos] == 'h') {
            factor = 60 * 60 * 1000;
            ++pos;
        } else if (pos < input.size() && input[pos] == '.') {
            Fail(text, "fractions are not supported; write \"1m30s\" rather than \"1.5m\"");
        } else if (pos == input.size()) {
            Fail(text, "a number without a unit after another group; " + std::string(kExpected));
        } else {
            Fail(text, std::string("unknown unit at '") + input[pos] + "' (use ms, s, m or h)");
        }
        if (!AddScaled(total_ms, value, factor)) Fail(text, "too large");
    }
    return std::chrono::milliseconds(total_ms);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
    std::int64_t ms = duration.count();
    if (ms == 0) return "0s";
    std::string out;
    // Negate as unsigned so the most negative value does not overflow.
    std::uint64_t rest = static_cast<std::uint64_t>(ms);
    if (ms < 0) {
        out = "-";
        rest = ~rest + 1;
    }
    const std::uint64_t hours = rest / 3'600'000;
    const std::uint64_t minutes = rest / 60'000 % 60;
    const std::uint64_t seconds = rest / 1000 % 60;
    const std::uint64_t millis = rest % 1000;
    if (hours != 0) out += std::to_string(hours) + "h";
    if (minutes != 0) out += std::to_string(minutes) + "m";
    if (seconds != 0) out += std::to_string(seconds) + "s";
    if (millis != 0) out += std::to_string(millis) + "ms";
    return out;
}

}  // namespace jobber::config
