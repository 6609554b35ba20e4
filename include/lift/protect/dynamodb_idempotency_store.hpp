/// @file dynamodb_idempotency_store.hpp
/// Idempotency records in DynamoDB, shared by every Lambda instance. The lock is a conditional
/// PutItem (`attribute_not_exists`, or the old lock/record has expired); completion and release
/// are conditioned on the lock's owner.
///
///     lift::protect::dynamodb_idempotency_store store(ddb, "connections");
///     app.use(lift::protect::idempotency(store, {.id_pointer = "/id"}).value().middleware());
///
/// Item layout (fits the connection table of `create_connection_table`; TTL on `ttl`):
///
/// | attribute | type | value                                                             |
/// |-----------|------|-------------------------------------------------------------------|
/// | `pk`      | S    | `IDEM#<key>` (partition key; name configurable)                   |
/// | `sk`      | S    | `IDEM` (sort key; omitted when `sort_key` is empty)               |
/// | `state`   | S    | `IN_PROGRESS` or `COMPLETED`                                      |
/// | `owner`   | S    | random token of the invocation holding the lock                   |
/// | `exp`     | N    | epoch ms: lock expiry (in progress) or record expiry (completed)  |
/// | `status`  | N    | stored `statusCode` (completed)                                   |
/// | `body`    | S    | stored `body`, when there was one (completed)                     |
/// | `ttl`     | N    | epoch seconds, `exp` rounded up: DynamoDB's TTL deletes the item  |
#pragma once

#include <string>
#include <string_view>

#include <lift/aws/dynamodb.hpp>
#include <lift/core/result.hpp>
#include <lift/protect/idempotency_store.hpp>

namespace lift::protect {

/// Settings of `dynamodb_idempotency_store`.
struct dynamodb_idempotency_options {
    std::string partition_key = "pk";  ///< the table's partition key (type S)
    std::string sort_key = "sk";       ///< the table's sort key (type S); empty = none
    std::string key_prefix = "IDEM#";  ///< prepended to keys in `partition_key`
    std::string sort_value = "IDEM";   ///< the `sort_key` value of idempotency items
    /// Rounds of "conditional put failed, but the item read back is already gone/expired".
    int max_attempts = 4;
};

/// `idempotency_store` on a DynamoDB table. `begin` is one conditional PutItem; when it loses,
/// a strongly consistent GetItem tells completed from in progress. Errors: the client's
/// (`lift::aws::errc`), `aws::errc::bad_response` for an item of the wrong shape. Expiry is
/// decided with the `now_ms` the caller passes (not DynamoDB's TTL, which deletes lazily).
/// Thread-safe (the client is). The client must outlive the store.
class dynamodb_idempotency_store final : public idempotency_store {
public:
    /// Records in `table` through `client` (borrowed).
    dynamodb_idempotency_store(aws::dynamodb_client& client,
                               std::string table,
                               dynamodb_idempotency_options options = {});

    /// See `idempotency_store::begin`.
    [[nodiscard]] result<begin_result> begin(std::string_view key,
                                             std::string_view owner,
                                             std::int64_t lock_until_ms,
                                             std::int64_t now_ms) override;

    /// See `idempotency_store::complete`.
    [[nodiscard]] result<void> complete(std::string_view key,
                                        std::string_view owner,
                                        const stored_reply& reply,
                                        std::int64_t expires_at_ms) override;

    /// See `idempotency_store::release`.
    [[nodiscard]] result<void> release(std::string_view key, std::string_view owner) override;

private:
    aws::attribute_map key_of(std::string_view key) const;

    aws::dynamodb_client& client_;
    std::string table_;
    dynamodb_idempotency_options options_;
};

}  // namespace lift::protect
