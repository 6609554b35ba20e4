'use strict';

// Echo peer for bench/echo_vs_peers.sh: the same contract as examples/echo's $default route.
module.exports.connect = async () => ({ statusCode: 200 });

module.exports.disconnect = async () => ({ statusCode: 200 });

module.exports.echo = async (event) => ({ statusCode: 200, body: event.body });
