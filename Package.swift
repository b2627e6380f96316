// swift-tools-version: 6.2
// Linux only: the worker pool rests on Linux system calls (futex, pidfd, eventfd, FIONREAD on
// pipes, posix_spawn with closefrom) through the C shim, which refuses to build elsewhere. The
// code needs Swift 6.2 (`Task.immediate`, `NonisolatedNonsendingByDefault`).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let package = Package(
    name: "swift-parallax",
    products: [
        .library(name: "Parallax", targets: ["Parallax"]),
        .library(name: "ParallaxPostgres", targets: ["ParallaxPostgres"]),
        .executable(name: "parallax", targets: ["parallax"]),
        .executable(name: "parallax-cluster", targets: ["parallax-cluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // `swift package generate-documentation`: the DocC catalog, built without warnings in CI.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CParallaxSystem"),
        // The wire: frames, payloads, the binary codec and the errors they carry. Plain Swift,
        // free of the pool, processes and system calls; the fuzzers build it on its own.
        .target(name: "ParallaxWire", swiftSettings: swiftSettings),
        .target(
            name: "Parallax",
            dependencies: [
                "CParallaxSystem",
                "ParallaxWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // Tasks across hosts on PostgreSQL. The core library stays free of it.
        .target(
            name: "ParallaxPostgres",
            dependencies: [
                "Parallax",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "parallax",
            dependencies: [
                "CParallaxSystem",
                "Parallax",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            // The command's workers are copies of itself: with the standard library and Foundation
            // linked in statically a worker starts in about half the time and takes a quarter less
            // memory (measured by `parallax bench`). Applications can do the same with
            // `swift build --static-swift-stdlib`.
            linkerSettings: [
                .unsafeFlags(["-static-stdlib"], .when(platforms: [.linux])),
                .linkedLibrary("_FoundationCShims", .when(platforms: [.linux])),
                .linkedLibrary("_FoundationCollections", .when(platforms: [.linux])),
            ]
        ),
        // The queue across hosts on a private PostgreSQL server: `demo --hosts`, and the hosts
        // it starts. Apart from `parallax`, which links the standard library statically and
        // stays free of Foundation; PostgresNIO needs all of Foundation.
        .executableTarget(
            name: "parallax-cluster",
            dependencies: [
                "Parallax",
                "ParallaxPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ReadmeExample",
            dependencies: [
                "Parallax",
                "ParallaxPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/ReadmeExample",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ParallaxTestTasks",
            dependencies: [
                "Parallax",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            path: "Tests/ParallaxTestTasks",
            swiftSettings: swiftSettings
        ),
        // What the test targets share: a clock that moves only when a test moves it.
        .target(
            name: "ParallaxTestSupport",
            dependencies: ["Parallax"],
            path: "Tests/ParallaxTestSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ParallaxTestWorker",
            dependencies: ["Parallax", "ParallaxTestTasks"],
            path: "Tests/ParallaxTestWorker",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParallaxTests",
            dependencies: [
                "CParallaxSystem",
                "Parallax",
                "ParallaxWire",
                "ParallaxTestTasks",
                "ParallaxTestSupport",
                "ParallaxTestWorker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ParallaxPostgresTests",
            dependencies: [
                "ParallaxPostgres",
                "ParallaxTestSupport",
                "ParallaxTestTasks",
                "ParallaxTestWorker",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
