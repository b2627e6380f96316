import Logging
import Parallax
import ServerKit

#if canImport(Glibc)
    import Glibc
#endif

// In a worker: serve the server's tasks (with a tracer that picks up each task's context), then
// exit. In the server: `serve` (the default) or `load`.
await Worker.serveIfWorker(ServerTasks.registry, bootstrap: { Observability.bootstrapWorker() })

let arguments = Array(CommandLine.arguments.dropFirst())

/// The value after `name` on the command line.
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}

switch arguments.first {
case "load":
    try await LoadRun.main(arguments: Array(arguments.dropFirst()))
case nil, "serve":
    var configuration = ServerConfiguration()
    if let port = option("--port").flatMap(Int.init) { configuration.port = port }
    if let workers = option("--workers").flatMap(Int.init) { configuration.pool.workerCount = workers }
    let level = option("--log-level").flatMap(Logger.Level.init(rawValue:)) ?? .info
    let (metrics, _) = Observability.bootstrapServer(logLevel: level)
    var logger = Logger(label: "parallax-server")
    logger.logLevel = level
    let host = configuration.host
    try await ServerApp.run(configuration: configuration, metrics: metrics, logger: logger) { [logger] port in
        logger.info("listening on http://\(host):\(port) (POST /regex, /decode, /transform; GET /metrics)")
    }
default:
    print(
        "usage: parallax-server [serve [--port N] [--workers N] [--log-level L] | load [--quick] [--seconds S] [--json FILE]]"
    )
    exit(2)
}
