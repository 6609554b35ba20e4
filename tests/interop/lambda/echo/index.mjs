// A Node.js Lambda handler for API Gateway WebSocket proxy events, as a user would write it.
// Run behind `lift gateway` by ./bootstrap (through aws-lambda-ric).
export const handler = async (event, context) => {
    const body = event.body ?? '';
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
