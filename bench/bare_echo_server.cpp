// bare_echo_server: the no-framework floor for bench/echo_vs_peers.sh.
//
// A minimal Boost.Beast (1.81) WebSocket echo server: one io_context on one thread, one C++20
// coroutine per connection, accepts any request target, echoes every message with the same
// opcode (text stays text). It does what any hand-written Beast echo would do and nothing more,
// so the gap between it and the lift gateway is the framework's cost.
//
//   bare-echo-server --port 0        # prints "listening ws://127.0.0.1:PORT/" and serves
//
// Stops on SIGINT/SIGTERM.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Boost 1.81 has no default completion token; errors are values on the hot path.
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

using ws_stream = websocket::stream<beast::tcp_stream>;

asio::awaitable<void> serve_session(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    ws_stream ws(std::move(socket));
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(beast::http::field::server, "bare-echo-server");
    }));

    auto [accept_ec] = co_await ws.async_accept(use_nothrow);
    if (accept_ec) {
        co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
        auto [read_ec, read_n] = co_await ws.async_read(buffer, use_nothrow);
        if (read_ec) {
            co_return;  // closed by peer, or a protocol error: either way the session ends
        }
        ws.text(ws.got_text());
        auto [write_ec, write_n] = co_await ws.async_write(buffer.data(), use_nothrow);
        if (write_ec) {
            co_return;
        }
        buffer.consume(buffer.size());
    }
}

// Completion handler for co_spawn: sessions report errors as values, so an exception here is a
// bug worth printing, never a reason to take the server down.
void report_exception(const std::exception_ptr& e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "bare-echo-server: coroutine failed: %s\n", ex.what());
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            continue;  // e.g. EMFILE: keep serving the connections we have
        }
        auto executor = acceptor.get_executor();
        asio::co_spawn(executor, serve_session(std::move(socket)), report_exception);
    }
}

void print_usage() {
    std::puts(
        "usage: bare-echo-server [--port N] [--address A]\n"
        "  Minimal Beast WebSocket echo server (benchmark floor). --port 0 picks a free port;\n"
        "  prints 'listening ws://ADDRESS:PORT/' once ready.");
}

}  // namespace

int main(int argc, char** argv) {
    std::string address = "127.0.0.1";
    unsigned long port = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            print_usage();
            return 0;
        }
        if ((arg == "--port" || arg == "--address") && i + 1 < argc) {
            const std::string_view value = argv[++i];
            if (arg == "--port") {
                port = std::strtoul(value.data(), nullptr, 10);
            } else {
                address = value;
            }
            continue;
        }
        std::fprintf(stderr, "bare-echo-server: unknown argument '%s'\n", argv[i]);
        print_usage();
        return 2;
    }
    if (port > 65535) {
        std::fprintf(stderr, "bare-echo-server: bad port\n");
        return 2;
    }

    try {
        asio::io_context ioc(1);
        const tcp::endpoint endpoint(asio::ip::make_address(address),
                                     static_cast<unsigned short>(port));
        tcp::acceptor acceptor(ioc);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(asio::socket_base::max_listen_connections);
        const auto bound = acceptor.local_endpoint();

        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&ioc](const boost::system::error_code&, int) { ioc.stop(); });

        asio::co_spawn(ioc, accept_loop(std::move(acceptor)), report_exception);

        std::printf("listening ws://%s:%u/\n", bound.address().to_string().c_str(),
                    static_cast<unsigned>(bound.port()));
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bare-echo-server: %s\n", e.what());
        return 1;
    }
    return 0;
}
