import Hummingbird
public import Parallax

extension TaskError {
    /// The answer a request gets when its task failed: the worker's fault is the request's, not
    /// the server's, and the reason goes back to the client.
    ///
    /// | failure | status |
    /// | --- | --- |
    /// | timed out (the worker was stopped) | 504 Gateway Timeout |
    /// | the worker crashed on the input | 422 Unprocessable Content, with the crash reason |
    /// | the task rejected the input (it threw) | 400 Bad Request |
    /// | the pool is full or shutting down | 503 Service Unavailable |
    /// | anything else | 500 |
    public var httpError: HTTPError {
        let status: HTTPResponse.Status
        switch kind {
        case .timedOut: status = .gatewayTimeout
        case .crashed: status = .unprocessableContent
        case .threw: status = .badRequest
        case .rejected: status = .serviceUnavailable
        default: status = .internalServerError
        }
        return HTTPError(status, message: kind == .threw ? message : "\(kind): \(message)")
    }
}
