// swift-tools-version: 6.2
import PackageDescription

// Micro benchmarks of the hot paths, with allocation counts checked against committed
// thresholds: `swift package benchmark thresholds check` from this folder.
let package = Package(
    name: "swift-parallax-benchmarks",
    dependencies: [
        .package(name: "swift-parallax", path: ".."),
        .package(
            url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPaths",
            dependencies: [
                .product(name: "Parallax", package: "swift-parallax"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HotPaths",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
