/// @file dynamodb_store.hpp
/// `connection_store` backed by one DynamoDB table, and `create_connection_table`, which makes
/// that table (on-demand billing, two sparse GSIs, TTL on `ttl`).
///
///     lift::aws::dynamodb_client ddb(*http, config);
///     lift::aws::dynamodb_store store(ddb, "connections", clock);
///     store.save(record);  // PutItem
///
/// Item layout (one item per connection; attribute names shared with the Go framework's store):
///
/// | attribute      | type | value                                                          |
/// |----------------|------|----------------------------------------------------------------|
/// | `pk`           | S    | `CONN#<connection id>` (table partition key)                   |
/// | `sk`           | S    | `META` (table sort key)                                        |
/// | `gsi1pk`       | S    | `USER#<identity.subject>`; absent when the subject is empty    |
/// | `gsi1sk`       | S    | `CONN#<connection id>`; present exactly when `gsi1pk` is       |
/// | `gsi2pk`       | S    | `TENANT#<identity.tenant>`; absent when the tenant is empty    |
/// | `gsi2sk`       | S    | `CONN#<connection id>`; present exactly when `gsi2pk` is       |
/// | `ttl`          | N    | epoch seconds: `expires_at`, or (when 0) connect time + TTL    |
/// | `connectionId` | S    | the connection id                                              |
/// | `connectedAt`  | N    | epoch milliseconds                                             |
/// | `sourceIp`     | S    | may be empty                                                   |
/// | `userAgent`    | S    | may be empty                                                   |
/// | `stage`        | S    | may be empty                                                   |
/// | `domainName`   | S    | may be empty                                                   |
/// | `identity`     | M    | `subject` S, `tenant` S, `roles` L of S (order kept), `claims` |
/// |                |      | M (JSON claims: string S, number N, bool BOOL, null NULL,      |
/// |                |      | array L, object M); members omitted when empty                  |
/// | `metadata`     | M    | application metadata, every value S                             |
///
/// Indexes `gsi1` (`gsi1pk`/`gsi1sk`, by user) and `gsi2` (`gsi2pk`/`gsi2sk`, by tenant) are
/// sparse: anonymous records appear in neither, records without a tenant not in `gsi2`. Both
/// project ALL attributes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lift/aws/dynamodb.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/connection_store.hpp>
#include <lift/core/result.hpp>

namespace lift::aws {

/// Name of the GSI that lists connections by user (`gsi1pk` = `USER#<subject>`).
inline constexpr std::string_view connection_user_index = "gsi1";

/// Name of the GSI that lists connections by tenant (`gsi2pk` = `TENANT#<tenant>`).
inline constexpr std::string_view connection_tenant_index = "gsi2";

/// The attribute DynamoDB's TTL deletes expired items by (epoch seconds, type N).
inline constexpr std::string_view connection_ttl_attribute = "ttl";

/// Settings of `dynamodb_store`.
struct dynamodb_store_options {
    /// Lifetime of a record saved with `expires_at == 0`: its `ttl` is connect time (or, when
    /// `connected_at` is 0, the clock's now) plus this many seconds. Default: API Gateway's 2 h
    /// connection cap plus 10 minutes.
    std::int64_t ttl_seconds = lift::default_record_ttl_seconds;
    /// `get` reads with ConsistentRead (sees a `save` that just returned). GSI queries are
    /// always eventually consistent (DynamoDB offers nothing else on a GSI).
    bool consistent_read = true;
    /// Limit per Query/Scan page; nullopt lets DynamoDB cut pages at 1 MB. Every page is read
    /// either way; a small limit only makes more requests (tests use it to prove paging).
    std::optional<int> page_limit;
};

/// `connection_store` on one DynamoDB table laid out as in the file comment. Semantics match
/// `lift::memory_store`: same-id `save` replaces, `remove` of an absent id succeeds, an empty
/// connection id fails with `lift::errc::invalid_argument`, an empty user/tenant lists
/// nothing, expired records are never returned, lists are sorted oldest connection first then
/// by id. Two differences, both by design:
///
/// - A record saved with `expires_at == 0` does not live forever: it gets `ttl` = connect
///   time + `ttl_seconds`, and `get`/lists return that effective value as `expires_at`.
/// - Reads compare `ttl` with the injected clock (a record is live while
///   `ttl > now_ms / 1000`, which is memory_store's rule), so they never depend on when
///   DynamoDB's TTL sweeper (up to days late) deletes the item.
///
/// Races. `save` is an unconditional PutItem and `remove` an unconditional DeleteItem, so the
/// last write wins, as in memory_store. The race that matters is a `$disconnect`'s `remove`
/// overtaking its own `$connect`'s `save` (two Lambda invocations): the late `save` recreates
/// the record. We chose not to keep tombstones (they would make a later re-save of the id
/// fail, unlike memory_store): such a record is bounded by its `ttl`, and the first post to it
/// gets 410 Gone, whose hook removes it.
///
/// Cost: `get` is one GetItem; `list_by_user`/`list_by_tenant` are one Query per page on a
/// GSI; `list_all` and `count` are a full-table Scan (read capacity for the whole table; there
/// is no cheaper exact count in DynamoDB).
///
/// Errors: backend failures are returned as the `lift::aws::errc` the client gives (they carry
/// the conditions `retryable`/`throttled`/`auth`/...), with the operation and connection id
/// prepended to the message; `aws::errc::bad_response` for an item that is not a connection
/// record. Thread-safe (the client is). `client` and `clock` are borrowed and must outlive the
/// store.
class dynamodb_store final : public lift::connection_store {
public:
    /// A store on `table`, read and written through `client`; `clock` decides expiry.
    dynamodb_store(dynamodb_client& client,
                   std::string table,
                   const lift::clock& clock,
                   dynamodb_store_options options = {});

    dynamodb_store(const dynamodb_store&) = delete;
    dynamodb_store& operator=(const dynamodb_store&) = delete;

    /// PutItem of the whole record (replaces any item of the same id).
    [[nodiscard]] result<void> save(const connection_record& record) override;
    /// GetItem; nullopt when absent or `ttl` has passed.
    /// PutItem with `attribute_exists(pk) AND #ttl > :now`; ConditionalCheckFailed becomes
    /// `lift::errc::gone`.
    [[nodiscard]] result<void> update(const connection_record& record) override;
    [[nodiscard]] result<std::optional<connection_record>> get(
        std::string_view connection_id) override;
    /// DeleteItem; an absent item is not an error.
    [[nodiscard]] result<void> remove(std::string_view connection_id) override;
    /// Query on `gsi1`, every page, expired items filtered out.
    [[nodiscard]] result<std::vector<connection_record>> list_by_user(
        std::string_view user_id) override;
    /// Query on `gsi2`, every page, expired items filtered out.
    [[nodiscard]] result<std::vector<connection_record>> list_by_tenant(
        std::string_view tenant_id) override;
    /// Scan of the table (items with `sk` = `META`), every page, expired items filtered out.
    [[nodiscard]] result<std::vector<connection_record>> list_all() override;
    /// Number of live records: the same Scan as `list_all`.
    [[nodiscard]] result<std::size_t> count() override;

    /// The table name.
    [[nodiscard]] const std::string& table() const noexcept { return table_; }

private:
    result<std::vector<connection_record>> list_index(std::string_view index,
                                                      std::string_view key_attr,
                                                      std::string key_value,
                                                      const char* what);
    result<std::vector<connection_record>> scan_live();

    dynamodb_client& client_;
    std::string table_;
    const lift::clock& clock_;
    dynamodb_store_options options_;
};

/// The item `dynamodb_store::save` writes for `record` (layout in the file comment), given the
/// store's `ttl_seconds` and the clock's now in ms (used only when `connected_at` and
/// `expires_at` are both 0). Pure; thread-safe. For tools and tests.
[[nodiscard]] attribute_map to_connection_item(const connection_record& record,
                                               std::int64_t ttl_seconds,
                                               std::int64_t now_ms);

/// Reads a connection item back (`expires_at` = `ttl`). Fails with `aws::errc::bad_response`
/// when `pk` is not `CONN#<id>`; other missing or mistyped attributes read as empty. Pure;
/// thread-safe.
[[nodiscard]] result<connection_record> from_connection_item(const attribute_map& item);

/// Settings of `create_connection_table`.
struct connection_table_options {
    /// How long to wait for the table to become ACTIVE (DescribeTable polling).
    std::chrono::milliseconds wait_timeout{120'000};
    /// Pause between DescribeTable polls.
    std::chrono::milliseconds poll_interval{500};
    /// When the endpoint does not implement UpdateTimeToLive (dynalite, some emulators): fail
    /// (true) or report `ttl_status` = "UNSUPPORTED" and succeed (false). AWS implements it.
    bool require_ttl = true;
    /// Called with a short line at each step ("table T: CREATING", ...); may be empty.
    std::function<void(std::string_view)> progress;
};

/// What `create_connection_table` did and found.
struct connection_table_report {
    bool created = false;           ///< false: the table already existed (ResourceInUse)
    table_description description;  ///< DescribeTable once ACTIVE
    /// TimeToLiveStatus afterwards: ENABLED, ENABLING, or UNSUPPORTED (see `require_ttl`).
    std::string ttl_status;
    bool ttl_changed = false;  ///< UpdateTimeToLive was sent and accepted by this call
};

/// Creates the table `dynamodb_store` needs (layout in the file comment): key `pk`/`sk`, GSIs
/// `gsi1` and `gsi2` (projection ALL), on-demand billing; waits until DescribeTable reports
/// ACTIVE (polling, bounded by `wait_timeout`), then enables TTL on `ttl` unless it already is.
///
/// An existing table is not an error: `created` is false, its key schema and indexes are
/// checked (mismatch → `aws::errc::resource_in_use` naming the difference), it is waited for,
/// and TTL is made sure of all the same. Errors: the client's `aws::errc` codes (e.g.
/// `validation` for a name DynamoDB refuses); `lift::errc::timeout` when the table is not ACTIVE
/// in time; `aws::errc::resource_in_use` when TTL is enabled on another attribute; with
/// `require_ttl`, the endpoint's error for UpdateTimeToLive (`unknown_service_error` on
/// endpoints that lack it). Blocks the calling thread; thread-safe.
[[nodiscard]] result<connection_table_report> create_connection_table(
    dynamodb_client& client,
    const std::string& table,
    const connection_table_options& options = {});

}  // namespace lift::aws
