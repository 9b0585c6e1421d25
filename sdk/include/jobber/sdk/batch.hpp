// Row batches as Arrow struct arrays: a builder for producers (sources), a view for consumers
// (results backends), and an owner that releases what it was handed.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "jobber/abi/arrow_c_abi.h"
#include "jobber/sdk/columns.hpp"
#include "jobber/sdk/error.hpp"

namespace jobber::sdk {

namespace detail {

// Growable buffer of one Arrow column. Bits for validity and booleans, bytes otherwise.
struct ColumnBuffers {
    ColumnType type = ColumnType::kText;
    int64_t length = 0;
    int64_t null_count = 0;
    std::vector<uint8_t> validity;
    std::vector<uint8_t> values;   // fixed-width values, boolean bits, or text bytes
    std::vector<int32_t> offsets;  // text only: length + 1 entries

    explicit ColumnBuffers(ColumnType t) : type(t) { Reset(); }

    void Reset() {
        length = 0;
        null_count = 0;
        validity.clear();
        values.clear();
        offsets.clear();
        if (IsText()) offsets.push_back(0);
    }

    bool IsText() const { return type == ColumnType::kText || type == ColumnType::kDecimal; }

    static void SetBit(std::vector<uint8_t>& bits, int64_t index, bool value) {
        const size_t byte = static_cast<size_t>(index / 8);
        if (bits.size() <= byte) bits.resize(byte + 1, 0);
        if (value) bits[byte] |= static_cast<uint8_t>(1u << (index % 8));
    }

    void MarkValid(bool valid) {
        SetBit(validity, length, valid);
        if (!valid) ++null_count;
    }
};

struct ArrayPrivate {
    std::vector<ColumnBuffers> columns;  // keeps the memory the buffers point into
    std::vector<ArrowArray> child_arrays;
    std::vector<ArrowArray*> child_pointers;
    std::vector<std::vector<const void*>> child_buffer_pointers;
    const void* struct_buffers[1] = {nullptr};
};

// The struct array and each child hold a reference, so a consumer may move a child out and
// release the parent first (Arrow C data interface, "Moving child arrays").
struct ArrayRef {
    std::shared_ptr<ArrayPrivate> data;
};

inline void ReleaseChildArray(ArrowArray* array) {
    if (array == nullptr || array->release == nullptr) return;
    delete static_cast<ArrayRef*>(array->private_data);
    array->release = nullptr;
}

inline void ReleaseStructArray(ArrowArray* array) {
    if (array == nullptr || array->release == nullptr) return;
    for (int64_t i = 0; i < array->n_children; ++i) {
        ArrowArray* child = array->children[i];
        if (child->release != nullptr) child->release(child);
    }
    delete static_cast<ArrayRef*>(array->private_data);
    array->release = nullptr;
}

}  // namespace detail

// Builds one batch at a time. Append one value per column per row, in any column order; every
// column must end with the same number of values before Finish.
class BatchBuilder {
public:
    explicit BatchBuilder(const Schema& schema) : schema_(schema) {
        columns_.reserve(schema.size());
        for (const Column& column : schema) columns_.emplace_back(column.type);
    }

    const Schema& schema() const { return schema_; }
    size_t column_count() const { return columns_.size(); }
    int64_t rows() const { return columns_.empty() ? 0 : columns_[0].length; }
    size_t ByteSize() const {
        size_t total = 0;
        for (const auto& c : columns_) total += c.values.size() + c.validity.size() + c.offsets.size() * 4;
        return total;
    }

    void AppendNull(size_t column) {
        auto& c = columns_[column];
        c.MarkValid(false);
        switch (c.type) {
            case ColumnType::kBigInt:
            case ColumnType::kTimestamp:
            case ColumnType::kDouble:
                c.values.resize(c.values.size() + 8, 0);
                break;
            case ColumnType::kDate:
                c.values.resize(c.values.size() + 4, 0);
                break;
            case ColumnType::kBoolean:
                break;
            case ColumnType::kText:
            case ColumnType::kDecimal:
                c.offsets.push_back(c.offsets.back());
                break;
        }
        ++c.length;
    }

    // BIGINT; TIMESTAMP as microseconds since the epoch (UTC).
    void AppendInt64(size_t column, int64_t value) {
        auto& c = columns_[column];
        Check(c, c.type == ColumnType::kBigInt || c.type == ColumnType::kTimestamp, "an int64");
        AppendFixed(c, &value, sizeof(value));
    }

    // DATE as days since the epoch.
    void AppendDate(size_t column, int32_t days) {
        auto& c = columns_[column];
        Check(c, c.type == ColumnType::kDate, "a date");
        AppendFixed(c, &days, sizeof(days));
    }

    void AppendDouble(size_t column, double value) {
        auto& c = columns_[column];
        Check(c, c.type == ColumnType::kDouble, "a double");
        AppendFixed(c, &value, sizeof(value));
    }

    void AppendBool(size_t column, bool value) {
        auto& c = columns_[column];
        Check(c, c.type == ColumnType::kBoolean, "a boolean");
        c.MarkValid(true);
        detail::ColumnBuffers::SetBit(c.values, c.length, value);
        ++c.length;
    }

    // TEXT, or DECIMAL as exact decimal text.
    void AppendText(size_t column, std::string_view value) {
        auto& c = columns_[column];
        Check(c, c.IsText(), "text");
        const int64_t end = static_cast<int64_t>(c.offsets.back()) + static_cast<int64_t>(value.size());
        if (end > std::numeric_limits<int32_t>::max()) {
            throw Error(JOBBER_INVALID_ARGUMENT,
                        "batch text column '" + schema_[column].name + "' exceeds 2 GiB; flush batches by ByteSize()");
        }
        c.MarkValid(true);
        c.values.insert(c.values.end(), value.begin(), value.end());
        c.offsets.push_back(static_cast<int32_t>(end));
        ++c.length;
    }

    // Moves the rows built so far into `out` (a struct array) and starts an empty batch.
    void Finish(ArrowArray* out) {
        const int64_t length = rows();
        for (size_t i = 0; i < columns_.size(); ++i) {
            if (columns_[i].length != length) {
                throw Error(JOBBER_INTERNAL, "batch column '" + schema_[i].name + "' has " +
                                                 std::to_string(columns_[i].length) + " values, expected " +
                                                 std::to_string(length));
            }
        }
        auto priv = std::make_shared<detail::ArrayPrivate>();
        priv->columns.reserve(columns_.size());
        for (const auto& c : columns_) priv->columns.emplace_back(c.type);
        priv->columns.swap(columns_);
        const size_t n = priv->columns.size();
        priv->child_arrays.resize(n);
        priv->child_pointers.resize(n);
        priv->child_buffer_pointers.resize(n);
        for (size_t i = 0; i < n; ++i) {
            auto& c = priv->columns[i];
            auto& buffers = priv->child_buffer_pointers[i];
            if (c.null_count > 0) c.validity.resize(static_cast<size_t>((c.length + 7) / 8), 0);
            const void* validity = c.null_count > 0 ? c.validity.data() : nullptr;
            if (c.type == ColumnType::kBoolean) c.values.resize(static_cast<size_t>((c.length + 7) / 8), 0);
            if (c.IsText()) {
                buffers = {validity, c.offsets.data(), c.values.data()};
            } else {
                buffers = {validity, c.values.data()};
            }
            ArrowArray& child = priv->child_arrays[i];
            child = ArrowArray{};
            child.length = c.length;
            child.null_count = c.null_count;
            child.n_buffers = static_cast<int64_t>(buffers.size());
            child.buffers = buffers.data();
            priv->child_pointers[i] = &child;
        }
        // Allocate every reference before handing any out, so a bad_alloc leaks nothing.
        std::vector<std::unique_ptr<detail::ArrayRef>> refs;
        refs.reserve(n + 1);
        for (size_t i = 0; i <= n; ++i) refs.push_back(std::make_unique<detail::ArrayRef>(detail::ArrayRef{priv}));
        for (size_t i = 0; i < n; ++i) {
            priv->child_arrays[i].private_data = refs[i].release();
            priv->child_arrays[i].release = &detail::ReleaseChildArray;
        }
        *out = ArrowArray{};
        out->length = length;
        out->n_buffers = 1;
        out->buffers = priv->struct_buffers;
        out->n_children = static_cast<int64_t>(n);
        out->children = priv->child_pointers.data();
        out->release = &detail::ReleaseStructArray;
        out->private_data = refs[n].release();
    }

private:
    void Check(const detail::ColumnBuffers& c, bool ok, const char* what) const {
        if (!ok) {
            const size_t index = static_cast<size_t>(&c - columns_.data());
            throw Error(JOBBER_INTERNAL, std::string("column '") + schema_[index].name + "' of type " +
                                             TypeName(c.type) + " was given " + what);
        }
    }

    static void AppendFixed(detail::ColumnBuffers& c, const void* value, size_t size) {
        c.MarkValid(true);
        const auto* bytes = static_cast<const uint8_t*>(value);
        c.values.insert(c.values.end(), bytes, bytes + size);
        ++c.length;
    }

    Schema schema_;
    std::vector<detail::ColumnBuffers> columns_;
};

// RAII owner of an ArrowArray handed over by someone else.
class OwnedArray {
public:
    OwnedArray() = default;
    explicit OwnedArray(ArrowArray* moved_from) {
        array_ = *moved_from;
        moved_from->release = nullptr;
    }
    OwnedArray(const OwnedArray&) = delete;
    OwnedArray& operator=(const OwnedArray&) = delete;
    OwnedArray(OwnedArray&& other) noexcept : array_(other.array_) { other.array_.release = nullptr; }
    OwnedArray& operator=(OwnedArray&& other) noexcept {
        if (this != &other) {
            Reset();
            array_ = other.array_;
            other.array_.release = nullptr;
        }
        return *this;
    }
    ~OwnedArray() { Reset(); }
    ArrowArray* get() { return &array_; }
    const ArrowArray& operator*() const { return array_; }
    bool valid() const { return array_.release != nullptr; }
    // Hands the array on (e.g. to a results backend's write, which takes ownership).
    ArrowArray Release() {
        ArrowArray out = array_;
        array_.release = nullptr;
        return out;
    }
    void Reset() {
        if (array_.release != nullptr) array_.release(&array_);
        array_ = ArrowArray{};
    }

private:
    ArrowArray array_{};
};

// Read access to a struct array produced with the column formats of `schema`.
class BatchView {
public:
    BatchView(const ArrowArray& array, const Schema& schema) : array_(array), schema_(schema) {
        if (array.n_children != static_cast<int64_t>(schema.size())) {
            throw Error(JOBBER_INVALID_ARGUMENT, "batch has " + std::to_string(array.n_children) +
                                                     " columns, schema has " + std::to_string(schema.size()));
        }
        for (int64_t i = 0; i < array.n_children; ++i) {
            if (array.children[i]->length < array.offset + array.length) {
                throw Error(JOBBER_INVALID_ARGUMENT,
                            "batch column '" + schema[static_cast<size_t>(i)].name + "' is shorter than the batch");
            }
        }
    }

    int64_t rows() const { return array_.length; }
    size_t columns() const { return schema_.size(); }
    const Schema& schema() const { return schema_; }

    bool IsNull(size_t column, int64_t row) const {
        const ArrowArray& c = Child(column);
        if (c.null_count == 0 || c.buffers[0] == nullptr) return false;
        const int64_t i = Index(c, row);
        return (static_cast<const uint8_t*>(c.buffers[0])[i / 8] & (1u << (i % 8))) == 0;
    }
    int64_t Int64(size_t column, int64_t row) const {
        const ArrowArray& c = Child(column);
        return static_cast<const int64_t*>(c.buffers[1])[Index(c, row)];
    }
    int32_t Date(size_t column, int64_t row) const {
        const ArrowArray& c = Child(column);
        return static_cast<const int32_t*>(c.buffers[1])[Index(c, row)];
    }
    double Double(size_t column, int64_t row) const {
        const ArrowArray& c = Child(column);
        return static_cast<const double*>(c.buffers[1])[Index(c, row)];
    }
    bool Bool(size_t column, int64_t row) const {
        const ArrowArray& c = Child(column);
        const int64_t i = Index(c, row);
        return (static_cast<const uint8_t*>(c.buffers[1])[i / 8] & (1u << (i % 8))) != 0;
    }
    std::string_view Text(size_t column, int64_t row) const {
        const ArrowArray& c = Child(column);
        const int64_t i = Index(c, row);
        const auto* offsets = static_cast<const int32_t*>(c.buffers[1]);
        const auto* data = static_cast<const char*>(c.buffers[2]);
        return std::string_view(data + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]));
    }

private:
    const ArrowArray& Child(size_t column) const { return *array_.children[column]; }
    int64_t Index(const ArrowArray& child, int64_t row) const { return child.offset + array_.offset + row; }

    const ArrowArray& array_;
    const Schema& schema_;
};

}  // namespace jobber::sdk
