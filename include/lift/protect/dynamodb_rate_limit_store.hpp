/// @file dynamodb_rate_limit_store.hpp
/// Token buckets in DynamoDB, shared by every Lambda instance: one item per bucket, changed with
/// a conditional UpdateItem (optimistic concurrency on a version number), so concurrent callers
/// never admit more than the bucket holds.
///
///     lift::protect::dynamodb_rate_limit_store store(ddb, "connections");
///     app.use(lift::protect::rate_limiter::create(store, options).value().middleware());
///
/// Item layout (fits the connection table of `create_connection_table`; TTL on `ttl`):
///
/// | attribute | type | value                                                              |
/// |-----------|------|--------------------------------------------------------------------|
/// | `pk`      | S    | `RATE#<bucket key>` (partition key; name configurable)             |
/// | `sk`      | S    | `RATE` (sort key; omitted when `sort_key` is empty)                |
/// | `tokens`  | N    | tokens left at `ts` (decimal, may have a fraction)                 |
/// | `ts`      | N    | epoch ms of the last refill                                        |
/// | `v`       | N    | version, +1 on every write (the condition of the next write)       |
/// | `ttl`     | N    | epoch seconds after which the bucket is full again (+ slack)       |
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <lift/aws/dynamodb.hpp>
#include <lift/core/result.hpp>
#include <lift/protect/rate_limit_store.hpp>

namespace lift::protect {

/// Settings of `dynamodb_rate_limit_store`.
struct dynamodb_rate_limit_options {
    std::string partition_key = "pk";  ///< the table's partition key (type S)
    std::string sort_key = "sk";       ///< the table's sort key (type S); empty = none
    std::string key_prefix = "RATE#";  ///< prepended to bucket keys in `partition_key`
    std::string sort_value = "RATE";   ///< the `sort_key` value of bucket items
    /// Read-compute-write rounds before giving up when other callers keep winning the
    /// conditional write (ConditionalCheckFailed). Giving up rejects the request (the bucket
    /// is being drained by others right now), so contention never over-admits.
    int max_attempts = 8;
    /// Seconds added to the time-to-full when computing `ttl` (DynamoDB deletes expired
    /// items lazily; an expired bucket is full anyway, so the exact moment does not matter).
    std::int64_t ttl_slack_seconds = 60;
};

/// `rate_limit_store` on a DynamoDB table. Each `take` is a strongly consistent GetItem and,
/// when a token is available, an UpdateItem conditioned on the version read (or on the item's
/// absence for a new bucket); a lost race re-reads, up to `max_attempts` rounds. A rejection
/// writes nothing. Errors are the client's (`lift::aws::errc`: transport failures, throttling
/// left after its retries, a missing table) or `aws::errc::bad_response` for an item of the
/// wrong shape; exhausting `max_attempts` is a rejection, not an error. Thread-safe (the client
/// is).
/// The client must outlive the store.
class dynamodb_rate_limit_store final : public rate_limit_store {
public:
    /// Buckets in `table` through `client` (borrowed).
    dynamodb_rate_limit_store(aws::dynamodb_client& client,
                              std::string table,
                              dynamodb_rate_limit_options options = {});

    /// See `rate_limit_store::take`.
    [[nodiscard]] result<bucket_decision> take(std::string_view key,
                                               const bucket_limit& limit,
                                               std::int64_t now_ms,
                                               std::int64_t deadline_ms) override;

private:
    aws::dynamodb_client& client_;
    std::string table_;
    dynamodb_rate_limit_options options_;
};

}  // namespace lift::protect
