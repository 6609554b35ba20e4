/// @file invocation.hpp
/// What the Lambda Runtime API says about one invocation (the `Lambda-Runtime-*` headers of
/// `GET /runtime/invocation/next`). Under the Lambda loop every context carries one; inside the
/// in-process gateway there is none (`context::invocation()` is null).
///
///     if (const auto* inv = ctx.invocation()) { ctx.log().info("lambda id " + inv->request_id); }
///     auto arn = ctx.invocation() ? ctx.invocation()->function_arn : std::string{};
#pragma once

#include <cstdint>
#include <string>

namespace lift {

/// One Lambda invocation. A plain value; thread-compatible.
struct invocation_info {
    std::string request_id;        ///< `Lambda-Runtime-Aws-Request-Id` (not API Gateway's id)
    std::int64_t deadline_ms = 0;  ///< `Lambda-Runtime-Deadline-Ms`, Unix epoch ms (0 = unknown)
    std::string function_arn;      ///< `Lambda-Runtime-Invoked-Function-Arn` (may name an alias)
    std::string trace_id;          ///< `Lambda-Runtime-Trace-Id` (also in `_X_AMZN_TRACE_ID`)
    std::string client_context;    ///< `Lambda-Runtime-Client-Context`: JSON text, or empty
    std::string cognito_identity;  ///< `Lambda-Runtime-Cognito-Identity`: JSON text, or empty
    std::string tenant_id;         ///< `Lambda-Runtime-Aws-Tenant-Id`, or empty
};

}  // namespace lift
