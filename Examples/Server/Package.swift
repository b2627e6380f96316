// swift-tools-version: 6.2
import PackageDescription

// An example server: a Hummingbird 2 application that offloads work a server should not run in
// its own process (user regular expressions, untrusted image decoding, a CPU-heavy transform) to
// a WorkerPool in the same ServiceGroup, with traces that follow a request into the workers and
// Prometheus metrics of the server and the pool side by side.
//   swift run parallax-server            the server, on 127.0.0.1:8080
//   swift run parallax-server load       the load run: healthy requests while others crash or hang workers
//   swift test                           its tests, over real HTTP
let package = Package(
    name: "parallax-server",
    dependencies: [
        .package(name: "swift-parallax", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "ServerKit",
            dependencies: [
                .product(name: "Parallax", package: "swift-parallax"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "parallax-server",
            dependencies: [
                "ServerKit",
                .product(name: "Parallax", package: "swift-parallax"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "ServerKit", "parallax-server",
                .product(name: "Parallax", package: "swift-parallax"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
    ]
)
