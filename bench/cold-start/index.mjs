// The Node.js peer of bench/cold_start.sh: the smallest WebSocket-route handler, run through
// aws-lambda-ric exactly as a provided.al2023 / container function would run it.
export const handler = async (event) => ({ statusCode: 200, body: event.body ?? "" });
