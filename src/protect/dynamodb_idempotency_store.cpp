#include <lift/aws/error.hpp>
#include <lift/protect/dynamodb_idempotency_store.hpp>

namespace lift::protect {

namespace {

constexpr const char* in_progress_text = "IN_PROGRESS";
constexpr const char* completed_text = "COMPLETED";

std::int64_t ttl_seconds(std::int64_t epoch_ms) {
    return epoch_ms / 1000 + 1;
}

const aws::attribute_value* find(const aws::attribute_map& m, const char* name) {
    auto it = m.find(name);
    return it == m.end() ? nullptr : &it->second;
}

}  // namespace

dynamodb_idempotency_store::dynamodb_idempotency_store(aws::dynamodb_client& client,
                                                       std::string table,
                                                       dynamodb_idempotency_options options)
    : client_(client),
      table_(std::move(table)),
      options_(std::move(options)) {
    if (options_.max_attempts < 1) {
        options_.max_attempts = 1;
    }
}

aws::attribute_map dynamodb_idempotency_store::key_of(std::string_view key) const {
    aws::attribute_map k;
    k[options_.partition_key] = aws::attr::s(options_.key_prefix + std::string{key});
    if (!options_.sort_key.empty()) {
        k[options_.sort_key] = aws::attr::s(options_.sort_value);
    }
    return k;
}

result<begin_result> dynamodb_idempotency_store::begin(std::string_view key,
                                                       std::string_view owner,
                                                       std::int64_t lock_until_ms,
                                                       std::int64_t now_ms) {
    const aws::call_options opt{};  // the client's own budget (its clock may not be ours)
    const aws::attribute_map item_key = key_of(key);
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
        aws::put_item_request put;
        put.table = table_;
        put.item = item_key;
        put.item["state"] = aws::attr::s(in_progress_text);
        put.item["owner"] = aws::attr::s(std::string{owner});
        put.item["exp"] = aws::attr::n(lock_until_ms);
        put.item["ttl"] = aws::attr::n(ttl_seconds(lock_until_ms));
        // Free, or whatever is there has expired (a lock whose invocation ran out of time, or
        // a completed record DynamoDB's TTL has not deleted yet).
        put.condition = "attribute_not_exists(#pk) OR #exp <= :now";
        put.expr.names = {{"#pk", options_.partition_key}, {"#exp", "exp"}};
        put.expr.values[":now"] = aws::attr::n(now_ms);
        auto taken = client_.put_item(put, opt);
        if (taken) {
            return begin_result{begin_state::acquired, {}};
        }
        if (taken.error().code != aws::errc::conditional_check_failed) {
            return taken.error();
        }
        auto got =
            client_.get_item({.table = table_, .key = item_key, .consistent_read = true}, opt);
        if (!got) {
            return got.error();
        }
        if (!*got) {
            continue;  // deleted (released) since our put: try again
        }
        const auto& item = **got;
        const auto* state = find(item, "state");
        const auto* exp = find(item, "exp");
        const auto exp_ms = exp ? exp->as_int() : std::nullopt;
        if (state == nullptr || state->as_string() == nullptr || !exp_ms) {
            return fail(aws::errc::bad_response, "idempotency item has no state/exp attributes");
        }
        if (*exp_ms <= now_ms) {
            continue;  // expired between our put and our read: try again
        }
        begin_result r;
        if (*state->as_string() == completed_text) {
            r.state = begin_state::completed;
            const auto* status = find(item, "status");
            const auto code = status ? status->as_int() : std::nullopt;
            r.reply.status_code = code ? static_cast<int>(*code) : 200;
            if (const auto* body = find(item, "body"); body && body->as_string()) {
                r.reply.body = *body->as_string();
            }
        } else {
            r.state = begin_state::in_progress;
        }
        return r;
    }
    // Every round saw the item change under us: someone else is busy with this key.
    return begin_result{begin_state::in_progress, {}};
}

result<void> dynamodb_idempotency_store::complete(std::string_view key,
                                                  std::string_view owner,
                                                  const stored_reply& reply,
                                                  std::int64_t expires_at_ms) {
    aws::put_item_request put;
    put.table = table_;
    put.item = key_of(key);
    put.item["state"] = aws::attr::s(completed_text);
    put.item["owner"] = aws::attr::s(std::string{owner});
    put.item["exp"] = aws::attr::n(expires_at_ms);
    put.item["ttl"] = aws::attr::n(ttl_seconds(expires_at_ms));
    put.item["status"] = aws::attr::n(reply.status_code);
    if (reply.body) {
        put.item["body"] = aws::attr::s(*reply.body);
    }
    put.condition = "#owner = :owner AND #state = :in_progress";
    put.expr.names = {{"#owner", "owner"}, {"#state", "state"}};
    put.expr.values[":owner"] = aws::attr::s(std::string{owner});
    put.expr.values[":in_progress"] = aws::attr::s(in_progress_text);
    auto r = client_.put_item(put);
    if (!r && r.error().code != aws::errc::conditional_check_failed) {
        return r.error();
    }
    return {};  // a failed condition: the lock was taken over; the new owner's result wins
}

result<void> dynamodb_idempotency_store::release(std::string_view key, std::string_view owner) {
    aws::delete_item_request del;
    del.table = table_;
    del.key = key_of(key);
    del.condition = "#owner = :owner AND #state = :in_progress";
    del.expr.names = {{"#owner", "owner"}, {"#state", "state"}};
    del.expr.values[":owner"] = aws::attr::s(std::string{owner});
    del.expr.values[":in_progress"] = aws::attr::s(in_progress_text);
    auto r = client_.delete_item(del);
    if (!r && r.error().code != aws::errc::conditional_check_failed) {
        return r.error();
    }
    return {};
}

}  // namespace lift::protect
