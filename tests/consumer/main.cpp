// Builds against an installed (or exported) Lift and handles one event end to end.
#include <cstdio>
#include <memory>

#include <lift/lift.hpp>

int main() {
    lift::app app;
    app.use_store(std::make_unique<lift::memory_store>());
    app.on("ping", [](lift::context&) { return lift::reply::text("pong"); }, {.two_way = true});
    auto ev = lift::parse_event(
        R"({"requestContext":{"routeKey":"ping","eventType":"MESSAGE","connectionId":"R1kmxc2VNjMCFIA=",)"
        R"("requestId":"R1knPH17NjMFftw=","stage":"dev","identity":{"sourceIp":"203.0.113.9"}},)"
        R"("body":"{\"action\":\"ping\"}","isBase64Encoded":false})");
    if (!ev) {
        std::fprintf(stderr, "parse failed: %s\n", ev.error().message.c_str());
        return 1;
    }
    lift::context_services services;
    services.store = app.store();
    lift::context ctx{*ev, services};
    auto r = app.handle(ctx);
    if (!r || r->body.value_or("") != "pong") {
        std::fprintf(stderr, "unexpected reply\n");
        return 1;
    }
    std::puts("consumer ok");
    return 0;
}
