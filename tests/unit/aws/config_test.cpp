#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <lift/aws/config.hpp>

namespace {

using lift::aws::map_environment;

// A per-test temporary directory (mkdtemp under /tmp), removed afterwards.
class config_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = "/tmp/lift_config_test_XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }

    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // Writes `text` to `name` inside the temp dir and returns its path.
    // NOLINTNEXTLINE(bugprone-easily-swappable-parameters): test helper, called with literals
    std::string write(const std::string& name, const std::string& text) {
        const std::filesystem::path path = dir_ / name;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream out(path);
        out << text;
        return path.string();
    }

    // An environment pointing both shared-file variables into the temp dir.
    map_environment files_env() const {
        map_environment env;
        env.set("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").string());
        env.set("AWS_CONFIG_FILE", (dir_ / "config").string());
        return env;
    }

    std::filesystem::path dir_;
};

TEST_F(config_test, environment_only) {
    map_environment env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"}});
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->access_key_id, "AKIDENV");
    EXPECT_EQ(creds->secret_access_key, "envsecret");
    EXPECT_EQ(creds->session_token, "");
}

TEST_F(config_test, environment_with_token) {
    map_environment env({{"AWS_ACCESS_KEY_ID", "ASIAENV"},
                         {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                         {"AWS_SESSION_TOKEN", "envtoken"}});
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->access_key_id, "ASIAENV");
    EXPECT_EQ(creds->session_token, "envtoken");
}

TEST_F(config_test, environment_beats_files) {
    write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fs\n");
    auto env = files_env();
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->access_key_id, "AKIDENV");
}

TEST_F(config_test, partial_environment_falls_through_to_files) {
    write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fs\n");
    auto env = files_env();
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->access_key_id, "AKIDFILE");
    EXPECT_EQ(creds->secret_access_key, "fs");
}

TEST_F(config_test, empty_environment_values_are_unset) {
    write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fs\n");
    auto env = files_env();
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env.set("AWS_SECRET_ACCESS_KEY", "");
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->access_key_id, "AKIDFILE");
}

TEST_F(config_test, credentials_file_default_profile) {
    write("credentials",
          "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = so\n"
          "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = sd\n"
          "aws_session_token = td\n");
    const auto creds = lift::aws::resolve_credentials(files_env());
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->access_key_id, "AKIDDEF");
    EXPECT_EQ(creds->secret_access_key, "sd");
    EXPECT_EQ(creds->session_token, "td");
}

TEST_F(config_test, credentials_file_named_profile) {
    write("credentials",
          "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = sd\n"
          "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = sdev\n");
    auto env = files_env();
    env.set("AWS_PROFILE", "dev");
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->access_key_id, "AKIDDEV");
    EXPECT_EQ(creds->secret_access_key, "sdev");
}

TEST_F(config_test, config_file_profile_sections) {
    write("config",
          "[default]\naws_access_key_id = AKIDCFGDEF\naws_secret_access_key = scd\n"
          "[profile x]\naws_access_key_id = AKIDCFGX\naws_secret_access_key = scx\n"
          "[x]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n");
    auto env = files_env();
    const auto def = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(def) << def.error().message;
    EXPECT_EQ(def->access_key_id, "AKIDCFGDEF");

    env.set("AWS_PROFILE", "x");
    const auto x = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(x) << x.error().message;
    EXPECT_EQ(x->access_key_id, "AKIDCFGX");
    EXPECT_EQ(x->secret_access_key, "scx");
}

TEST_F(config_test, credentials_file_wins_over_config_file) {
    write("credentials", "[x]\naws_access_key_id = AKIDCRED\naws_secret_access_key = sc\n");
    write("config", "[profile x]\naws_access_key_id = AKIDCFG\naws_secret_access_key = sg\n");
    auto env = files_env();
    env.set("AWS_PROFILE", "x");
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->access_key_id, "AKIDCRED");
}

TEST_F(config_test, incomplete_credentials_profile_falls_back_to_config) {
    write("credentials", "[default]\naws_access_key_id = AKIDCRED\n");
    write("config", "[default]\naws_access_key_id = AKIDCFG\naws_secret_access_key = sg\n");
    const auto creds = lift::aws::resolve_credentials(files_env());
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->access_key_id, "AKIDCFG");
}

TEST_F(config_test, comments_and_whitespace) {
    write("credentials",
          "# a comment\n"
          "; another comment\n"
          "\n"
          "  [ default ]  \n"
          "   AWS_Access_Key_Id\t=   AKIDWS   # inline comment\n"
          "aws_secret_access_key=abc/def+ghi;jk#l ; trailing\r\n"
          "# aws_session_token = commented\n"
          "s3 =\n"
          "  aws_session_token = nested\n");
    const auto creds = lift::aws::resolve_credentials(files_env());
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->access_key_id, "AKIDWS");
    EXPECT_EQ(creds->secret_access_key, "abc/def+ghi;jk#l");
    EXPECT_EQ(creds->session_token, "");
}

TEST_F(config_test, home_fallback) {
    write(".aws/credentials",
          "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = sh\n");
    write(".aws/config", "[default]\nregion = eu-west-3\n");
    map_environment env({{"HOME", dir_.string()}});
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->access_key_id, "AKIDHOME");
    EXPECT_EQ(lift::aws::resolve_region(env), "eu-west-3");
}

TEST_F(config_test, not_found_names_sources_but_no_secrets) {
    write("credentials", "[dev]\naws_secret_access_key = credsecret\n");
    write("config",
          "[profile other]\naws_access_key_id = AKIDX\naws_secret_access_key = cfgsecret\n");
    auto env = files_env();
    env.set("AWS_PROFILE", "dev");
    env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
    const auto creds = lift::aws::resolve_credentials(env);
    ASSERT_FALSE(creds);
    EXPECT_EQ(creds.error().code, lift::errc::not_found);
    EXPECT_EQ(creds.error().code, lift::condition::not_found);
    const std::string& message = creds.error().message;
    EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << message;
    EXPECT_NE(message.find((dir_ / "credentials").string()), std::string::npos) << message;
    EXPECT_NE(message.find((dir_ / "config").string()), std::string::npos) << message;
    EXPECT_NE(message.find("dev"), std::string::npos) << message;
    EXPECT_EQ(message.find("envsecret"), std::string::npos) << message;
    EXPECT_EQ(message.find("credsecret"), std::string::npos) << message;
    EXPECT_EQ(message.find("cfgsecret"), std::string::npos) << message;
}

TEST_F(config_test, nothing_at_all_is_not_found) {
    const auto creds = lift::aws::resolve_credentials(map_environment{});
    ASSERT_FALSE(creds);
    EXPECT_EQ(creds.error().code, lift::errc::not_found);
    EXPECT_NE(creds.error().message.find("HOME"), std::string::npos);
}

TEST_F(config_test, region_precedence) {
    write("config", "[default]\nregion = eu-central-1\n[profile p]\nregion = ap-south-1\n");
    auto env = files_env();
    EXPECT_EQ(lift::aws::resolve_region(env), "eu-central-1");
    env.set("AWS_PROFILE", "p");
    EXPECT_EQ(lift::aws::resolve_region(env), "ap-south-1");
    env.set("AWS_DEFAULT_REGION", "us-west-2");
    EXPECT_EQ(lift::aws::resolve_region(env), "us-west-2");
    env.set("AWS_REGION", "eu-west-1");
    EXPECT_EQ(lift::aws::resolve_region(env), "eu-west-1");
    EXPECT_EQ(lift::aws::resolve_region(map_environment{}), std::nullopt);
}

TEST_F(config_test, endpoint_precedence) {
    map_environment env;
    const auto ddb = lift::aws::dynamodb_endpoint_suffix;
    const auto mgmt = lift::aws::management_api_endpoint_suffix;
    EXPECT_EQ(lift::aws::resolve_endpoint(env, ddb), std::nullopt);
    env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    EXPECT_EQ(lift::aws::resolve_endpoint(env, ddb), "http://127.0.0.1:4566");
    env.set("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000");
    EXPECT_EQ(lift::aws::resolve_endpoint(env, ddb), "http://127.0.0.1:8000");
    EXPECT_EQ(lift::aws::resolve_endpoint(env, "dynamodb"), "http://127.0.0.1:8000");
    EXPECT_EQ(lift::aws::resolve_endpoint(env, mgmt), "http://127.0.0.1:4566");
    env.set("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:3001");
    EXPECT_EQ(lift::aws::resolve_endpoint(env, mgmt), "http://127.0.0.1:3001");
    env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
    EXPECT_EQ(lift::aws::resolve_endpoint(env, ddb), std::nullopt);
}

TEST(config_map_environment, set_get_unset) {
    map_environment env;
    EXPECT_EQ(env.get("A"), std::nullopt);
    env.set("A", "1");
    EXPECT_EQ(env.get("A"), "1");
    env.set("A", "");
    EXPECT_EQ(env.get("A"), "");
    env.unset("A");
    EXPECT_EQ(env.get("A"), std::nullopt);
}

TEST(config_process_environment, reads_path) {
    const lift::aws::process_environment env;
    EXPECT_EQ(env.get("LIFT_SURELY_NOT_SET_VARIABLE_42"), std::nullopt);
    const char* path = std::getenv("PATH");
    if (path != nullptr) {
        EXPECT_EQ(env.get("PATH"), std::string(path));
    }
}

}  // namespace
