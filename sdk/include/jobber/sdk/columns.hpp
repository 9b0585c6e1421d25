// The column types that cross the boundary and their Arrow schema encoding.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobber/abi/arrow_c_abi.h"
#include "jobber/abi/common.h"
#include "jobber/sdk/error.hpp"

namespace jobber::sdk {

enum class ColumnType { kBigInt, kDecimal, kDouble, kTimestamp, kDate, kBoolean, kText };

struct Column {
    std::string name;
    ColumnType type = ColumnType::kText;
    bool operator==(const Column& other) const { return name == other.name && type == other.type; }
};

using Schema = std::vector<Column>;

inline constexpr const char* kDecimalExtensionName = "jobber.decimal";

// SQL-ish name, as the seed README lists them.
inline const char* TypeName(ColumnType type) {
    switch (type) {
        case ColumnType::kBigInt:
            return "BIGINT";
        case ColumnType::kDecimal:
            return "DECIMAL";
        case ColumnType::kDouble:
            return "DOUBLE";
        case ColumnType::kTimestamp:
            return "TIMESTAMP";
        case ColumnType::kDate:
            return "DATE";
        case ColumnType::kBoolean:
            return "BOOLEAN";
        case ColumnType::kText:
            return "TEXT";
    }
    return "TEXT";
}

inline const char* ArrowFormat(ColumnType type) {
    switch (type) {
        case ColumnType::kBigInt:
            return "l";
        case ColumnType::kDouble:
            return "g";
        case ColumnType::kTimestamp:
            return "tsu:UTC";
        case ColumnType::kDate:
            return "tdD";
        case ColumnType::kBoolean:
            return "b";
        case ColumnType::kDecimal:
        case ColumnType::kText:
            return "u";
    }
    return "u";
}

namespace detail {

// Arrow metadata: int32 pair count, then (int32 length, bytes) for each key and value.
inline std::string EncodeMetadata(std::string_view key, std::string_view value) {
    std::string out;
    auto put_int = [&out](int32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    put_int(1);
    put_int(static_cast<int32_t>(key.size()));
    out.append(key);
    put_int(static_cast<int32_t>(value.size()));
    out.append(value);
    return out;
}

inline int32_t ReadInt32(const char* p) {
    int32_t v = 0;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

inline std::string FindMetadata(const char* metadata, std::string_view wanted_key) {
    if (metadata == nullptr) return {};
    const char* p = metadata;
    const int32_t pairs = ReadInt32(p);
    p += 4;
    for (int32_t i = 0; i < pairs; ++i) {
        const int32_t key_len = ReadInt32(p);
        p += 4;
        std::string_view key(p, static_cast<size_t>(key_len));
        p += key_len;
        const int32_t value_len = ReadInt32(p);
        p += 4;
        std::string_view value(p, static_cast<size_t>(value_len));
        p += value_len;
        if (key == wanted_key) return std::string(value);
    }
    return {};
}

// Owns the strings and child arrays of an exported schema.
struct SchemaPrivate {
    std::string format;
    std::string name;
    std::string metadata;
    std::vector<ArrowSchema*> children;
};

inline void ReleaseSchema(ArrowSchema* schema) {
    if (schema == nullptr || schema->release == nullptr) return;
    auto* priv = static_cast<SchemaPrivate*>(schema->private_data);
    for (ArrowSchema* child : priv->children) {
        if (child->release != nullptr) child->release(child);
        delete child;
    }
    delete priv;
    schema->release = nullptr;
}

inline void FillSchemaNode(
    ArrowSchema* out, std::string format, std::string name, std::string metadata, int64_t flags) {
    auto* priv = new SchemaPrivate{std::move(format), std::move(name), std::move(metadata), {}};
    out->format = priv->format.c_str();
    out->name = priv->name.c_str();
    out->metadata = priv->metadata.empty() ? nullptr : priv->metadata.data();
    out->flags = flags;
    out->n_children = 0;
    out->children = nullptr;
    out->dictionary = nullptr;
    out->release = &ReleaseSchema;
    out->private_data = priv;
}

}  // namespace detail

// Writes `schema` as an Arrow struct schema into `out`; the consumer calls out->release.
inline void ExportSchema(const Schema& schema, ArrowSchema* out) {
    detail::FillSchemaNode(out, "+s", "", "", 0);
    auto* priv = static_cast<detail::SchemaPrivate*>(out->private_data);
    priv->children.reserve(schema.size());
    for (const Column& column : schema) {
        auto* child = new ArrowSchema{};
        std::string metadata;
        if (column.type == ColumnType::kDecimal) {
            metadata = detail::EncodeMetadata("ARROW:extension:name", kDecimalExtensionName);
        }
        detail::FillSchemaNode(child, ArrowFormat(column.type), column.name, std::move(metadata), ARROW_FLAG_NULLABLE);
        priv->children.push_back(child);
    }
    out->n_children = static_cast<int64_t>(priv->children.size());
    out->children = priv->children.data();
}

// Reads an Arrow struct schema made of the supported column formats.
inline Schema ImportSchema(const ArrowSchema& in) {
    if (in.format == nullptr || std::string_view(in.format) != "+s") {
        throw Error(JOBBER_INVALID_ARGUMENT, "result schema must be an Arrow struct ('+s')");
    }
    Schema schema;
    schema.reserve(static_cast<size_t>(in.n_children));
    for (int64_t i = 0; i < in.n_children; ++i) {
        const ArrowSchema& child = *in.children[i];
        const std::string_view format(child.format != nullptr ? child.format : "");
        Column column{child.name != nullptr ? child.name : "", ColumnType::kText};
        if (format == "l") {
            column.type = ColumnType::kBigInt;
        } else if (format == "g") {
            column.type = ColumnType::kDouble;
        } else if (format == "tsu:UTC") {
            column.type = ColumnType::kTimestamp;
        } else if (format == "tdD") {
            column.type = ColumnType::kDate;
        } else if (format == "b") {
            column.type = ColumnType::kBoolean;
        } else if (format == "u") {
            const bool decimal = detail::FindMetadata(child.metadata, "ARROW:extension:name") == kDecimalExtensionName;
            column.type = decimal ? ColumnType::kDecimal : ColumnType::kText;
        } else {
            throw Error(JOBBER_INVALID_ARGUMENT,
                        "column '" + column.name + "' has unsupported Arrow format '" + std::string(format) + "'");
        }
        schema.push_back(std::move(column));
    }
    return schema;
}

// RAII owner of an ArrowSchema filled by someone else.
class OwnedSchema {
public:
    OwnedSchema() = default;
    OwnedSchema(const OwnedSchema&) = delete;
    OwnedSchema& operator=(const OwnedSchema&) = delete;
    ~OwnedSchema() { Reset(); }
    ArrowSchema* get() { return &schema_; }
    const ArrowSchema& operator*() const { return schema_; }
    void Reset() {
        if (schema_.release != nullptr) schema_.release(&schema_);
        schema_ = ArrowSchema{};
    }

private:
    ArrowSchema schema_{};
};

}  // namespace jobber::sdk
