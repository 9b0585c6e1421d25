// Exact decimal text to PostgreSQL's binary numeric (the COPY BINARY / binary parameter form):
// int16 ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits base-10000 digits, all
// big-endian. No floating point anywhere, so every digit survives.
#pragma once

#include <string>
#include <string_view>

namespace jobber::postgres {

// Appends the binary numeric for `text` ("[+-]digits[.digits][e[+-]digits]", or NaN, Infinity,
// -Infinity, any case) to `out`, without the field's length word. False, with `out` unchanged,
// when the text is not a decimal number or does not fit numeric's range.
bool AppendNumericBinary(std::string_view text, std::string& out);

}  // namespace jobber::postgres
