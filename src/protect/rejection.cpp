#include <boost/json/serialize.hpp>

#include <lift/protect/rejection.hpp>

namespace lift::protect {

std::string error_frame(const context& ctx, boost::json::object fields) {
    fields["connectionId"] = ctx.connection_id();
    fields["requestId"] = ctx.event().request_context.request_id;
    return boost::json::serialize(fields);
}

reply reject(context& ctx, int status, boost::json::object fields) {
    reply r = reply::status(status);
    if (ctx.type() != event_type::message) {
        return r;
    }
    std::string frame = error_frame(ctx, std::move(fields));
    if (auto sent = ctx.send(frame); !sent) {
        ctx.log().warn("protect: cannot send the error frame to the caller (" +
                       sent.error().message + "); returning it as the reply body");
        r.body = std::move(frame);
    }
    return r;
}

}  // namespace lift::protect
