import PostgresNIO

/// Tells a failure that goes away when the database comes back (a connection closed or
/// refused, a server restarting or shutting down, a backend terminated by an administrator)
/// from one that would fail again.
package enum DatabaseOutage {
    /// Whether `error` is worth the same statement again after a pause.
    package static func isTransient(_ error: any Error) -> Bool {
        if let transaction = error as? PostgresTransactionError {
            let inner = transaction.beginError ?? transaction.closureError ?? transaction.commitError
            return inner.map(isTransient) ?? false
        }
        if error is StatementTimedOut { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection:
            return true
        case .server:
            // Class 08: connection exception; 57P01–57P03: administrator or crash shutdown,
            // cannot connect now (the server is starting).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        default:
            return false
        }
    }
}
