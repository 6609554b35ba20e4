// A Node.js Lambda handler for API Gateway WebSocket proxy events, as a user would write it.
// Run behind `lift gateway` by ./bootstrap (through aws-lambda-ric).
export const handler = async (event, context) => {
    if (event.requestContext.eventType === 'CONNECT') {
        // A $connect handler: refuse ?deny=1 with 401, accept everyone else.
        const deny = event.queryStringParameters?.deny === '1';
        return { statusCode: deny ? 401 : 200 };
    }
    if (event.requestContext.eventType === 'DISCONNECT') {
        return { statusCode: 200 };
    }
    const body = event.body ?? '';
    if (body === 'sleep') {
        await new Promise((resolve) => setTimeout(resolve, 10000)); // past the 5 s timeout
    }
    if (body === 'throw') {
        throw new Error('handler failed on purpose');
    }
    if (body === 'whoami') {
        return {
            statusCode: 200,
            body: JSON.stringify({
                routeKey: event.requestContext.routeKey,
                eventType: event.requestContext.eventType,
                functionName: context.functionName,
                requestId: context.awsRequestId,
                arn: context.invokedFunctionArn,
                remainingMs: context.getRemainingTimeInMillis(),
            }),
        };
    }
    return { statusCode: 200, body };
};
