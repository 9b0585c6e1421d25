#include "type_mapping.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "sqlite_connection.hpp"

namespace jobber::sqlite {
namespace {

using sdk::ColumnType;

TEST(TypeMappingTest, DecltypesFollowTheDocumentedOrder) {
    EXPECT_EQ(ColumnTypeFromDecltype("BOOLEAN"), ColumnType::kBoolean);
    EXPECT_EQ(ColumnTypeFromDecltype("bool"), ColumnType::kBoolean);
    EXPECT_EQ(ColumnTypeFromDecltype("DATETIME"), ColumnType::kTimestamp);
    EXPECT_EQ(ColumnTypeFromDecltype("timestamp"), ColumnType::kTimestamp);
    EXPECT_EQ(ColumnTypeFromDecltype("TIMESTAMP WITH TIME ZONE"), ColumnType::kTimestamp);
    EXPECT_EQ(ColumnTypeFromDecltype("Date"), ColumnType::kDate);
    EXPECT_EQ(ColumnTypeFromDecltype("DECIMAL(12,2)"), ColumnType::kDecimal);
    EXPECT_EQ(ColumnTypeFromDecltype("NUMERIC"), ColumnType::kDecimal);
    EXPECT_EQ(ColumnTypeFromDecltype("DECIMAL_TEXT"), ColumnType::kDecimal);
    EXPECT_EQ(ColumnTypeFromDecltype("INTEGER"), ColumnType::kBigInt);
    EXPECT_EQ(ColumnTypeFromDecltype("bigint"), ColumnType::kBigInt);
    EXPECT_EQ(ColumnTypeFromDecltype("UNSIGNED BIG INT"), ColumnType::kBigInt);
    EXPECT_EQ(ColumnTypeFromDecltype("REAL"), ColumnType::kDouble);
    EXPECT_EQ(ColumnTypeFromDecltype("FLOAT"), ColumnType::kDouble);
    EXPECT_EQ(ColumnTypeFromDecltype("DOUBLE PRECISION"), ColumnType::kDouble);
    EXPECT_EQ(ColumnTypeFromDecltype("VARCHAR(20)"), ColumnType::kText);
    EXPECT_EQ(ColumnTypeFromDecltype("TEXT"), ColumnType::kText);
    EXPECT_EQ(ColumnTypeFromDecltype("CLOB"), ColumnType::kText);
    EXPECT_EQ(ColumnTypeFromDecltype("BLOB"), ColumnType::kText);
    EXPECT_EQ(ColumnTypeFromDecltype(""), ColumnType::kText);
}

TEST(TypeMappingTest, StorageClassesOfExpressionColumns) {
    EXPECT_EQ(ColumnTypeFromStorageClass(SQLITE_INTEGER), ColumnType::kBigInt);
    EXPECT_EQ(ColumnTypeFromStorageClass(SQLITE_FLOAT), ColumnType::kDouble);
    EXPECT_EQ(ColumnTypeFromStorageClass(SQLITE_TEXT), ColumnType::kText);
    EXPECT_EQ(ColumnTypeFromStorageClass(SQLITE_BLOB), ColumnType::kText);
    EXPECT_EQ(ColumnTypeFromStorageClass(SQLITE_NULL), ColumnType::kText);
}

TEST(TypeMappingTest, ResultsDeclaredTypesMapBackToTheirType) {
    for (ColumnType type : {ColumnType::kBigInt, ColumnType::kDecimal, ColumnType::kDouble, ColumnType::kTimestamp,
                            ColumnType::kDate, ColumnType::kBoolean, ColumnType::kText}) {
        EXPECT_EQ(ColumnTypeFromDecltype(ResultsDeclaredType(type)), type) << sdk::TypeName(type);
    }
}

TEST(SqlTailTest, OnlyWhitespaceSemicolonsAndCommentsAreBlank) {
    EXPECT_TRUE(IsBlankSqlTail(""));
    EXPECT_TRUE(IsBlankSqlTail(" ;\n\t; "));
    EXPECT_TRUE(IsBlankSqlTail("-- trailing comment"));
    EXPECT_TRUE(IsBlankSqlTail("-- one\n/* two */ ;\n-- three\n"));
    EXPECT_TRUE(IsBlankSqlTail("/* unterminated"));
    EXPECT_FALSE(IsBlankSqlTail("; SELECT 2"));
    EXPECT_FALSE(IsBlankSqlTail("-- c\nDELETE FROM t"));
    EXPECT_FALSE(IsBlankSqlTail("/* c */ x"));
}

}  // namespace
}  // namespace jobber::sqlite
