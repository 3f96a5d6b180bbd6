// swift-tools-version:5.10
import PackageDescription

// One module per capability; see README "Layout".
let package = Package(
    name: "ScanLab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "scanlab", targets: ["scanlab"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C bridges to system libraries (Debian: libopenblas-dev, libhdf5-dev, libreadline-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", pkgConfig: "readline",
                       providers: [.apt(["libreadline-dev"])]),

        // Float32 tensors, reverse-mode autograd and the primitive ops.
        .target(name: "TensorCore", dependencies: ["CBLAS"]),

        // `scanlab bench …`: throughput measurements, never run by tests.
        .target(name: "Benchmarks", dependencies: ["TensorCore", "CBLAS"]),

        .executableTarget(name: "scanlab", dependencies: [
            "TensorCore", "Benchmarks",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "BridgesTests", dependencies: ["CBLAS", "CHDF5", "CReadline"]),
    ]
)
