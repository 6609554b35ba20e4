#include <set>
#include <string>

#include <gtest/gtest.h>

#include <lift/core/ids.hpp>

namespace {

bool is_base64url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

TEST(ids, next_has_the_aws_shape) {
    lift::id_generator gen{42};
    std::set<char> last_chars;
    for (int i = 0; i < 2000; ++i) {
        const auto id = gen.next();
        ASSERT_EQ(id.size(), 16u) << id;
        EXPECT_EQ(id[15], '=') << id;
        for (int j = 0; j < 15; ++j) {
            EXPECT_TRUE(is_base64url(id[static_cast<std::size_t>(j)])) << id;
        }
        EXPECT_TRUE(lift::is_aws_shaped_id(id)) << id;
        last_chars.insert(id[14]);
    }
    // The 15th character encodes 4 bits: exactly these 16 characters can occur.
    EXPECT_EQ(last_chars, (std::set<char>{'A', 'E', 'I', 'M', 'Q', 'U', 'Y', 'c', 'g', 'k', 'o',
                                          's', 'w', '0', '4', '8'}));
}

TEST(ids, seeded_generators_repeat_and_ids_differ) {
    lift::id_generator a{7};
    lift::id_generator b{7};
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto id = a.next();
        EXPECT_EQ(id, b.next());
        EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
    }
    lift::id_generator random1;
    lift::id_generator random2;
    EXPECT_NE(random1.next(), random2.next());
}

TEST(ids, real_ids_are_accepted) {
    for (const char* id : {"R1kmxc2VNjMCFIA=", "TXzPWdnOjoECGjA=", "JC1dgf9yoAMCK-g=",
                           "R1knPH17NjMFftw=", "RYG0LEicPHcFo_A="}) {
        EXPECT_TRUE(lift::is_aws_shaped_id(id)) << id;
    }
}

TEST(ids, malformed_ids_are_rejected) {
    for (const char* id :
         {"", "R1kmxc2VNjMCFIA", "R1kmxc2VNjMCFIA==", "R1kmxc2VNjMCFIB=", "R1kmxc2VNjMCFI+=",
          "R1km/c2VNjMCFIA=", "R1kmxc2VNjMCFIAA", "R1kmxc2VNjMCF=A=", "R1kmxc2VNjMCFI A="}) {
        EXPECT_FALSE(lift::is_aws_shaped_id(id)) << id;
    }
}

TEST(ids, api_ids) {
    lift::id_generator gen{1};
    std::set<std::string> seen;
    for (int i = 0; i < 500; ++i) {
        const auto id = gen.next_api_id();
        ASSERT_EQ(id.size(), 10u);
        for (const char c : id) {
            EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << id;
        }
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 500u);
}

TEST(ids, request_time_format) {
    EXPECT_EQ(lift::format_request_time(1705751700453), "20/Jan/2024:11:55:00 +0000");
    EXPECT_EQ(lift::format_request_time(1708326702790), "19/Feb/2024:07:11:42 +0000");
    EXPECT_EQ(lift::format_request_time(0), "01/Jan/1970:00:00:00 +0000");
    EXPECT_EQ(lift::format_request_time(951782400000), "29/Feb/2000:00:00:00 +0000");
    EXPECT_EQ(lift::format_request_time(1735689599999), "31/Dec/2024:23:59:59 +0000");
    EXPECT_EQ(lift::format_request_time(-1), "31/Dec/1969:23:59:59 +0000");
}

TEST(ids, request_time_uses_english_months) {
    const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // The 15th of each month in 2023, noon UTC.
    const std::int64_t mid_month[] = {1673784000000, 1676462400000, 1678881600000, 1681560000000,
                                      1684152000000, 1686830400000, 1689422400000, 1692100800000,
                                      1694779200000, 1697371200000, 1700049600000, 1702641600000};
    for (int m = 0; m < 12; ++m) {
        const auto s = lift::format_request_time(mid_month[m]);
        EXPECT_EQ(s.substr(0, 3), "15/") << s;
        EXPECT_EQ(s.substr(3, 3), months[m]) << s;
    }
}

TEST(ids, iso8601_with_milliseconds) {
    EXPECT_EQ(lift::format_iso8601_ms(1705751700453), "2024-01-20T11:55:00.453Z");
    EXPECT_EQ(lift::format_iso8601_ms(1666814245104), "2022-10-26T19:57:25.104Z");
    EXPECT_EQ(lift::format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(lift::format_iso8601_ms(5), "1970-01-01T00:00:00.005Z");
    EXPECT_EQ(lift::format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
