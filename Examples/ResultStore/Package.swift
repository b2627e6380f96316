// swift-tools-version: 6.2
import PackageDescription

// An example of the service proxy: the parent holds a SQLite database (GRDB), workers store their
// results through a service, and the parent serves reads while they run.
//   swift run result-store      the example
//   swift test                  its test
let package = Package(
    name: "result-store",
    dependencies: [
        .package(name: "swift-parallax", path: "../.."),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    ],
    targets: [
        .target(
            name: "ResultStoreKit",
            dependencies: [
                .product(name: "Parallax", package: "swift-parallax"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "result-store",
            dependencies: ["ResultStoreKit", .product(name: "Parallax", package: "swift-parallax")]
        ),
        .testTarget(
            name: "ResultStoreTests",
            dependencies: [
                "ResultStoreKit", "result-store", .product(name: "Parallax", package: "swift-parallax"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
