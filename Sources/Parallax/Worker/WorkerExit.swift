/// How a worker process ends, as its exit status.
enum WorkerExit: Int32 {
    /// The parent closed the channel, or died: the worker's work is over.
    case done = 0
    /// The parent sent bytes that are not the protocol (`EX_PROTOCOL`).
    case protocolError = 76
    /// The worker could not set itself up: limits, privileges, registry or bootstrap (`EX_CONFIG`).
    case bootstrapFailed = 78
    /// Its pool's lease deadline passed with no renewal from the parent (``LeaseDeadline``).
    case leaseLapsed = 79
}
