#include "type_mapping.hpp"

#include <gtest/gtest.h>

#include "value_reader.hpp"

namespace jobber::mysql {
namespace {

MYSQL_FIELD Field(enum_field_types type, unsigned long length, unsigned int flags = 0) {
    MYSQL_FIELD field{};
    field.name = const_cast<char*>("c");
    field.name_length = 1;
    field.type = type;
    field.length = length;
    field.flags = flags;
    return field;
}

sdk::ColumnType TypeOf(enum_field_types type, unsigned long length, unsigned int flags = 0) {
    return DescribeColumn(Field(type, length, flags)).type;
}

TEST(MysqlTypeMappingTest, IntegersAreBigintExceptBooleansAndUnsignedBigint) {
    EXPECT_EQ(TypeOf(MYSQL_TYPE_TINY, 1), sdk::ColumnType::kBoolean);  // TINYINT(1) / BOOL
    EXPECT_EQ(TypeOf(MYSQL_TYPE_TINY, 4), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_SHORT, 6), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_INT24, 9), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_LONG, 10, UNSIGNED_FLAG), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_LONG, 1), sdk::ColumnType::kBigInt);  // SELECT 1 > 0 is an INT(1), not a BOOLEAN
    EXPECT_EQ(TypeOf(MYSQL_TYPE_LONGLONG, 20), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_LONGLONG, 20, UNSIGNED_FLAG), sdk::ColumnType::kDecimal);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_YEAR, 4), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_BIT, 1), sdk::ColumnType::kBoolean);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_BIT, 63), sdk::ColumnType::kBigInt);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_BIT, 64), sdk::ColumnType::kDecimal);
}

TEST(MysqlTypeMappingTest, OtherTypes) {
    EXPECT_EQ(TypeOf(MYSQL_TYPE_NEWDECIMAL, 12), sdk::ColumnType::kDecimal);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_FLOAT, 12), sdk::ColumnType::kDouble);
    EXPECT_TRUE(DescribeColumn(Field(MYSQL_TYPE_FLOAT, 12)).is_float);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_DOUBLE, 22), sdk::ColumnType::kDouble);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_DATETIME, 26), sdk::ColumnType::kTimestamp);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_TIMESTAMP, 19), sdk::ColumnType::kTimestamp);
    EXPECT_EQ(TypeOf(MYSQL_TYPE_DATE, 10), sdk::ColumnType::kDate);
    for (auto type : {MYSQL_TYPE_TIME, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_BLOB, MYSQL_TYPE_JSON,
                      MYSQL_TYPE_ENUM, MYSQL_TYPE_SET, MYSQL_TYPE_GEOMETRY, MYSQL_TYPE_NULL}) {
        EXPECT_EQ(TypeOf(type, 10), sdk::ColumnType::kText) << type;
    }
}

TEST(MysqlTypeMappingTest, ResultsDefinitionsMapBackToTheirType) {
    EXPECT_STREQ(ResultsColumnDefinition(sdk::ColumnType::kDecimal), "DECIMAL(65,30)");
    EXPECT_STREQ(ResultsColumnDefinition(sdk::ColumnType::kTimestamp), "DATETIME(6)");
    EXPECT_STREQ(ResultsColumnDefinition(sdk::ColumnType::kBoolean), "TINYINT(1)");
    EXPECT_STREQ(ResultsColumnDefinition(sdk::ColumnType::kText), "LONGTEXT");
    EXPECT_STREQ(ResultsColumnDefinition(sdk::ColumnType::kBigInt), "BIGINT");
}

TEST(MysqlTypeMappingTest, FloatsWidenThroughTheirShortestText) {
    EXPECT_EQ(WidenFloat(1.1f), 1.1);
    EXPECT_EQ(WidenFloat(-3.25f), -3.25);
    EXPECT_NE(static_cast<double>(1.1f), 1.1);  // why WidenFloat exists
}

}  // namespace
}  // namespace jobber::mysql
