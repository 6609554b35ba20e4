#include <random>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <lift/protect/idempotency.hpp>
#include <lift/protect/rejection.hpp>

namespace lift::protect {

namespace {

// Appends `part` with `%` and `#` percent-encoded, so `#` only ever separates parts.
void append_part(std::string& out, std::string_view part) {
    for (const char c : part) {
        if (c == '%') {
            out += "%25";
        } else if (c == '#') {
            out += "%23";
        } else {
            out += c;
        }
    }
}

enum class id_status { not_covered, missing, too_long, ok };

struct extracted {
    id_status status = id_status::not_covered;
    std::string key;
    boost::json::value id;
};

bool covers(const idempotency_options& o, std::string_view route) {
    if (o.routes.empty()) {
        return true;
    }
    return std::find(o.routes.begin(), o.routes.end(), route) != o.routes.end();
}

extracted extract(const idempotency_options& o, context& ctx) {
    extracted x;
    if (ctx.type() != event_type::message || !covers(o, ctx.route_key())) {
        return x;
    }
    x.status = id_status::missing;
    const boost::json::value* body = ctx.json_body();
    if (body == nullptr) {
        return x;
    }
    boost::system::error_code ec;
    const boost::json::value* found = body->find_pointer(o.id_pointer, ec);
    if (found == nullptr) {
        return x;
    }
    std::string id;
    if (const auto* s = found->if_string(); s != nullptr && !s->empty()) {
        id.assign(s->data(), s->size());
    } else if (found->is_int64()) {
        id = std::to_string(found->get_int64());
    } else if (found->is_uint64()) {
        id = std::to_string(found->get_uint64());
    } else {
        return x;
    }
    x.id = *found;
    if (id.size() > o.max_id_bytes) {
        x.status = id_status::too_long;
        return x;
    }
    // identity() may read the connection record: only ask when the scope needs it.
    if (o.scope == idempotency_scope::user && !ctx.identity().subject.empty()) {
        x.key = "u#";
        append_part(x.key, ctx.identity().subject);
    } else {
        x.key = "c#";
        append_part(x.key, ctx.connection_id());
    }
    x.key += '#';
    append_part(x.key, ctx.route_key());
    x.key += '#';
    append_part(x.key, id);
    x.status = id_status::ok;
    return x;
}

// An owner token unique to this attempt: the request id plus 64 random bits.
std::string owner_token(const context& ctx) {
    std::random_device rd;
    const std::uint64_t r = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    return fmt::format("{}-{:016x}", ctx.event().request_context.request_id, r);
}

}  // namespace

result<idempotency> idempotency::create(idempotency_store& store, idempotency_options options) {
    if (options.id_pointer.empty() || options.id_pointer.front() != '/') {
        return fail(errc::invalid_argument,
                    "idempotency id_pointer must be a JSON pointer starting with '/', e.g. /id");
    }
    for (std::size_t i = 0; i < options.id_pointer.size(); ++i) {
        if (options.id_pointer[i] == '~' &&
            (i + 1 == options.id_pointer.size() ||
             (options.id_pointer[i + 1] != '0' && options.id_pointer[i + 1] != '1'))) {
            return fail(errc::invalid_argument,
                        "idempotency id_pointer: '~' must be followed by 0 or 1");
        }
    }
    if (options.completed_ttl_seconds <= 0) {
        return fail(errc::invalid_argument, "idempotency completed_ttl_seconds must be > 0");
    }
    if (options.default_lock_ms <= 0) {
        return fail(errc::invalid_argument, "idempotency default_lock_ms must be > 0");
    }
    if (options.max_id_bytes == 0) {
        return fail(errc::invalid_argument, "idempotency max_id_bytes must be > 0");
    }
    if (options.scope != idempotency_scope::connection &&
        options.scope != idempotency_scope::user) {
        return fail(errc::invalid_argument, "idempotency scope is unknown");
    }
    auto c = std::make_shared<config>();
    c->options = std::move(options);
    c->store = &store;
    return idempotency{std::move(c)};
}

std::optional<std::string> idempotency::key_of(context& ctx) const {
    auto x = extract(config_->options, ctx);
    if (x.status != id_status::ok) {
        return std::nullopt;
    }
    return std::move(x.key);
}

lift::middleware idempotency::middleware() const {
    return [self = *this](context& ctx, const next_handler& next) -> result<reply> {
        const auto& o = self.config_->options;
        extracted x = extract(o, ctx);
        switch (x.status) {
            case id_status::not_covered:
                return next(ctx);
            case id_status::missing:
                if (!o.require_id) {
                    return next(ctx);
                }
                return reject(ctx, 400,
                              boost::json::object{{"message", "Missing idempotency key"},
                                                  {"pointer", o.id_pointer}});
            case id_status::too_long:
                return reject(ctx, 400,
                              boost::json::object{
                                  {"message", "Invalid idempotency key"},
                                  {"reason", fmt::format("longer than {} bytes", o.max_id_bytes)}});
            case id_status::ok:
                break;
        }
        const std::int64_t now = ctx.clock().now_ms();
        const std::int64_t remaining = ctx.remaining_ms();
        const std::int64_t lock_until =
            now +
            (remaining == INT64_MAX ? o.default_lock_ms : std::max<std::int64_t>(remaining, 1));
        const std::string owner = owner_token(ctx);
        auto begun = self.config_->store->begin(x.key, owner, lock_until, now);
        if (!begun) {
            ctx.log().warn("idempotency store failed (" + begun.error().message + ")");
            if (o.run_on_store_error) {
                return next(ctx);
            }
            return fail(errc::unavailable, "idempotency store failed: " + begun.error().message);
        }
        switch (begun->state) {
            case begin_state::in_progress:
                ctx.log().info("idempotency: duplicate of a message in progress, id " +
                               boost::json::serialize(x.id));
                return reject(
                    ctx, 409,
                    boost::json::object{{"message", "Request already in progress"}, {"id", x.id}});
            case begin_state::completed: {
                ctx.log().info("idempotency: replaying the stored reply, id " +
                               boost::json::serialize(x.id));
                reply r = reply::status(begun->reply.status_code);
                r.body = std::move(begun->reply.body);
                return r;
            }
            case begin_state::acquired:
                break;
        }
        auto res = next(ctx);
        if (!res) {
            if (auto released = self.config_->store->release(x.key, owner); !released) {
                ctx.log().warn("idempotency: cannot release the lock (" + released.error().message +
                               "); it expires at the deadline");
            }
            return res;
        }
        const std::int64_t expires = ctx.clock().now_ms() + o.completed_ttl_seconds * 1000;
        if (auto done = self.config_->store->complete(
                x.key, owner, stored_reply{res->status_code, res->body}, expires);
            !done) {
            ctx.log().warn("idempotency: cannot store the reply (" + done.error().message +
                           "); a duplicate after the lock expires runs again");
        }
        return res;
    };
}

}  // namespace lift::protect
