/// @file middleware.hpp
/// Middleware wraps every handler call: it runs code before and after, can answer without
/// calling the handler (short-circuit), and sees the handler's errors (exceptions from the
/// handler arrive as `errc::handler_failed`).
///
///     app.use([](lift::context& ctx, const lift::next_handler& next) -> lift::result<lift::reply>
///     {
///         if (ctx.event().query("token") == nullptr) {        // short-circuit
///             return lift::reply::status(401);
///         }
///         auto r = next(ctx);                                 // run the rest
///         if (!r) ctx.log().error(r.error().message);          // see errors
///         return r;
///     });
#pragma once

#include <functional>

#include <lift/core/context.hpp>
#include <lift/core/reply.hpp>
#include <lift/core/result.hpp>

namespace lift {

/// A handler: the result's error means "the invocation failed" (502 on `$connect`, the
/// "Internal server error" frame on message routes).
using handler = std::function<result<reply>(context&)>;

/// The rest of the chain, as seen by a middleware.
using next_handler = std::function<result<reply>(context&)>;

/// A middleware: calls `next(ctx)` to continue, or returns without calling it.
using middleware = std::function<result<reply>(context&, const next_handler&)>;

}  // namespace lift
