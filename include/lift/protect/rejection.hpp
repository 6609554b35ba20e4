/// @file rejection.hpp
/// How the protection middleware (rate limits, validation, idempotency) turns a request away:
/// on `$connect` with an HTTP status (the handshake fails), on message routes with one JSON
/// error frame sent to the caller, so one-way routes tell the client too.
///
///     boost::json::object f{{"message", "Too Many Requests"}};
///     return lift::protect::reject(ctx, 429, std::move(f));
///     // frame: {"message":"Too Many Requests","connectionId":"…","requestId":"…"}
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include <lift/core/context.hpp>
#include <lift/core/reply.hpp>

namespace lift::protect {

/// The error frame for `ctx`: `fields` followed by `connectionId` and `requestId` (compact
/// JSON, member order kept). Pure; thread-safe.
[[nodiscard]] std::string error_frame(const context& ctx, boost::json::object fields);

/// Rejects the current event without calling the handler:
/// - `$connect`: returns `reply::status(status)` (no body; the handshake fails with it).
/// - `$disconnect`: returns `reply::status(status)` (API Gateway ignores it).
/// - message routes: sends `error_frame(ctx, fields)` to the caller with `ctx.send` and returns
///   `reply::status(status)` with no body, so a two-way route sends nothing more: the client
///   gets exactly one frame. When `ctx.send` fails (no management API, connection gone), the
///   frame is put into the reply body instead (a two-way route then still delivers it) and the
///   failure is logged at warn level.
/// Not thread-safe (uses the per-event context).
[[nodiscard]] reply reject(context& ctx, int status, boost::json::object fields);

}  // namespace lift::protect
