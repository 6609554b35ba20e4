/// @file dynamodb.hpp
/// A DynamoDB client over the JSON 1.0 protocol: item operations, paged Query/Scan, batched
/// writes that re-send `UnprocessedItems`, table creation and TTL, with SigV4, standard-mode
/// retries and typed errors (`lift::aws::errc`, from `__type`).
///
///     lift::aws::dynamodb_client ddb(transport, config);
///     auto r = ddb.put_item({.table = "conns", .item = {{"pk", attr::s("CONN#1")}}});
///     auto rows = ddb.query_all({.table = "conns", .index = "gsi1", .key_condition = "..."});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lift/aws/http.hpp>
#include <lift/aws/retry.hpp>
#include <lift/aws/sigv4.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/result.hpp>

namespace lift::aws {

/// A DynamoDB AttributeValue: exactly one of S, N, B, SS, NS, BS, M, L, NULL, BOOL.
struct attribute_value {
    /// Which member is set.
    enum class kind { s, n, b, ss, ns, bs, m, l, null, boolean };

    kind type = kind::null;             ///< the data type
    std::string text;                   ///< S, N (decimal text as on the wire), B (raw bytes)
    bool flag = false;                  ///< BOOL
    std::vector<std::string> set;       ///< SS, NS (decimal text), BS (raw bytes)
    std::vector<attribute_value> list;  ///< L
    std::map<std::string, attribute_value> map;  ///< M

    /// The string if this is S, else nullptr.
    [[nodiscard]] const std::string* as_string() const noexcept;
    /// The number if this is N and fits an int64, else nullopt.
    [[nodiscard]] std::optional<std::int64_t> as_int() const noexcept;

    friend bool operator==(const attribute_value&, const attribute_value&) = default;
};

/// An item or key: attribute name → value.
using attribute_map = std::map<std::string, attribute_value>;

/// Builders for attribute values.
namespace attr {
/// S
[[nodiscard]] attribute_value s(std::string value);
/// N from an integer
[[nodiscard]] attribute_value n(std::int64_t value);
/// B (raw bytes; base64 on the wire)
[[nodiscard]] attribute_value b(std::string bytes);
/// BOOL
[[nodiscard]] attribute_value boolean(bool value);
/// NULL
[[nodiscard]] attribute_value null();
/// M
[[nodiscard]] attribute_value m(attribute_map value);
/// L
[[nodiscard]] attribute_value l(std::vector<attribute_value> value);
/// SS
[[nodiscard]] attribute_value ss(std::vector<std::string> value);
}  // namespace attr

/// Wire JSON of an item (`{"pk":{"S":"a"}}`), for tests and tools.
[[nodiscard]] std::string to_wire_json(const attribute_map& item);
/// Parses wire JSON of an item; `aws::errc::bad_response` on anything malformed.
[[nodiscard]] result<attribute_map> from_wire_json(std::string_view json);

/// Expression parts shared by several operations.
struct expression_values {
    std::map<std::string, std::string> names;  ///< ExpressionAttributeNames (`#ttl` → `ttl`)
    attribute_map values;                      ///< ExpressionAttributeValues (`:now` → N)
};

/// PutItem.
struct put_item_request {
    std::string table;        ///< TableName
    attribute_map item;       ///< Item
    std::string condition;    ///< ConditionExpression, or empty
    expression_values expr;   ///< names/values used by `condition`
    bool return_old = false;  ///< ReturnValues=ALL_OLD
};

/// GetItem.
struct get_item_request {
    std::string table;             ///< TableName
    attribute_map key;             ///< Key
    bool consistent_read = false;  ///< ConsistentRead
};

/// DeleteItem.
struct delete_item_request {
    std::string table;        ///< TableName
    attribute_map key;        ///< Key
    std::string condition;    ///< ConditionExpression, or empty
    expression_values expr;   ///< names/values used by `condition`
    bool return_old = false;  ///< ReturnValues=ALL_OLD
};

/// UpdateItem.
struct update_item_request {
    std::string table;                   ///< TableName
    attribute_map key;                   ///< Key
    std::string update;                  ///< UpdateExpression
    std::string condition;               ///< ConditionExpression, or empty
    expression_values expr;              ///< names/values used by `update` and `condition`
    std::string return_values = "NONE";  ///< NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW
};

/// Query (and Scan, which ignores `key_condition`, `forward` and `index` only if empty).
struct query_request {
    std::string table;              ///< TableName
    std::string index;              ///< IndexName, or empty for the table
    std::string key_condition;      ///< KeyConditionExpression (Query only)
    std::string filter;             ///< FilterExpression, or empty
    expression_values expr;         ///< names/values of both expressions
    std::optional<int> limit;       ///< Limit per page (items evaluated)
    bool consistent_read = false;   ///< ConsistentRead (not on GSIs)
    bool forward = true;            ///< ScanIndexForward
    attribute_map exclusive_start;  ///< ExclusiveStartKey, or empty
};

/// One page of a Query or Scan.
struct query_page {
    std::vector<attribute_map> items;  ///< Items
    attribute_map last_evaluated_key;  ///< empty when this was the last page
    std::int64_t scanned_count = 0;    ///< ScannedCount
};

/// One request of BatchWriteItem: a put (`item` set) or a delete (`key` set).
struct write_request {
    std::optional<attribute_map> put;     ///< PutRequest.Item
    std::optional<attribute_map> remove;  ///< DeleteRequest.Key
};

/// A key attribute or index definition for CreateTable.
struct key_schema {
    std::string partition_key;  ///< HASH attribute (type S)
    std::string sort_key;       ///< RANGE attribute (type S), or empty
};

/// A global secondary index (projection ALL).
struct global_index {
    std::string name;  ///< IndexName
    key_schema keys;   ///< its key schema
};

/// CreateTable (billing mode PAY_PER_REQUEST; all key attributes are strings).
struct create_table_request {
    std::string table;                  ///< TableName
    key_schema keys;                    ///< table key
    std::vector<global_index> indexes;  ///< GSIs
};

/// What DescribeTable / CreateTable report.
struct table_description {
    std::string name;                   ///< TableName
    std::string status;                 ///< CREATING, ACTIVE, ...
    std::string billing_mode;           ///< PAY_PER_REQUEST or PROVISIONED
    key_schema keys;                    ///< table key
    std::vector<global_index> indexes;  ///< GSIs
    std::int64_t item_count = 0;        ///< ItemCount (approximate on AWS)
};

/// Where and how the client talks to DynamoDB.
struct dynamodb_config {
    std::string region = "us-east-1";           ///< signing region
    std::optional<endpoint> endpoint_override;  ///< else `https://dynamodb.{region}.amazonaws.com`
    aws::credentials credentials;               ///< signing credentials
    std::chrono::milliseconds call_budget{30'000};  ///< deadline of a call when none is given
    std::size_t batch_max_rounds = 8;               ///< BatchWriteItem re-sends of UnprocessedItems
};

/// Per-call options.
struct call_options {
    /// Unix epoch ms (on the client's clock) after which no retry starts; 0 = now + budget.
    std::int64_t deadline_ms = 0;
};

/// The DynamoDB client. Errors: the service errors of `aws::errc` with the AWS message (e.g.
/// `conditional_check_failed`, `validation`, `throughput_exceeded`), transport errors from the
/// `http_transport`, `aws::errc::bad_response` for malformed responses. Throttling and transient
/// errors are retried per the `retry_policy`. Thread-safe (signing is serialized inside).
/// The transport, policy, clock and sleeper are borrowed and must outlive the client.
class dynamodb_client {
public:
    /// A client with its own standard-mode policy, the system clock and a thread sleeper.
    dynamodb_client(http_transport& transport, dynamodb_config config);

    /// A client with injected retry policy, clock and sleeper (tests).
    dynamodb_client(http_transport& transport,
                    dynamodb_config config,
                    retry_policy& policy,
                    const lift::clock& clk,
                    sleeper& sleep);

    ~dynamodb_client();
    dynamodb_client(const dynamodb_client&) = delete;
    dynamodb_client& operator=(const dynamodb_client&) = delete;

    /// PutItem; returns the old item when `return_old`, else an empty map.
    [[nodiscard]] result<attribute_map> put_item(const put_item_request& req,
                                                 const call_options& opt = {});
    /// GetItem; nullopt when there is no such item.
    [[nodiscard]] result<std::optional<attribute_map>> get_item(const get_item_request& req,
                                                                const call_options& opt = {});
    /// DeleteItem; returns the old item when `return_old`, else an empty map.
    [[nodiscard]] result<attribute_map> delete_item(const delete_item_request& req,
                                                    const call_options& opt = {});
    /// UpdateItem; returns `Attributes` per `return_values`.
    [[nodiscard]] result<attribute_map> update_item(const update_item_request& req,
                                                    const call_options& opt = {});
    /// One Query page.
    [[nodiscard]] result<query_page> query(const query_request& req, const call_options& opt = {});
    /// Every item of a Query, following `LastEvaluatedKey` until it is absent.
    [[nodiscard]] result<std::vector<attribute_map>> query_all(query_request req,
                                                               const call_options& opt = {});
    /// One Scan page.
    [[nodiscard]] result<query_page> scan(const query_request& req, const call_options& opt = {});
    /// Every item of a Scan, all pages.
    [[nodiscard]] result<std::vector<attribute_map>> scan_all(query_request req,
                                                              const call_options& opt = {});
    /// BatchWriteItem for any number of requests: chunks of 25, `UnprocessedItems` re-sent with
    /// backoff up to `batch_max_rounds` rounds; fails with `throughput_exceeded` if items are
    /// still unprocessed then (the message says how many).
    [[nodiscard]] result<void> batch_write(const std::string& table,
                                           const std::vector<write_request>& requests,
                                           const call_options& opt = {});
    /// CreateTable with on-demand billing.
    [[nodiscard]] result<table_description> create_table(const create_table_request& req,
                                                         const call_options& opt = {});
    /// DescribeTable.
    [[nodiscard]] result<table_description> describe_table(const std::string& table,
                                                           const call_options& opt = {});
    /// UpdateTimeToLive.
    [[nodiscard]] result<void> update_time_to_live(const std::string& table,
                                                   const std::string& attribute,
                                                   bool enabled,
                                                   const call_options& opt = {});
    /// DescribeTimeToLive; returns TimeToLiveStatus (ENABLED, DISABLED, ...).
    [[nodiscard]] result<std::string> describe_time_to_live(const std::string& table,
                                                            const call_options& opt = {});

    /// Any operation: sends `body` as `DynamoDB_20120810.<operation>` and returns the response
    /// body of a 2xx, with signing, retries and error mapping.
    [[nodiscard]] result<std::string> call(std::string_view operation,
                                           std::string body,
                                           const call_options& opt = {});

    /// The endpoint in use.
    [[nodiscard]] const endpoint& target() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace lift::aws
