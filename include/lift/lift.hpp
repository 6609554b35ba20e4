/// @file lift.hpp
/// Umbrella header for applications: everything a Lift program usually needs.
///
///     #include <lift/lift.hpp>
///     int main(int argc, char** argv) { lift::app app; return lift::run(app, argc, argv); }
#pragma once

#include <lift/core/app.hpp>
#include <lift/core/authorizer.hpp>
#include <lift/core/clock.hpp>
#include <lift/core/connection_api.hpp>
#include <lift/core/connection_store.hpp>
#include <lift/core/context.hpp>
#include <lift/core/error.hpp>
#include <lift/core/event.hpp>
#include <lift/core/identity.hpp>
#include <lift/core/invocation.hpp>
#include <lift/core/json.hpp>
#include <lift/core/log.hpp>
#include <lift/core/memory_store.hpp>
#include <lift/core/middleware.hpp>
#include <lift/core/reply.hpp>
#include <lift/core/result.hpp>
#include <lift/runtime/authorizer.hpp>
#include <lift/runtime/run.hpp>
